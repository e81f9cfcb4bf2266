package dev.drkit.cli;

import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** drkit restore refuses targets that would destroy what it must not touch: its own store, a running server's data. */
class RestoreCommandTest {

    private static final String PASSPHRASE = "restore target passphrase";

    private static Path passphraseFile(Path dir) throws IOException {
        Path file = dir.resolve("passphrase");
        Files.writeString(file, PASSPHRASE + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** A backup of a small directory into {@code store}; its id. */
    private static String backup(Path dir, Path store) throws IOException {
        Path source = dir.resolve("source");
        Files.createDirectories(source.resolve("conf"));
        Files.writeString(source.resolve("conf/app.conf"), "listen 8200\n");
        Files.writeString(source.resolve("data.txt"), "data");
        CliRun backup = CliRun.of("backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-file", passphraseFile(dir).toString());
        assertThat(backup.code).as(backup.err).isZero();
        return backup.out.trim();
    }

    private static CliRun restore(Path dir, String store, String id, String target) {
        return CliRun.of("restore", "--store", store, "--id", id, "--target", target,
            "--passphrase-file", dir.resolve("passphrase").toString());
    }

    @Test
    void theStoreItsParentAndAnythingInsideItAreUsageErrorsAndNothingMoves(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("backups/store");
        String id = backup(dir, store);
        Map<String, String> before = BackupCommandsTest.tree(dir.resolve("backups"));
        Path inside = Files.list(store).filter(Files::isDirectory).findFirst().orElseThrow();

        for (String target : List.of(store.toString(), store + "/", store.getParent().toString(),
            store.resolve("..").resolve("store").toString(), inside.toString(), inside.resolve("new").toString(),
            store.resolve("restored-here").toString())) {
            CliRun restore = restore(dir, store.toString(), id, target);

            assertThat(restore.code).as(target + ": " + restore).isEqualTo(ExitCodes.USAGE);
            assertThat(restore.err).as(target).contains("--target " + Path.of(target)).contains("store " + store)
                .contains("restore to a path outside the store");
            assertThat(BackupCommandsTest.tree(dir.resolve("backups"))).as(target).isEqualTo(before);
        }
        assertThat(restore(dir, "file:" + store, id, store.toString()).err).contains("is the store file:" + store
            + " itself");
        assertThat(restore(dir, store.toString(), id, store.getParent().toString()).err).contains("holds the store");
        assertThat(restore(dir, store.toString(), id, inside.toString()).err).contains("is inside the store");
        try (Stream<Path> beside = Files.list(dir)) {
            assertThat(beside.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("pre-restore"));
        }
    }

    @Test
    void aLinkDoesNotHideTheStore(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);
        Path link = Files.createSymbolicLink(dir.resolve("link-to-store"), store);
        Path parentLink = Files.createSymbolicLink(dir.resolve("link-to-dir"), dir);
        Map<String, String> before = BackupCommandsTest.tree(store);

        CliRun throughLinkedStore = restore(dir, link.toString(), id, store.resolve("x").toString());
        CliRun throughLinkedParent = restore(dir, store.toString(), id, parentLink.resolve("store").toString());
        CliRun intoLinkedStore = restore(dir, store.toString(), id, link.resolve("x").toString());

        assertThat(throughLinkedStore.code).as(throughLinkedStore.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(throughLinkedStore.err).contains("is inside the store " + link + " (" + store.toRealPath() + ")");
        assertThat(throughLinkedParent.code).as(throughLinkedParent.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(throughLinkedParent.err).contains("itself");
        assertThat(intoLinkedStore.code).as(intoLinkedStore.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(BackupCommandsTest.tree(store)).isEqualTo(before);
    }

    @Test
    void aTargetBesideTheStoreIsRestored(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);

        CliRun restore = restore(dir, store.toString(), id, dir.resolve("store-restored").toString());

        assertThat(restore.code).as(restore.toString()).isZero();
        assertThat(dir.resolve("store-restored/data.txt")).hasContent("data");
    }

    @Test
    void theDataDirectoryOfARunningPostgresIsAnEnvironmentErrorAndStaysInPlace(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);
        try (PgCluster cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("restoretarget")
            .build())) {
            Path data = cluster.dataDirectory();
            Map<String, String> entries = new TreeMap<>();
            try (Stream<Path> list = Files.list(data)) {
                list.forEach(p -> entries.put(p.getFileName().toString(), ""));
            }

            CliRun restore = restore(dir, store.toString(), id, data.toString());

            assertThat(restore.code).as(restore.toString()).isEqualTo(ExitCodes.ENVIRONMENT);
            assertThat(restore.err).startsWith("drkit restore: --target " + data + " is the data directory of a"
                + " running PostgreSQL").contains("postmaster.pid names process " + cluster.postmasterPid()
                .getAsLong()).contains("stop PostgreSQL first").hasLineCount(1);
            assertThat(cluster.isRunning()).isTrue();
            assertThat(cluster.psql(cluster.superuser(), "postgres", "SELECT 1")).isEqualTo("1");
            try (Stream<Path> list = Files.list(data)) {
                assertThat(list.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(
                    entries.keySet());
            }
            try (Stream<Path> beside = Files.list(data.getParent())) {
                assertThat(beside.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("pre-restore"));
            }
        }
    }

    @Test
    void aStalePidFileDoesNotStopTheRestore(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);
        Path target = Files.createDirectories(dir.resolve("old-data"));
        long pid = 4_000_000;
        while (Files.exists(Path.of("/proc", Long.toString(pid)))) {
            pid++;
        }
        Files.writeString(target.resolve("postmaster.pid"), pid + "\n" + target + "\n");

        CliRun restore = restore(dir, store.toString(), id, target.toString());

        assertThat(restore.code).as(restore.toString()).isZero();
        assertThat(target.resolve("data.txt")).hasContent("data");
        assertThat(restore.out).contains("the previous data is at");
    }
}
