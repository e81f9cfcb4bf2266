package dev.drkit.backup;

import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.ServerSideJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A restore by a user who is not root, of entries whose modes keep their owner from reading them (root may read
 * anything, so as root this would test nothing): run in a JVM of the unprivileged user PostgreSQL would run as
 * ({@link PgCluster#serverUser()}), started by {@code runuser}, when this JVM is root.
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
        giveTree(root);
        giveTree(box);
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

    /** Gives every file and directory of {@code tree} to the user who restores (when this JVM runs as root). */
    private static void giveTree(Path tree) throws IOException {
        Optional<String> user = PgCluster.serverUser();
        if (user.isEmpty()) {
            return;
        }
        UserPrincipal owner = tree.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user.get());
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Files.setOwner(path, owner);
            }
        }
    }

    /** Restores as a user who is not root: in this JVM when it is not root, else as {@link PgCluster#serverUser()}. */
    private static String restoreAsItsOwner(Path dir, Path store, String id, Path target) throws Exception {
        Optional<String> user = PgCluster.serverUser();
        if (user.isEmpty()) {
            try (FileSystemStore files = FileSystemStore.builder(store).build()) {
                engine(files).restore(id, Engines.KEY, target);
                return "";
            } catch (RuntimeException e) {
                return e.toString();
            }
        }
        String script = ServerSideJava.commandLine(dir.resolve("lib"), RestoreMain.class);
        Process process = new ProcessBuilder("runuser", "-u", user.get(), "--", "/bin/sh", "-c",
            script + " " + ServerSideJava.shellQuote(store.toString()) + " " + ServerSideJava.shellQuote(id) + " "
                + ServerSideJava.shellQuote(target.toString()))
            .directory(Path.of("/").toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return process.exitValue() == 0 ? "" : "exit " + process.exitValue() + ": " + output;
    }
}
