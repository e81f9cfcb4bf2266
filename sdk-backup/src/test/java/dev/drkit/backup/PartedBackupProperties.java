package dev.drkit.backup;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.drkit.backup.BackupEngineProperties.randomSource;
import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Engines.describe;
import static dev.drkit.backup.Engines.engine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Invariants of backups in parts: restore(backup(x)) == x for random files and trees, whatever the part size,
 * the number of threads and the compression; parts are listed in order and add up to the stored data; and a damaged
 * byte in any part or in the manifest is caught by full verification and by restore. QuickTheories prints the seed
 * of a failing run.
 */
class PartedBackupProperties {

    private static final int ROUND_TRIPS = 40;
    private static final int DAMAGES = 60;

    @Test
    void restoreReturnsExactlyWhatWasBackedUpWhateverThePartSizeAndThreads() throws IOException {
        Path scratch = Files.createTempDirectory("parted-properties");
        AtomicInteger examples = new AtomicInteger();
        try {
            qt().withExamples(ROUND_TRIPS)
                .forAll(longs().all(), integers().between(BackupEngine.MIN_PART_BYTES, 48 * 1024),
                    integers().between(1, 6), integers().between(0, 3))
                .checkAssert((seed, partBytes, threads, level) -> {
                    Path dir = scratch.resolve("example-" + examples.incrementAndGet());
                    Path source = dir.resolve("source");
                    boolean asDirectory = seed % 2 == 0;
                    randomSource(source, asDirectory, seed);
                    InMemoryBackupStore store = new InMemoryBackupStore();
                    BackupEngine engine = engine(store).partBytes(partBytes).threads(threads)
                        .compression(level == 0 ? Compression.none() : Compression.zstd(level)).build();

                    BackupInfo info = engine.backup(asDirectory ? BackupSource.directory(source)
                        : BackupSource.file(source));
                    Path target = dir.resolve("target");
                    engine.restore(info.id(), KEY, target);

                    if (asDirectory) {
                        assertThat(describe(target)).isEqualTo(describe(source));
                    } else {
                        assertThat(read(target)).isEqualTo(read(source));
                    }
                    List<DataPart> parts = engine.manifest(info.id()).parts();
                    long total = 0;
                    for (int i = 0; i < parts.size(); i++) {
                        assertThat(parts.get(i).object()).isEqualTo(DataPart.objectName(i));
                        total += parts.get(i).bytes();
                    }
                    assertThat(total).isEqualTo(info.ciphertextBytes());
                    assertThat(engine.verify(info.id()).passed()).isTrue();
                    assertThat(engine.verify(info.id(), KEY).passed()).isTrue();
                });
        } finally {
            deleteTree(scratch);
        }
        assertThat(examples.get()).isEqualTo(ROUND_TRIPS);
    }

    @Test
    void anyDamagedByteOfAnyPartOrTheManifestIsDetected() throws IOException {
        Path scratch = Files.createTempDirectory("parted-damage");
        AtomicInteger examples = new AtomicInteger();
        try {
            qt().withExamples(DAMAGES)
                .forAll(longs().all(), booleans().all(), integers().between(0, Integer.MAX_VALUE),
                    integers().between(1, 255))
                .checkAssert((seed, inManifest, where, xor) -> {
                    Path dir = scratch.resolve("example-" + examples.incrementAndGet());
                    Path source = dir.resolve("source");
                    randomSource(source, seed % 2 == 0, seed);
                    InMemoryBackupStore store = new InMemoryBackupStore();
                    BackupEngine engine = engine(store).partBytes(BackupEngine.MIN_PART_BYTES).threads(2).build();
                    String id = engine.backup(seed % 2 == 0 ? BackupSource.directory(source)
                        : BackupSource.file(source)).id();
                    List<DataPart> parts = engine.manifest(id).parts();
                    String object = inManifest ? BackupManifest.OBJECT_NAME
                        : parts.get(Math.floorMod(where, parts.size())).object();
                    int[] position = new int[1];
                    store.edit(id, object, bytes -> {
                        position[0] = Math.floorMod(where * 31 + 7, bytes.length);
                        bytes[position[0]] ^= (byte) (int) xor;
                        return bytes;
                    });
                    Path target = write(dir.resolve("target"), "untouched".getBytes());

                    assertThat(engine.verify(id, KEY).passed()).as("%s byte %d xor %d", object, position[0], xor)
                        .isFalse();
                    assertThatThrownBy(() -> engine.restore(id, KEY, target))
                        .as("%s byte %d xor %d", object, position[0], xor)
                        .isInstanceOf(BackupException.class);
                    assertThat(read(target)).isEqualTo("untouched".getBytes());
                });
        } finally {
            deleteTree(scratch);
        }
        assertThat(examples.get()).isEqualTo(DAMAGES);
    }

    private static Path write(Path path, byte[] bytes) {
        try {
            Files.createDirectories(path.getParent());
            return Files.write(path, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
