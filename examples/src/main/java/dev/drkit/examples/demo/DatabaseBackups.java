package dev.drkit.examples.demo;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.Compression;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.postgres.ArchiveReport;
import dev.drkit.backup.postgres.PgBackupSource;
import dev.drkit.backup.postgres.PgServer;
import dev.drkit.backup.postgres.PitrDrill;
import dev.drkit.backup.postgres.PitrDrillReport;
import dev.drkit.backup.postgres.WalArchive;
import dev.drkit.backup.postgres.WalArchiveVerifier;
import dev.drkit.backup.postgres.WalSpool;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.cli.Drkit;
import dev.drkit.cli.StartupTraining;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.secret.CredentialFiles;
import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.PgBinaries;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ServerSideJava;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The demo's PostgreSQL backups: WAL archived by the server itself through {@code drkit wal-push} into an
 * encrypted WAL store (in batch mode: one JVM pushes every file that is ready and leaves a marker per file in a spool
 * directory, which the {@code archive_command} checks in the shell before starting another), an encrypted base backup taken with {@code pg_basebackup} into a backup store, the archive
 * verified record by record, and a PITR drill that restores the base backup into a scratch cluster, replays the
 * archive through {@code drkit wal-fetch} to a point in the middle of the workload and checks the canary rows
 * there.
 *
 * <p>The server runs as an unprivileged user when the JVM is root, and runs {@code archive_command} and
 * {@code restore_command} as that user: the WAL store, its passphrase file and a copy of drkit's class path are
 * made readable to it, nothing else is.
 */
final class DatabaseBackups implements AutoCloseable {

    private final Path work;
    private final Path walStoreDirectory;
    private final Path walSpool;
    private final Path baseBackupTar;
    private final Secret passphrase;
    private final CredentialFiles serverCredentials;
    private final Path passphraseFile;
    private final String drkitCommand;
    private final FileSystemStore backupStore;
    private final BackupEngine engine;

    DatabaseBackups(Path work, Secret passphrase) throws IOException {
        this.work = work;
        this.passphrase = passphrase;
        Optional<String> serverUser = PgCluster.serverUser();
        // The server's user must reach the WAL store, its passphrase and the class path copy inside the work
        // directory, but list nothing else in it.
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx--x--x"));
        this.walStoreDirectory = work.resolve("wal-archive");
        Files.createDirectories(walStoreDirectory, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
        this.walSpool = work.resolve("wal-spool");
        Files.createDirectories(walSpool, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
        if (serverUser.isPresent()) {
            Files.setOwner(walStoreDirectory, principal(serverUser.get()));
            Files.setOwner(walSpool, principal(serverUser.get()));
        }
        this.serverCredentials = CredentialFiles.create("demo-wal", work, serverUser.orElse(null));
        this.passphraseFile = serverCredentials.write("wal-passphrase", passphrase);
        // wal-push and wal-fetch start a JVM per WAL file: a class-data sharing archive shortens each start
        this.drkitCommand = ServerSideJava.commandLine(work.resolve("lib"), Drkit.class, StartupTraining.class);
        this.baseBackupTar = work.resolve("restored/base.tar");
        this.backupStore = FileSystemStore.open(work.resolve("database-backups"));
        this.engine = BackupEngine.builder(backupStore).name("demo-database")
            .encryption(Encryption.passphrase(passphrase))
            .compression(Compression.zstd(1))
            .eventLog(work.resolve("database-backups-events.jsonl"))
            .build();
    }

    /** The settings that make a server archive every WAL file through {@code drkit wal-push} in batch mode. */
    Map<String, String> archiveSettings() {
        return Map.of(
            "archive_mode", "on",
            "archive_command", WalSpool.archiveCommand(walSpool, walStoreDirectory, drkitCommand + " wal-push --spool "
                + ServerSideJava.shellQuote(walSpool.toString()) + " " + keyOptions() + " %p"));
    }

    /** An encrypted base backup of {@code server} ({@code pg_basebackup}, streamed, never staged on disk). */
    BackupInfo baseBackup(PgCluster server) {
        PgServer source = PgServer.builder(PgCluster.HOST, server.port(), server.superuser())
            .password(server.superuserPassword()).binaries(server.binaries()).build();
        return engine.backup(PgBackupSource.baseBackup(source).withRowCounts(false).source());
    }

    /**
     * Switches {@code primary} to a new WAL segment and waits until the server archived the one it closed, so
     * everything committed so far is in the archive.
     */
    String switchAndAwaitArchived(PgCluster primary, Duration timeout) throws Exception {
        String closed = primary.queryValue("SELECT pg_walfile_name(pg_switch_wal())").orElseThrow();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (FileSystemStore store = FileSystemStore.open(walStoreDirectory)) {
            WalArchive archive = walArchive(store);
            while (!archive.contains(closed)) {
                if (System.nanoTime() - deadline > 0) {
                    String failing = primary.queryValue("SELECT coalesce(last_failed_wal, 'none') FROM pg_stat_archiver")
                        .orElse("unknown");
                    throw new EnvironmentException("WAL file " + closed + " was not archived within "
                        + timeout.toSeconds() + " s (last failed: " + failing + "); the server log "
                        + primary.logFile() + " ends with:\n" + primary.logTail(8), Map.of("wal", closed), null);
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
        }
        return closed;
    }

    /** Verifies the WAL archive record by record, from its oldest segment to its newest; the RPO is measured. */
    ArchiveReport verifyArchive() {
        try (FileSystemStore store = FileSystemStore.open(walStoreDirectory)) {
            return WalArchiveVerifier.builder().archive(walArchive(store)).build().verify();
        }
    }

    /**
     * Restores the base backup into a scratch cluster, replays the archive through {@code drkit wal-fetch} up to
     * {@code target}, and checks there that the canary holds every row written before it and none written after.
     *
     * @param rowsWrittenBefore canary rows whose write started before the target; at most the last of them, still
     *                          in flight at the target, may be missing
     */
    PitrDrillReport pitrDrill(String baseBackupId, PgBinaries binaries, Instant target, long rowsWrittenBefore)
        throws IOException {
        Files.createDirectories(baseBackupTar.getParent());
        Files.deleteIfExists(baseBackupTar);
        engine.restore(baseBackupId, DecryptionKey.passphrase(passphrase), baseBackupTar);
        String at = target.toString();
        return PitrDrill.builder()
            .name("demo: PITR drill to the middle of the workload")
            .baseBackupTar(() -> Files.newInputStream(baseBackupTar))
            .restoreCommand(drkitCommand + " wal-fetch " + keyOptions() + " %f %p")
            .targetTime(target)
            .check("no canary row written after the target",
                "SELECT count(*) FROM " + CanaryTable.TABLE + " WHERE written_at > '" + at + "'", "0")
            .check("every canary row committed before the target",
                "SELECT count(*) BETWEEN " + Math.max(0, rowsWrittenBefore - 1) + " AND " + rowsWrittenBefore
                    + " FROM " + CanaryTable.TABLE, "t")
            .timeout(Duration.ofMinutes(2))
            .cluster(PgClusterConfig.forTests().toBuilder().name("pitr-drill").binaries(binaries).build())
            .build()
            .run();
    }

    Path walStore() {
        return walStoreDirectory;
    }

    Path backupStore() {
        return Path.of(backupStore.location());
    }

    @Override
    public void close() throws Exception {
        try (serverCredentials; backupStore) {
            Files.deleteIfExists(baseBackupTar);
        }
    }

    private WalArchive walArchive(FileSystemStore store) {
        return WalArchive.builder(store)
            .encryption(Encryption.passphrase(passphrase))
            .decryptionKey(DecryptionKey.passphrase(passphrase))
            .build();
    }

    private String keyOptions() {
        return "--store " + ServerSideJava.shellQuote(walStoreDirectory.toString()) + " --passphrase-file "
            + ServerSideJava.shellQuote(passphraseFile.toString());
    }

    private static UserPrincipal principal(String user) throws IOException {
        return Objects.requireNonNull(java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService()
            .lookupPrincipalByName(user));
    }
}
