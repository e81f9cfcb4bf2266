package dev.drkit.backup.internal.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

class LocalFilesTest {

    @Test
    void deletesATreeAndItsLinksButNeverWhatALinkPointsTo(@TempDir Path dir) throws Exception {
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Path precious = Files.writeString(outside.resolve("precious"), "keep me");
        Path tree = Files.createDirectories(dir.resolve("tree/a/b"));
        Files.write(tree.resolve("data"), new byte[1000]);
        Files.write(dir.resolve("tree/a/more"), new byte[24]);
        Files.createSymbolicLink(dir.resolve("tree/a/to-outside"), outside);
        Files.createSymbolicLink(dir.resolve("tree/to-precious"), precious);

        long freed = LocalFiles.deleteTree(dir.resolve("tree"));

        assertThat(freed).as("bytes of the regular files removed, links not counted").isEqualTo(1024);
        assertThat(dir.resolve("tree")).doesNotExist();
        assertThat(precious).hasContent("keep me");
        assertThat(LocalFiles.deleteTree(dir.resolve("tree"))).as("nothing left to free").isZero();
    }

    @Test
    void emptiesReadOnlyDirectoriesAsARestoredTreeMayHave(@TempDir Path dir) throws Exception {
        Path tree = Files.createDirectories(dir.resolve("restored/etc/ssl"));
        Files.writeString(tree.resolve("cert.pem"), "certificate");
        Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("r-x------"));
        Files.setPosixFilePermissions(tree.getParent(), PosixFilePermissions.fromString("r-x------"));
        assumeFalse(Files.isWritable(tree), "this user (root?) may write any directory: nothing to test");

        LocalFiles.deleteTreeQuietly(dir.resolve("restored"), LoggerFactory.getLogger(getClass()), "test");

        assertThat(Files.exists(dir.resolve("restored"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    }
}
