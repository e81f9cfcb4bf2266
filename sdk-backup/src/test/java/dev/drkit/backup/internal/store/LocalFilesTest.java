package dev.drkit.backup.internal.store;

import dev.drkit.backup.AsServerUser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

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
    void emptiesDirectoriesItsOwnerCannotReadWriteOrSearchAsARestoredTreeMayHave(@TempDir Path dir) throws Exception {
        Path box = ownedBox(dir);
        Path restored = box.resolve("restored");
        String[] modes = {"r-x------", "rw-------", "-w-------", "---------"};
        for (String mode : modes) {
            Path sub = Files.createDirectories(restored.resolve("etc-" + mode.replace('-', '_')).resolve("ssl"));
            Files.writeString(sub.resolve("cert.pem"), "decrypted");
            Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString(mode));
            Files.setPosixFilePermissions(sub.getParent(), PosixFilePermissions.fromString(mode));
        }
        AsServerUser.giveTree(restored);

        String failure = deleteAsItsOwner(dir, restored);

        assertThat(failure).isEmpty();
        assertThat(Files.exists(restored, LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    /**
     * A directory in {@code dir} that the user who deletes (see {@link #deleteAsItsOwner}) owns: only its owner may
     * remove what is in it.
     */
    private static Path ownedBox(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path box = Files.createDirectory(dir.resolve("box"));
        AsServerUser.giveTree(box);
        return box;
    }

    /**
     * Runs {@link LocalFiles#deleteTree} on {@code tree} as a user that is not root: in this JVM when it is not root,
     * else as {@link AsServerUser#user()}. Returns what failed, or an empty string.
     */
    private static String deleteAsItsOwner(Path dir, Path tree) throws Exception {
        if (AsServerUser.user().isEmpty()) {
            try {
                LocalFiles.deleteTree(tree);
                return "";
            } catch (IOException e) {
                return e.toString();
            }
        }
        return AsServerUser.run(dir.resolve("lib"), DeleteTreeMain.class, tree.toString());
    }
}
