package dev.drkit.backup;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

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
 * Invariants of the engine: restore(backup(x)) == x for random files and directory trees under random settings,
 * and any single damaged byte of data.pgp or manifest.json is caught by full verification and by restore, which
 * leaves its target untouched. QuickTheories prints the seed of a failing run.
 */
class BackupEngineProperties {

    private static final int ROUND_TRIPS = 40;
    private static final int DAMAGES = 120;

    @Test
    void restoreReturnsExactlyWhatWasBackedUp() throws IOException {
        Path scratch = Files.createTempDirectory("engine-properties");
        AtomicInteger examples = new AtomicInteger();
        try {
            qt().withExamples(ROUND_TRIPS)
                .forAll(longs().all(), compressions(), booleans().all())
                .checkAssert((seed, compression, asDirectory) -> {
                    Path dir = scratch.resolve("example-" + examples.incrementAndGet());
                    Path source = dir.resolve("source");
                    randomSource(source, asDirectory, seed);
                    InMemoryBackupStore store = new InMemoryBackupStore();
                    BackupEngine engine = engine(store).compression(compression).build();

                    BackupInfo info = engine.backup(asDirectory ? BackupSource.directory(source)
                        : BackupSource.file(source));
                    Path target = dir.resolve("target");
                    engine.restore(info.id(), KEY, target);

                    if (asDirectory) {
                        assertThat(describe(target)).isEqualTo(describe(source));
                    } else {
                        assertThat(read(target)).isEqualTo(read(source));
                    }
                    assertThat(engine.verify(info.id(), KEY).passed()).isTrue();
                });
        } finally {
            deleteTree(scratch);
        }
        assertThat(examples.get()).isEqualTo(ROUND_TRIPS);
    }

    @Test
    void anyDamagedByteOfArchiveOrManifestIsDetected() throws IOException {
        Path scratch = Files.createTempDirectory("engine-damage");
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
                    BackupEngine engine = engine(store).build();
                    String id = engine.backup(seed % 2 == 0 ? BackupSource.directory(source)
                        : BackupSource.file(source)).id();
                    String object = inManifest ? BackupManifest.OBJECT_NAME : BackupManifest.DATA_OBJECT_NAME;
                    int[] position = new int[1];
                    store.edit(id, object, bytes -> {
                        position[0] = where % bytes.length;
                        bytes[position[0]] ^= (byte) (int) xor;
                        return bytes;
                    });
                    Path target = write(dir.resolve("target"), "untouched");

                    assertThat(engine.verify(id, KEY).passed()).as("%s byte %d xor %d", object, position[0], xor)
                        .isFalse();
                    assertThatThrownBy(() -> engine.restore(id, KEY, target))
                        .as("%s byte %d xor %d", object, position[0], xor)
                        .isInstanceOf(BackupException.class);
                    assertThat(read(target)).isEqualTo("untouched".getBytes());
                    try (var siblings = Files.list(dir)) {
                        assertThat(siblings.count()).isEqualTo(2);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
        } finally {
            deleteTree(scratch);
        }
        assertThat(examples.get()).isEqualTo(DAMAGES);
    }

    @Test
    void theRoundTripCheckWouldCatchATreeThatLostAnEntry() throws IOException {
        Path dir = Files.createTempDirectory("engine-meta");
        try {
            randomSource(dir.resolve("a"), true, 42);
            randomSource(dir.resolve("b"), true, 42);
            Map<String, String> a = describe(dir.resolve("a"));
            assertThat(describe(dir.resolve("b"))).isEqualTo(a);
            String first = a.keySet().iterator().next();
            deleteTree(dir.resolve("b").resolve(first));
            assertThat(describe(dir.resolve("b"))).isNotEqualTo(a);
        } finally {
            deleteTree(dir);
        }
    }

    private static Gen<Compression> compressions() {
        return integers().between(0, 4).map(level -> level == 0 ? Compression.none() : Compression.zstd(level));
    }

    /** A file, or a tree of up to 12 entries (files, directories, links), from {@code seed}. */
    static void randomSource(Path source, boolean directory, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        try {
            Files.createDirectories(source.getParent());
            if (!directory) {
                write(source, bytes(random, random.nextInt(0, 40_000)));
                return;
            }
            Files.createDirectory(source);
            List<String> modes = List.of("rw-------", "rw-r--r--", "rwxr-x---", "r--------");
            Path current = source;
            int entries = random.nextInt(1, 13);
            for (int i = 0; i < entries; i++) {
                String name = "e" + i + (random.nextInt(4) == 0 ? "-" + "x".repeat(random.nextInt(100, 140)) : "");
                Path path = current.resolve(name);
                switch (random.nextInt(5)) {
                    case 0:
                        Files.createDirectory(path);
                        current = path;
                        break;
                    case 1:
                        Files.createSymbolicLink(path, Path.of(random.nextBoolean() ? "../elsewhere" : "e0"));
                        break;
                    default:
                        write(path, bytes(random, random.nextInt(0, 5000)));
                        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
                            modes.get(random.nextInt(modes.size()))));
                        Files.setLastModifiedTime(path, FileTime.from(Instant.ofEpochSecond(
                            random.nextLong(0, 4_000_000_000L))));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(SplittableRandom random, int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = random.nextInt(3) == 0 ? (byte) random.nextInt(256) : (byte) 'a';
        }
        return bytes;
    }

    private static Path write(Path path, String text) {
        return write(path, text.getBytes());
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
