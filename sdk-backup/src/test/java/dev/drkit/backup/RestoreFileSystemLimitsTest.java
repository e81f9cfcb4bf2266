package dev.drkit.backup;

import dev.drkit.backup.store.SmallTmpfs;
import dev.drkit.core.DrkitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Engines.describe;
import static dev.drkit.backup.Engines.engine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Restores that the target's file system cannot take, on a real tmpfs: refused before anything is written when the
 * manifest shows the data cannot fit or the target is a mount point, and cleaned up when the space runs out midway;
 * the target is left as it was every time.
 */
class RestoreFileSystemLimitsTest {

    private final InMemoryBackupStore store = new InMemoryBackupStore();
    private final BackupEngine engine = engine(store).build();

    @Test
    void aRestoreThatCannotFitIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("big.bin");
        Files.write(source, random(2 << 20, 1));
        String id = engine.backup(BackupSource.file(source)).id();
        Path small = Files.createDirectory(dir.resolve("small"));
        SmallTmpfs tmpfs = SmallTmpfs.mount(small, "1m");
        assumeTrue(tmpfs != null, "cannot mount a 1 MiB tmpfs here (needs root and a permissive sandbox)");
        try (tmpfs) {
            Path target = small.resolve("big.bin");
            Files.writeString(target, "the data restored last time");

            assertThatThrownBy(() -> engine.restore(id, KEY, target))
                .isInstanceOfSatisfying(BackupIoException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                    assertThat(e.getMessage()).contains("refused", "needs at least 2097152 bytes in " + small,
                        "bytes free", "nothing was written", target + " was left as it was");
                    assertThat(e.context()).containsKeys("neededBytes", "usableBytes");
                    assertThat(Long.parseLong(e.context().get("usableBytes"))).isLessThan(2 << 20);
                });
            assertThat(Files.readString(target)).isEqualTo("the data restored last time");
            assertThat(names(small)).containsExactly("big.bin");

            // the same backup restores where there is room
            Path elsewhere = dir.resolve("elsewhere.bin");
            engine.restore(id, KEY, elsewhere);
            assertThat(Files.readAllBytes(elsewhere)).isEqualTo(Files.readAllBytes(source));
        }
    }

    @Test
    void runningOutOfSpaceMidwayFailsCleanlyAndLeavesTheTarget(@TempDir Path dir) throws Exception {
        // Few bytes but many files: the bytes fit, the file system's inodes do not (tmpfs says ENOSPC for both).
        Path source = Files.createDirectory(dir.resolve("tree"));
        for (int i = 0; i < 60; i++) {
            Files.writeString(source.resolve("file-" + i), "line " + i + "\n");
        }
        String id = engine.backup(BackupSource.directory(source)).id();
        Path small = Files.createDirectory(dir.resolve("small"));
        SmallTmpfs tmpfs = SmallTmpfs.mount(small, "4m", 40);
        assumeTrue(tmpfs != null, "cannot mount a tmpfs with 40 inodes here (needs root and a permissive sandbox)");
        try (tmpfs) {
            Path target = Files.createDirectory(small.resolve("tree"));
            Files.writeString(target.resolve("old"), "old data");
            var before = describe(target);

            assertThatThrownBy(() -> engine.restore(id, KEY, target))
                .isInstanceOfSatisfying(BackupIoException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                    assertThat(e.getMessage()).contains("could not be written", "No space left on device",
                        "the previous data was left as it was");
                });
            assertThat(describe(target)).isEqualTo(before);
            assertThat(names(small)).as("the staging copy is removed").containsExactly("tree");
            // the inodes came back: a small restore fits again
            Path one = dir.resolve("one");
            Files.writeString(one, "one file", StandardCharsets.UTF_8);
            String small1 = engine.backup(BackupSource.file(one)).id();
            engine.restore(small1, KEY, small.resolve("one"));
            assertThat(Files.readString(small.resolve("one"))).isEqualTo("one file");
        }
    }

    @Test
    void aMountPointTargetIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectory(dir.resolve("vault"));
        Files.writeString(source.resolve("vault.hcl"), "storage \"raft\" {}\n");
        String id = engine.backup(BackupSource.directory(source)).id();
        Path target = Files.createDirectory(dir.resolve("mounted"));
        SmallTmpfs tmpfs = SmallTmpfs.mount(target, "1m");
        assumeTrue(tmpfs != null, "cannot mount a tmpfs here (needs root and a permissive sandbox)");
        try (tmpfs) {
            Files.writeString(target.resolve("vault.hcl"), "the live configuration");

            assertThatThrownBy(() -> engine.restore(id, KEY, target))
                .isInstanceOfSatisfying(BackupIoException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                    assertThat(e.getMessage()).contains("refused: " + target + " is a mount point",
                        "Nothing was written", target.resolve("restored").toString());
                });
            assertThat(names(dir)).containsExactly("mounted", "vault");
            assertThat(names(target)).containsExactly("vault.hcl");
            assertThat(Files.readString(target.resolve("vault.hcl"))).isEqualTo("the live configuration");

            // what the message advises works
            engine.restore(id, KEY, target.resolve("restored"));
            assertThat(Files.readString(target.resolve("restored/vault.hcl"))).isEqualTo("storage \"raft\" {}\n");
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        return bytes;
    }

    private static List<String> names(Path dir) throws IOException {
        try (var paths = Files.list(dir)) {
            return paths.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
