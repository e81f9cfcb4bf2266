package dev.drkit.backup.internal.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FileSystemSyncTest {

    @Test
    void trustedOnlyOnLinuxFromFivePointEight() {
        assertThat(FileSystemSync.kernelReportsErrors("Linux", "6.1.0-28-cloud-amd64")).isTrue();
        assertThat(FileSystemSync.kernelReportsErrors("Linux", "5.8.0")).isTrue();
        assertThat(FileSystemSync.kernelReportsErrors("Linux", "5.10.209")).isTrue();
        assertThat(FileSystemSync.kernelReportsErrors("Linux", "5.7.19")).isFalse();
        assertThat(FileSystemSync.kernelReportsErrors("Linux", "4.19.0-26-amd64")).isFalse();
        assertThat(FileSystemSync.kernelReportsErrors("Linux", "garbage")).isFalse();
        assertThat(FileSystemSync.kernelReportsErrors("Mac OS X", "14.2")).isFalse();
        assertThat(new FileSystemSync(null, true).usable()).isFalse();
        assertThat(new FileSystemSync(Path.of("/usr/bin/sync"), false).usable()).isFalse();
    }

    @Test
    void syncsTheRealFileSystemHere(@TempDir Path dir) throws Exception {
        FileSystemSync sync = FileSystemSync.system();
        assumeTrue(sync.usable(), "syncfs is trusted only on Linux 5.8 or later with coreutils' sync");
        Files.writeString(dir.resolve("f"), "data");

        assertThat(sync.sync(dir)).isTrue();
    }

    @Test
    void runsTheCommandWithThePathAloneAndAnEmptyEnvironment(@TempDir Path dir) throws Exception {
        Path record = dir.resolve("record");
        Path command = script(dir, "printf '%s\\n' \"$@\" > " + record + "; env >> " + record + "; exit 0");
        Path target = Files.createDirectory(dir.resolve("restored tree"));

        assertThat(new FileSystemSync(command, true).sync(target)).isTrue();

        List<String> lines = Files.readAllLines(record);
        assertThat(lines.subList(0, 2)).containsExactly("-f", target.toString());
        // what the shell adds itself (PWD) aside, only the locale drkit sets reaches the command
        assertThat(lines.subList(2, lines.size())).filteredOn(line -> !line.startsWith("PWD="))
            .containsExactly("LC_ALL=C");
    }

    @Test
    void aFailingMissingOrUntrustedCommandLeavesTheSyncToTheCaller(@TempDir Path dir) throws Exception {
        Path failing = script(dir, "echo 'sync: error syncing: Input/output error' >&2; exit 1");
        Path succeeding = script(dir, "exit 0");

        assertThat(new FileSystemSync(failing, true).sync(dir)).isFalse();
        assertThat(new FileSystemSync(dir.resolve("no-such-command"), true).sync(dir)).isFalse();
        assertThat(new FileSystemSync(succeeding, false).sync(dir)).as("kernel older than 5.8").isFalse();
        assertThat(new FileSystemSync(succeeding, true).sync(dir)).isTrue();
    }

    private static Path script(Path dir, String body) throws Exception {
        Path script = Files.createTempFile(dir, "sync", ".sh",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        return script;
    }
}
