package dev.drkit.backup;

import dev.drkit.backup.store.FileSystemStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backup in parts killed with {@code kill -9} after several parts were stored: nothing of it is listed, the
 * earlier backup is intact, and the next backup removes what it left. And a backup in parts far larger than a
 * 64 MiB heap, with four threads, backs up and restores in a child JVM limited to that heap.
 */
class PartedBackupKillTest {

    static final int PART_BYTES = 256 * 1024;

    @Test
    void aBackupInPartsKilledMidwayLeavesNothingListedAndTheNextBackupCleansUp(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("store");
        Files.write(dir.resolve("earlier"), sample(500_000, 1));
        String earlier;
        try (FileSystemStore store = FileSystemStore.builder(root).build()) {
            earlier = engine(store).backup(BackupSource.file(dir.resolve("earlier"))).id();
        }
        Path errors = dir.resolve("child.err");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx64m", "-cp", System.getProperty("java.class.path"), PartedBackupChildMain.class.getName(),
            root.toString()).redirectError(errors.toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8));
            assertThat(out.readLine()).as(() -> "the child's stderr:\n" + read(errors)).isEqualTo("MIDWAY");
            // several parts of the killed backup are on disk, under the store's temporary name
            assertThat(storedParts(root)).as("parts written before the kill").isGreaterThanOrEqualTo(
                PartedBackupChildMain.BEFORE_MIDWAY / PART_BYTES - 4);
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs in the child
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        try (FileSystemStore store = FileSystemStore.builder(root).lockTimeout(Duration.ofSeconds(10)).build()) {
            BackupEngine engine = engine(store);
            assertThat(store.list()).containsExactly(earlier);
            assertThat(engine.verify(earlier, KEY).passed()).isTrue();

            Files.write(dir.resolve("next"), sample(300_000, 2));
            String next = engine.backup(BackupSource.file(dir.resolve("next"))).id();

            // ids sort by their start second, then by their random part: two backups of one second in either order
            assertThat(store.list()).containsExactlyInAnyOrder(earlier, next);
            assertThat(storedParts(root)).isEqualTo(engine.manifest(earlier).parts().size()
                + engine.manifest(next).parts().size());
            engine.restore(next, KEY, dir.resolve("restored"));
            assertThat(Files.readAllBytes(dir.resolve("restored"))).isEqualTo(sample(300_000, 2));
        }
    }

    @Test
    void aBackupInPartsMuchLargerThanTheHeapBacksUpAndRestoresWithin64MiB(@TempDir Path dir) throws Exception {
        Path errors = dir.resolve("child.err");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx64m", "-cp", System.getProperty("java.class.path"), PartedHeapChildMain.class.getName(),
            dir.resolve("store").toString(), dir.resolve("restored").toString(), "160")
            .redirectError(errors.toFile()).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(600, TimeUnit.SECONDS)).isTrue();

        assertThat(child.exitValue()).as(() -> "the child's stderr:\n" + read(errors)).isZero();
        // 160 MiB of half-compressible data in 4 MiB parts: more parts than fit in the heap at once
        assertThat(output).startsWith("OK ");
        assertThat(Integer.parseInt(output.trim().substring(3))).isGreaterThan(16);
    }

    private static BackupEngine engine(FileSystemStore store) {
        return BackupEngine.builder(store).encryption(Engines.fastEncryption()).partBytes(PART_BYTES).build();
    }

    /** Every part file anywhere under the store's root, complete backups and leftovers alike. */
    private static long storedParts(Path root) throws Exception {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.getFileName().toString().matches("data\\.[0-9]{5}\\.pgp")).count();
        }
    }

    /** A child's stderr file, or why it cannot be read. */
    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
