package dev.drkit.backup.postgres.internal;

import dev.drkit.backup.store.TestMount;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BaseBackupFilesTest {

    @TempDir
    Path dir;

    private static byte[] tar(TarArchiveEntry... entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (TarArchiveEntry entry : entries) {
                byte[] content = entry.isFile() ? entry.getName().getBytes(StandardCharsets.UTF_8) : new byte[0];
                if (entry.isFile()) {
                    entry.setSize(content.length);
                }
                tar.putArchiveEntry(entry);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static TarArchiveEntry file(String name) {
        return new TarArchiveEntry(name, true);
    }

    private static TarArchiveEntry directory(String name) {
        return new TarArchiveEntry(name.endsWith("/") ? name : name + "/", true);
    }

    private static TarArchiveEntry link(String name, String target, byte type) {
        TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
        entry.setLinkName(target);
        return entry;
    }

    private Path target() throws IOException {
        return Files.createDirectory(dir.resolve("data"));
    }

    @Test
    void extractsDirectoriesAndFilesAndLeavesOutSignalAndPidFiles() throws IOException {
        Path target = target();
        byte[] bytes = tar(directory("base"), directory("base/1"), file("base/1/1259"), file("./PG_VERSION"),
            file("backup_label"), file("standby.signal"), file("postmaster.pid"), file("pg_wal/000000010000000000000002"));

        long files = BaseBackupFiles.extractTar(new ByteArrayInputStream(bytes), target);

        assertThat(files).isEqualTo(4);
        assertThat(target.resolve("base/1/1259")).hasContent("base/1/1259");
        assertThat(target.resolve("PG_VERSION")).exists();
        assertThat(target.resolve("pg_wal/000000010000000000000002")).exists();
        assertThat(target.resolve("standby.signal")).doesNotExist();
        assertThat(target.resolve("postmaster.pid")).doesNotExist();
    }

    @Test
    void refusesParentAndAbsolutePaths() throws IOException {
        Path target = target();
        for (String name : new String[] {"../evil", "base/../../evil", "/etc/evil", "base//x"}) {
            byte[] bytes = tar(file(name));
            assertThatThrownBy(() -> BaseBackupFiles.extractTar(new ByteArrayInputStream(bytes), target))
                .as(name).isInstanceOf(BaseBackupFiles.UnusableBackupException.class);
        }
        assertThat(dir.resolve("evil")).doesNotExist();
    }

    @Test
    void refusesSymbolicAndHardLinks() throws IOException {
        Path target = target();
        byte[] symlink = tar(directory("pg_tblspc"), link("pg_tblspc/16384", "/srv/tablespace", TarArchiveEntry.LF_SYMLINK));
        assertThatThrownBy(() -> BaseBackupFiles.extractTar(new ByteArrayInputStream(symlink), target))
            .isInstanceOf(BaseBackupFiles.UnusableBackupException.class).hasMessageContaining("symbolic link");
        byte[] hardlink = tar(link("x", "/etc/passwd", TarArchiveEntry.LF_LINK));
        assertThatThrownBy(() -> BaseBackupFiles.extractTar(new ByteArrayInputStream(hardlink), target))
            .isInstanceOf(BaseBackupFiles.UnusableBackupException.class).hasMessageContaining("hard link");
        assertThat(target.resolve("pg_tblspc/16384")).doesNotExist();
    }

    @Test
    void refusesAnEntryTwice() throws IOException {
        Path target = target();
        byte[] bytes = tar(file("PG_VERSION"), file("PG_VERSION"));
        assertThatThrownBy(() -> BaseBackupFiles.extractTar(new ByteArrayInputStream(bytes), target))
            .isInstanceOf(BaseBackupFiles.UnusableBackupException.class).hasMessageContaining("twice");
    }

    @Test
    void refusesAPathThatIsBothAFileAndADirectoryAsTheBackupsFault() throws IOException {
        Path target = target();
        byte[] fileThenDirectory = tar(file("base/1"), directory("base/1"));
        assertThatThrownBy(() -> BaseBackupFiles.extractTar(new ByteArrayInputStream(fileThenDirectory), target))
            .isInstanceOf(BaseBackupFiles.UnusableBackupException.class)
            .hasMessageContaining("\"base/1\" both as a file and as a directory");
        Path other = Files.createDirectory(dir.resolve("other"));
        byte[] fileThenFileBelow = tar(file("global"), file("global/pg_control"));
        assertThatThrownBy(() -> BaseBackupFiles.extractTar(new ByteArrayInputStream(fileThenFileBelow), other))
            .isInstanceOf(BaseBackupFiles.UnusableBackupException.class)
            .hasMessageContaining("\"global\" both as a file and as a directory");
        assertThat(other.resolve("global")).isRegularFile();
    }

    @Test
    void refusesANameLongerThanAFileSystemTakesAsTheBackupsFault() throws IOException {
        Path target = target();
        byte[] bytes = tar(file("base/" + "x".repeat(256)));
        assertThatThrownBy(() -> BaseBackupFiles.extractTar(new ByteArrayInputStream(bytes), target))
            .isInstanceOf(BaseBackupFiles.UnusableBackupException.class).hasMessageContaining("longer than 255 bytes");
    }

    @Test
    void aTargetThatFillsUpIsATargetWriteExceptionNotTheBackupsFault() throws IOException {
        Path target = target();
        TestMount small = TestMount.tmpfs(target, "1m");
        assumeTrue(small != null, "cannot mount a 1 MiB tmpfs here (needs root and a permissive sandbox)");
        try (small) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
                TarArchiveEntry big = file("base/1/16384");
                big.setSize(2 << 20);
                tar.putArchiveEntry(big);
                tar.write(new byte[2 << 20]);
                tar.closeArchiveEntry();
            }

            assertThatThrownBy(() -> BaseBackupFiles.extractTar(new ByteArrayInputStream(bytes.toByteArray()), target))
                .isInstanceOf(BaseBackupFiles.TargetWriteException.class)
                .hasMessageContaining("base/1/16384").hasMessageContaining("No space left on device");
        }
    }

    @Test
    void copyRefusesASymbolicLinkInAPlainBackup() throws IOException {
        Path source = Files.createDirectories(dir.resolve("base/pg_tblspc"));
        Files.writeString(dir.resolve("base/PG_VERSION"), "15\n");
        Files.createSymbolicLink(source.resolve("16384"), dir);
        Path target = target();

        assertThatThrownBy(() -> BaseBackupFiles.copyDirectory(dir.resolve("base"), target))
            .isInstanceOf(BaseBackupFiles.UnusableBackupException.class).hasMessageContaining("pg_tblspc/16384");
    }

    @Test
    void readsTheBackupHistoryFilesStopTime() throws IOException {
        Files.writeString(dir.resolve("000000010000000000000002.00000028.backup"),
            "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n"
                + "STOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)\n"
                + "START TIME: 2026-11-23 14:00:00 UTC\nSTOP TIME: 2026-11-23 14:00:07 UTC\n");

        assertThat(BackupTimes.stopTime(dir, "0/2000028 (file 000000010000000000000002)"))
            .contains(java.time.Instant.parse("2026-11-23T14:00:07Z"));
        assertThat(BackupTimes.stopTime(dir, "0/3000028 (file 000000010000000000000003)")).isEmpty();
    }
}
