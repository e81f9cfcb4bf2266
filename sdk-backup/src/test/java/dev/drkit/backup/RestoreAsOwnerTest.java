package dev.drkit.backup;

import dev.drkit.backup.store.FileSystemStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A restore by a user who is not root, of entries whose modes keep their owner from reading them (root may read
 * anything, so as root this would test nothing): see {@link AsServerUser}.
 */
class RestoreAsOwnerTest {

    private static final Instant T = Instant.parse("2026-05-06T07:08:09.123456789Z");

    @Test
    void entriesTheirOwnerMayNotReadComeBackWithTheirModesAndTimes(@TempDir Path dir) throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path source = Files.createDirectories(dir.resolve("source"));
        String[][] files = {{"write-only", "-w-------"}, {"no-access", "---------"}, {"readable", "rw-r--r--"}};
        String[][] dirs = {{"search-only", "-wx------"}, {"enter-only", "--x------"}, {"list-only", "r--------"}};
        for (String[] dirMode : dirs) {
            Path sub = Files.createDirectory(source.resolve(dirMode[0]));
            for (String[] fileMode : files) {
                setUp(Files.writeString(sub.resolve(fileMode[0]), "secret " + fileMode[0]), fileMode[1]);
            }
            setUp(sub, dirMode[1]);
        }
        for (String[] fileMode : files) {
            setUp(Files.writeString(source.resolve(fileMode[0]), "top " + fileMode[0]), fileMode[1]);
        }
        setUp(source, "-wx--x--x");
        Path root = dir.resolve("store");
        String id;
        try (FileSystemStore store = FileSystemStore.builder(root).build()) {
            id = engine(store).backup(BackupSource.directory(source)).id();
        }
        Path box = Files.createDirectory(dir.resolve("box"));
        AsServerUser.giveTree(root);
        AsServerUser.giveTree(box);
        Path target = box.resolve("restored");

        String failure = restoreAsItsOwner(dir, root, id, target);

        assertThat(failure).isEmpty();
        assertThat(Engines.describe(target)).isEqualTo(Engines.describe(source));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("-wx--x--x");
        assertThat(Files.getLastModifiedTime(target)).isEqualTo(FileTime.from(T));
        assertThat(Files.getLastModifiedTime(target.resolve("search-only/write-only"))).isEqualTo(FileTime.from(T));
    }

    private static BackupEngine engine(FileSystemStore store) {
        return BackupEngine.builder(store).encryption(Engines.fastEncryption()).build();
    }

    private static void setUp(Path path, String mode) throws IOException {
        Files.setLastModifiedTime(path, FileTime.from(T));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
    }

    /** Restores as a user who is not root: in this JVM when it is not root, else as {@link AsServerUser#user()}. */
    private static String restoreAsItsOwner(Path dir, Path store, String id, Path target) throws Exception {
        if (AsServerUser.user().isEmpty()) {
            try (FileSystemStore files = FileSystemStore.builder(store).build()) {
                engine(files).restore(id, Engines.KEY, target);
                return "";
            } catch (RuntimeException e) {
                return e.toString();
            }
        }
        return AsServerUser.run(dir.resolve("lib"), RestoreMain.class, store.toString(), id, target.toString());
    }
}
