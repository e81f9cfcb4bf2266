package dev.drkit.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class EntrySpoolTest {

    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void entriesPastTheBudgetGoToAFileOnlyItsOwnerReadsAndClosingRemovesIt(@TempDir Path dir) throws Exception {
        EntrySpool spool = new EntrySpool("20260101T000000Z-0a1b2c3d", "directory x", 200, 1000, dir);
        spool.add(ManifestEntry.directory("d", 0755, T));
        assertThat(spool.inMemory()).hasSize(1);
        assertThat(dir).isEmptyDirectory();
        for (int i = 0; i < 5; i++) {
            spool.add(ManifestEntry.file("d/f" + i, 3, 0644, T, "c".repeat(64)));
        }
        assertThat(spool.inMemory()).as("past 200 bytes the entries are in the file").isNull();
        assertThat(spool.count()).isEqualTo(6);
        Path file = single(dir);
        assertThat(file.getFileName().toString()).startsWith("drkit-entries-").endsWith(".jsonl");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        spool.close();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void aFileThatCannotBeRemovedDoesNotFailTheBackupItServed(@TempDir Path dir) throws Exception {
        EntrySpool spool = new EntrySpool("20260101T000000Z-0a1b2c3d", "directory x", 100, 1000, dir);
        for (int i = 0; i < 5; i++) {
            spool.add(ManifestEntry.file("f" + i, 3, 0644, T, "c".repeat(64)));
        }
        Path file = single(dir);
        // by the time the backup is committed, something else stands where the file was and cannot be removed
        Files.delete(file);
        Files.createDirectories(file.resolve("busy"));

        assertThatCode(spool::close).doesNotThrowAnyException();
        assertThat(file.resolve("busy")).isDirectory();
    }

    @Test
    void theFileOfABackupKilledMidwayIsRemovedByTheNextAndNoOtherFile(@TempDir Path dir) throws Exception {
        dev.drkit.core.internal.Procfs.Owner self = dev.drkit.core.internal.Procfs.Owner.self().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(self != null, "no /proc here to name owner processes");
        // a process of the same pid that started at another time: gone
        String gone = new dev.drkit.core.internal.Procfs.Owner(self.pid(), self.startTicks() + 1, self.namespace(),
            self.host()).tag();
        Path killed = Files.writeString(dir.resolve(EntrySpool.PREFIX + gone + "-123456789.jsonl"), "{}\n");
        Path live = Files.writeString(dir.resolve(EntrySpool.PREFIX + self.tag() + "-42.jsonl"), "{}\n");
        Path unowned = Files.writeString(dir.resolve(EntrySpool.PREFIX + "987654321.jsonl"), "{}\n");
        Path other = Files.writeString(dir.resolve("notes.jsonl"), "mine");
        Path linkToKilled = Files.createSymbolicLink(dir.resolve(EntrySpool.PREFIX + gone + "-7.jsonl"), other);

        try (EntrySpool spool = new EntrySpool("20260101T000000Z-0a1b2c3d", "directory x", 100, 1000, dir)) {
            for (int i = 0; i < 5; i++) {
                spool.add(ManifestEntry.file("f" + i, 3, 0644, T, "c".repeat(64)));
            }
            assertThat(killed).doesNotExist();
            assertThat(live).exists();
            assertThat(unowned).exists();
            assertThat(other).hasContent("mine");
            assertThat(linkToKilled).isSymbolicLink();
        }
    }

    private static Path single(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> all = files.toList();
            assertThat(all).hasSize(1);
            return all.get(0);
        }
    }
}
