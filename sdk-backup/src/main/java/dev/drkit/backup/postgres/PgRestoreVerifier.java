package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupException;
import dev.drkit.backup.BackupManifest;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.postgres.internal.BaseBackupFiles;
import dev.drkit.backup.postgres.internal.Catalog;
import dev.drkit.backup.postgres.internal.ChildEnvironment;
import dev.drkit.backup.postgres.internal.ToolRunner;
import dev.drkit.backup.postgres.wal.BaseBackup;
import dev.drkit.core.DrkitException;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.drill.StepOutcome;
import dev.drkit.core.internal.Text;
import dev.drkit.postgres.PgBinaries;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.PostgresException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Verifies a PostgreSQL backup by restoring it: the proof that a backup is usable is a server that starts from it
 * and holds the data recorded when it was made.
 *
 * <pre>{@code
 * PgRestoreVerifier verifier = PgRestoreVerifier.builder(engine, DecryptionKey.passphrase(passphrase))
 *     .history(Path.of("/var/lib/drkit/pg-verifications.jsonl"))
 *     .build();
 * RestoreVerificationReport report = verifier.verify(backupId);
 * System.out.print(report.toText());
 * }</pre>
 *
 * <p>Each run starts a scratch cluster ({@link PgCluster}: a temporary directory, 127.0.0.1 only, a free port,
 * stopped and deleted afterwards, whatever happened) and runs these checks:
 * <ol>
 *   <li><b>restore</b>: the backup is fetched from the store with every check of
 *       {@link BackupEngine#restore} (authenticity, decryption, checksums), as it streams into the next step;
 *       when it fails, whatever that step made of the data is thrown away unjudged;</li>
 *   <li>for a dump, <b>pg_restore</b> into a new database, {@value #SCRATCH_DATABASE}, whatever the dump's database
 *       is called ({@code --exit-on-error --no-owner --no-privileges}, without {@code --create}: the database's own
 *       settings and comment are not restored, and the checks below do not depend on its name);
 *       for a base backup, the tar is extracted (symbolic links, hard links, special files and paths leaving the
 *       data directory are refused: a failed <b>extract</b> check), <b>pg_verifybackup</b> checks it against its
 *       {@code backup_manifest} and the WAL in it (PostgreSQL 15 verifies plain format only, hence the extraction;
 *       where the tool is not installed, drkit checks the files against the manifest itself, under the same check
 *       name, and says so in the check's detail: sizes, checksums, missing and extra files, the manifest's own
 *       SHA-256; the WAL is then read by the start's recovery only),
 *       and the cluster made from it by {@link PgCluster#restore} <b>start</b>s (crash recovery to the backup's
 *       end; no archive is touched: the backup's {@code postgresql.conf} and {@code postgresql.auto.conf} are left
 *       out, and {@code pg_hba.conf} trusts the unix socket only);</li>
 *   <li><b>row counts</b>: the number of tables, their exact rows and the per-table digest equal what was recorded
 *       at backup time ({@link PgLabels#COUNTS_SHA256}); skipped with the reason when none were recorded;</li>
 *   <li><b>schema</b>: the normalized description of relations, columns, indexes and constraints equals the one
 *       recorded ({@link PgLabels#SCHEMA_SHA256});</li>
 *   <li><b>amcheck</b>: {@code bt_index_check} on every valid btree index of every database checked, where the
 *       {@code amcheck} extension is installed (skipped otherwise).</li>
 * </ol>
 * A failed check is in the report, not thrown; later checks that need it are skipped. A globals backup is checked
 * by the restore step only. Reports are appended to the {@link RestoreVerificationHistory} when one is set. A failure
 * that says nothing about the backup (the store cannot be read, the scratch disk is full, the scratch cluster cannot
 * run) is thrown instead, and no report is made.
 *
 * <p>The checks query the scratch cluster with {@code psql}, and read only its standard output as data: a
 * {@code WARNING} or {@code NOTICE} the server sends (a collation version mismatch on connecting, say) goes to its
 * standard error, which is quoted only when {@code psql} fails.
 *
 * <p>Thread-safe: each run has its own scratch cluster.
 *
 * @since 0.1
 */
public final class PgRestoreVerifier {

    /**
     * What PostgreSQL and its tools print when a disk is full: strerror(ENOSPC), and the hint of a short write when
     * a relation could not be extended.
     */
    private static final List<String> DISK_FULL = List.of("No space left on device", "Check free disk space");
    private static final Logger log = LoggerFactory.getLogger(PgRestoreVerifier.class);
    /** The check of a base backup against its manifest, whichever program made it. */
    private static final String VERIFY_BACKUP = "pg_verifybackup";
    /** How a {@link #VERIFY_BACKUP} check made by drkit begins its detail. */
    static final String DRKIT_CHECKED = "pg_verifybackup is not installed, drkit checked the files against "
        + "backup_manifest";
    /**
     * The database a dump is restored into, whatever its own name: the scratch cluster's {@code initdb} already made
     * {@code postgres}, whose dump {@code --all} stores too.
     */
    static final String SCRATCH_DATABASE = "drkit_verify";

    private final BackupEngine engine;
    private final DecryptionKey key;
    private final Path scratchDirectory;
    private final @Nullable PgBinaries binaries;
    private final @Nullable RestoreVerificationHistory history;
    private final Duration toolTimeout;
    private final Clock clock;

    private PgRestoreVerifier(Builder b) {
        this.engine = b.engine;
        this.key = b.key;
        this.scratchDirectory = b.scratchDirectory;
        this.binaries = b.binaries;
        this.history = b.history == null ? null : RestoreVerificationHistory.at(b.history);
        this.toolTimeout = b.toolTimeout;
        this.clock = b.clock;
    }

    /** A builder for a verifier of backups in {@code engine}'s store, opened with {@code key}. */
    public static Builder builder(BackupEngine engine, DecryptionKey key) {
        return new Builder(engine, key);
    }

    /**
     * Restores backup {@code id} into a scratch cluster and checks it.
     *
     * @return the report (failed checks are in it); also appended to the history, if one is set
     * @throws dev.drkit.backup.store.NoSuchBackupException if there is no such backup
     * @throws dev.drkit.postgres.MissingToolException      if a PostgreSQL tool is missing ({@code pg_verifybackup}
     *                                                      excepted: drkit checks the manifest itself without it)
     * @throws dev.drkit.core.DrkitException                if the scratch directory or cluster cannot be created or
     *                                                      started, the store cannot be read, the scratch disk
     *                                                      cannot be written (it is full), or a query on the scratch
     *                                                      cluster fails for a reason other than the data (an
     *                                                      environment failure: no report is made)
     */
    public RestoreVerificationReport verify(String id) {
        Objects.requireNonNull(id, "id");
        Instant started = clock.instant();
        BackupManifest manifest = engine.info(id).manifest();
        SortedMap<String, String> labels = manifest.labels();
        String kind = labels.getOrDefault(PgLabels.KIND, "unknown");
        String database = labels.get(PgLabels.DATABASE);
        List<RestoreVerificationReport.Check> checks = new ArrayList<>();
        try {
            Files.createDirectories(scratchDirectory);
        } catch (IOException e) {
            // no verdict on the backup: nothing of it was read
            throw new EnvironmentException("PgRestoreVerifier: cannot prepare the scratch directory "
                + scratchDirectory + " for backup " + id + ": " + e, Map.of("file", scratchDirectory.toString(),
                "backupId", id), e);
        }
        run(id, manifest, kind, database, labels, checks);
        RestoreVerificationReport report = new RestoreVerificationReport(id, kind, database, manifest.finishedAt(),
            started, clock.instant(), checks);
        if (history != null) {
            history.append(report);
        }
        log.info("PgRestoreVerifier: backup {} ({}) {} in {} ms{}", id, kind, report.passed() ? "passed" : "FAILED",
            report.duration().toMillis(), report.passed() ? "" : ": " + report.failures().get(0).name());
        return report;
    }

    private void run(String id, BackupManifest manifest, String kind, @Nullable String database,
                     Map<String, String> labels, List<RestoreVerificationReport.Check> checks) {
        boolean dump = PgLabels.KIND_DUMP.equals(kind);
        boolean base = PgLabels.KIND_BASE_BACKUP.equals(kind);
        boolean globals = PgLabels.KIND_GLOBALS.equals(kind);
        if (!dump && !base && !globals) {
            checks.add(fail("restore", "backup " + id + " is not a PostgreSQL backup drkit made (its "
                + PgLabels.KIND + " label is " + labels.getOrDefault(PgLabels.KIND, "missing") + ")"));
            return;
        }
        if (globals) {
            // Nothing reads the SQL here: the restore's own checks are the verification. A dump is decrypted straight
            // into pg_restore below, a base backup into its extraction.
            long start = System.nanoTime();
            try {
                engine.restore(id, key, OutputStream.nullOutputStream());
                checks.add(pass("restore", manifest.plaintextBytes() + " bytes decrypted and checked in "
                    + millis(start) + " ms"));
                checks.add(skip("pg_restore", "a globals backup is SQL for psql; it is checked by the restore step"
                    + " only"));
            } catch (BackupException | IllegalArgumentException e) {
                checks.add(fail("restore", judgedFailure(e).getMessage()));
            }
            return;
        }
        PgBinaries bin = binaries != null ? binaries : PgBinaries.detect();
        // The cluster makes its own private directory under the scratch directory (kept short: it holds the socket).
        // Its socket timeout bounds each psql run: counting rows scans every table.
        PgClusterConfig config = PgClusterConfig.forTests().toBuilder().name("verify").binaries(bin)
            .baseDirectory(scratchDirectory).socketTimeout(toolTimeout).build();
        try (PgCluster cluster = dump ? PgCluster.start(config) : restoreBaseBackup(bin, config, id, manifest, checks)) {
            if (cluster == null) {
                return; // the failed check is in the report
            }
            Psql sql;
            List<String> databases;
            if (dump) {
                sql = new Psql(cluster, cluster.superuser());
                if (!restoreDump(bin, cluster, sql, database, id, manifest, checks)) {
                    return;
                }
                databases = List.of(SCRATCH_DATABASE);
            } else {
                String user = labels.getOrDefault(PgLabels.USER, "postgres");
                // the bootstrap superuser: a restored base backup keeps its own roles
                List<String> superuser = new Psql(cluster, user).lines("postgres",
                    "SELECT rolname FROM pg_roles WHERE oid = 10");
                sql = new Psql(cluster, superuser.size() == 1 && !superuser.get(0).isBlank() ? superuser.get(0) : user);
                databases = sql.databases();
            }
            compare(sql, databases, base, labels, checks);
            amcheck(sql, databases, checks);
        } catch (DrkitException e) {
            if (e.kind() != DrkitException.Kind.DATA) {
                // No verdict on the backup: the scratch cluster or a tool is what failed.
                throw e;
            }
            checks.add(fail("scratch cluster", e.getMessage()));
        }
    }

    /**
     * A dump, decrypted straight into {@code pg_restore}'s standard input: never written whole to disk, and the
     * restore overlaps the decryption. Its checksums are known only at the end: when they fail, the scratch
     * database is thrown away with the rest and only the restore's failure is reported. Whatever the dump's database
     * is called ({@code database}, for messages), it is restored into {@link #SCRATCH_DATABASE}: the scratch
     * cluster already has a {@code postgres}.
     */
    private boolean restoreDump(PgBinaries bin, PgCluster cluster, Psql sql, @Nullable String database, String id,
                                BackupManifest manifest, List<RestoreVerificationReport.Check> checks) {
        long start = System.nanoTime();
        sql.lines("postgres", "CREATE DATABASE " + SCRATCH_DATABASE);
        ToolRunner.Result result = ToolRunner.run(List.of(bin.tool("pg_restore", "restore verification").toString(),
            "--exit-on-error", "--no-owner", "--no-privileges", "--host=" + cluster.socketDirectory(),
            "--port=" + cluster.port(), "--username=" + cluster.superuser(), "--dbname=" + SCRATCH_DATABASE),
            ChildEnvironment.of(System.getenv(), null), toolTimeout, stdin -> engine.restore(id, key, stdin));
        if (result.exitCode() == -1) {
            // killed at the timeout, during the input or after it: it could not be checked, which says nothing of it
            throw new EnvironmentException("PgRestoreVerifier: pg_restore did not finish restoring backup " + id
                + " within the tool timeout of " + toolTimeout.toSeconds() + " s; no verdict on the backup: give it"
                + " more time (toolTimeout)", Map.of("backupId", id), result.inputFailure());
        }
        RuntimeException restoreFailure = result.inputFailure();
        if (restoreFailure != null) {
            checks.add(fail("restore", judgedFailure(restoreFailure).getMessage()));
            return false;
        }
        checks.add(pass("restore", manifest.plaintextBytes() + " bytes decrypted and checked in " + millis(start)
            + " ms, straight into pg_restore"));
        if (!result.succeeded()) {
            refuseVerdictOnAFullDisk(cluster, result.tail(5), id, "pg_restore restored");
            checks.add(fail("pg_restore", "exit code " + result.exitCode() + ": "
                + Text.oneLine(result.tail(5).replace('\n', ' '), 600)));
            return false;
        }
        checks.add(pass("pg_restore", "the dump of database '" + (database == null ? "?" : database)
            + "' restored into the scratch database " + SCRATCH_DATABASE + " in " + millis(start) + " ms"));
        return true;
    }

    /**
     * Throws when a tool's or the scratch server's failure is explained by a full scratch disk: that is no verdict on
     * the backup, and a FAIL in the history would send someone looking for damage that is not there. The scratch
     * server writes its messages in English ({@code lc_messages=C}), and its log is its own, new for this check.
     */
    private void refuseVerdictOnAFullDisk(PgCluster cluster, String toolOutput, String id, String during) {
        String serverLog;
        try {
            serverLog = cluster.logTail(20);
        } catch (RuntimeException e) {
            serverLog = "";
        }
        for (String text : List.of(toolOutput, serverLog)) {
            if (DISK_FULL.stream().anyMatch(text::contains)) {
                throw new EnvironmentException("PgRestoreVerifier: the scratch directory " + scratchDirectory
                    + " filled up while " + during + " backup " + id + "; no verdict on the backup: give the scratch"
                    + " directory more room (" + Text.oneLine(text.replace('\n', ' '), 400) + ")",
                    Map.of("file", scratchDirectory.toString(), "backupId", id), null);
            }
        }
    }

    /**
     * {@code failure}, when it is a verdict on the backup (a {@link DrkitException.Kind#DATA DATA} failure of the
     * restore: damage, a wrong key, a backup of a directory); anything else, such as a store that cannot be read, is
     * thrown: no check may fail for it.
     */
    private static RuntimeException judgedFailure(RuntimeException failure) {
        if (failure instanceof IllegalArgumentException
            || (failure instanceof BackupException e && e.kind() == DrkitException.Kind.DATA)) {
            return failure;
        }
        throw failure;
    }

    /**
     * Restores base backup {@code id} into a scratch cluster and starts it, or returns {@code null} with the failed
     * check added. The tar is extracted and checked by {@code pg_verifybackup} before {@link PgCluster#restore}
     * adjusts the copy ({@code pg_hba.conf} and the other files it rewrites are in the backup's manifest).
     */
    private @Nullable PgCluster restoreBaseBackup(PgBinaries bin, PgClusterConfig config, String id,
                                                  BackupManifest manifest,
                                                  List<RestoreVerificationReport.Check> checks) {
        @Nullable Path verifyBackup = bin.findTool(VERIFY_BACKUP).orElse(null);
        if (verifyBackup == null) {
            log.info("PgRestoreVerifier: {} is not in {}; drkit checks base backup {} against its backup_manifest "
                + "itself", VERIFY_BACKUP, bin.binDirectory(), id);
        }
        boolean[] verified = {false};
        PgCluster cluster;
        try {
            cluster = PgCluster.restore(config, data -> {
                writeVerifiedCopy(verifyBackup, id, manifest, data, checks);
                verified[0] = true;
            });
        } catch (PostgresException e) {
            if (e.getCause() instanceof CheckFailedException) {
                return null;
            }
            if (!verified[0] || e.getCause() instanceof IOException) {
                throw e; // no verdict: a file system failure (a full scratch disk) adjusting the copy
            }
            checks.add(fail("start", "cannot prepare the restored data directory: "
                + Text.oneLine(e.getMessage(), 1500)));
            return null;
        }
        long startedAt = System.nanoTime();
        try {
            cluster.start();
        } catch (DrkitException e) {
            try {
                refuseVerdictOnAFullDisk(cluster, String.valueOf(e.getMessage()), id, "the server recovered");
            } catch (EnvironmentException full) {
                cluster.close();
                throw full;
            }
            cluster.close();
            checks.add(fail("start", Text.oneLine(e.getMessage(), 1500)));
            return null;
        }
        checks.add(pass("start", "the server started from the backup (recovered to its end) in "
            + millis(startedAt) + " ms"));
        return cluster;
    }

    /**
     * The {@link dev.drkit.postgres.DataDirectoryWriter} of a base backup: decrypts backup {@code id} straight into
     * the extraction of its tar into {@code data} (refusing links and paths that leave it), runs
     * {@code pg_verifybackup} on the extraction (drkit's own check of the manifest when {@code verifyBackup} is null),
     * then leaves the backup's own configuration out, so no setting of the
     * source (an {@code archive_command}) runs here. The tar is never written whole to disk. Its checksums are known
     * only at its end, so a failed restore is what is reported, whatever the extraction made of the data.
     *
     * @throws CheckFailedException if the restore, the extraction or {@code pg_verifybackup} failed; the failed check
     *                              is added
     */
    private void writeVerifiedCopy(@Nullable Path verifyBackup, String id, BackupManifest manifest, Path data,
                                   List<RestoreVerificationReport.Check> checks) throws IOException {
        long start = System.nanoTime();
        long files = -1;
        @Nullable IOException extractFailure = null;
        @Nullable IOException writeFailure = null;
        @Nullable RuntimeException restoreFailure;
        try (StoredBaseBackup.RestoreStream tar = new StoredBaseBackup(engine, id, key).openRestore()) {
            try {
                files = BaseBackupFiles.extractTar(new BufferedInputStream(tar, 1 << 16), data);
            } catch (BaseBackupFiles.TargetWriteException e) {
                writeFailure = e; // the scratch disk, not the backup
            } catch (IOException e) {
                extractFailure = e;
            } catch (RuntimeException e) {
                extractFailure = new IOException(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
            }
            // after a failed extraction too: the restore's checksums are judged at the end of the backup
            restoreFailure = tar.readToEndAndJudge();
        }
        if (restoreFailure != null) {
            // A backup of a directory labelled as a base backup is refused by the engine: a failed check too.
            checks.add(fail("restore", judgedFailure(restoreFailure).getMessage()));
            throw new CheckFailedException(restoreFailure);
        }
        if (writeFailure != null) {
            // thrown as it is: PgCluster.restore makes it an environment failure, and no check fails for it
            throw writeFailure;
        }
        checks.add(pass("restore", manifest.plaintextBytes() + " bytes decrypted and checked in " + millis(start)
            + " ms, straight into the extraction"));
        if (extractFailure != null) {
            checks.add(fail("extract", "the base backup's tar cannot be extracted: " + extractFailure.getMessage()));
            throw new CheckFailedException(extractFailure);
        }
        if (!Files.isRegularFile(data.resolve("backup_manifest"), LinkOption.NOFOLLOW_LINKS)) {
            checks.add(fail(VERIFY_BACKUP, "the base backup holds no backup_manifest"));
            throw new CheckFailedException(null);
        }
        if (verifyBackup == null) {
            checkManifestByDrkit(data, files, start, checks);
        } else {
            runVerifyBackup(verifyBackup, data, files, start, checks);
        }
        Files.writeString(data.resolve("postgresql.conf"), "# The backup's own configuration is left out by drkit's "
            + "restore verification.\n", StandardCharsets.UTF_8);
        Files.writeString(data.resolve("postgresql.auto.conf"), "# emptied by drkit's restore verification\n",
            StandardCharsets.UTF_8);
        // Recovery would otherwise create links to the source's tablespace directories.
        Files.deleteIfExists(data.resolve("tablespace_map"));
    }

    /** {@code pg_verifybackup} on the extraction {@code data}: its files against the manifest, and the WAL in it. */
    private void runVerifyBackup(Path verifyBackup, Path data, long files, long start,
                                 List<RestoreVerificationReport.Check> checks) throws IOException {
        List<String> command = new ArrayList<>(List.of(verifyBackup.toString()));
        if (!Files.isDirectory(data.resolve("pg_wal"), LinkOption.NOFOLLOW_LINKS)) {
            command.add("--no-parse-wal");
        }
        command.add(data.toString());
        ToolRunner.Result verified = ToolRunner.run(command, ChildEnvironment.of(System.getenv(), null), toolTimeout);
        if (!verified.succeeded()) {
            checks.add(fail(VERIFY_BACKUP, "exit code " + verified.exitCode() + ": "
                + Text.oneLine(verified.tail(5).replace('\n', ' '), 600)));
            throw new CheckFailedException(null);
        }
        checks.add(pass(VERIFY_BACKUP, files + " files extracted; " + Text.oneLine(verified.tail(1), 200)
            + " (" + millis(start) + " ms)"));
    }

    /**
     * Where {@code pg_verifybackup} is not installed: the checks it makes of the files, made by drkit
     * ({@link BaseBackup#read(Path, boolean)}: every file's presence, size and checksum, files the manifest does not
     * list, the manifest's own SHA-256, and the label against the manifest). The WAL is not parsed here; the start's
     * recovery reads it to the backup's end. Reported under the same check name, with a detail that says so.
     */
    private static void checkManifestByDrkit(Path data, long files, long start,
                                             List<RestoreVerificationReport.Check> checks) throws IOException {
        List<String> problems;
        try {
            problems = BaseBackup.read(data, true).problems();
        } catch (BaseBackup.UnreadableBackupException e) {
            problems = List.of(e.getMessage());
        } catch (IllegalArgumentException e) {
            problems = List.of("backup_manifest is unreadable: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            checks.add(fail(VERIFY_BACKUP, DRKIT_CHECKED + ": " + problems.size()
                + (problems.size() == 1 ? " problem: " : " problems: ") + Text.oneLine(String.join("; ", problems), 600)));
            throw new CheckFailedException(null);
        }
        checks.add(pass(VERIFY_BACKUP, files + " files extracted; " + DRKIT_CHECKED + ": every file's size and "
            + "checksum match, none is missing or extra, the manifest's checksum matches; the WAL is read by the start"
            + " (" + millis(start) + " ms)"));
    }

    /** A check of the copy failed while it was written; the check is in the report. */
    private static final class CheckFailedException extends IOException {
        private static final long serialVersionUID = 1L;

        CheckFailedException(@Nullable Throwable cause) {
            super("a check of the base backup failed", cause);
        }
    }

    private void compare(Psql sql, List<String> databases, boolean base, Map<String, String> labels,
                         List<RestoreVerificationReport.Check> checks) {
        Map<String, Catalog.Facts> byDatabase = new TreeMap<>();
        try {
            for (String db : databases) {
                byDatabase.put(db, sql.facts(db));
            }
        } catch (DrkitException e) {
            checks.add(fail("row counts", "cannot count rows: " + e.getMessage()));
            checks.add(skip("schema", "the catalog could not be read"));
            return;
        }
        Catalog.Facts found = base ? Catalog.combine(byDatabase) : byDatabase.values().iterator().next();
        String recordedDigest = labels.get(PgLabels.COUNTS_SHA256);
        if (recordedDigest == null) {
            checks.add(skip("row counts", "no counts were recorded at backup time ("
                + labels.getOrDefault(PgLabels.COUNTS_SKIPPED, "no reason recorded") + "); restored: "
                + found.tables() + " tables, " + found.rows() + " rows"));
        } else if (recordedDigest.equals(found.countsDigest())) {
            checks.add(pass("row counts", found.tables() + " tables, " + found.rows() + " rows, as recorded"
                + (base ? " (" + databases.size() + " databases)" : "")));
        } else {
            checks.add(fail("row counts", "recorded " + labels.getOrDefault(PgLabels.TABLES, "?") + " tables and "
                + labels.getOrDefault(PgLabels.ROWS, "?") + " rows, restored " + found.tables() + " tables and "
                + found.rows() + " rows" + (String.valueOf(found.rows()).equals(labels.get(PgLabels.ROWS))
                && String.valueOf(found.tables()).equals(labels.get(PgLabels.TABLES))
                ? " (the totals agree, but rows moved between tables)" : "")));
        }
        String recordedSchema = labels.get(PgLabels.SCHEMA_SHA256);
        if (recordedSchema == null) {
            checks.add(skip("schema", "no schema digest was recorded at backup time"));
        } else if (recordedSchema.equals(found.schemaDigest())) {
            checks.add(pass("schema", "tables, columns, types, indexes and constraints as recorded"));
        } else {
            checks.add(fail("schema", "the restored schema (tables, columns, types, indexes or constraints) differs "
                + "from the one recorded at backup time"));
        }
    }

    private void amcheck(Psql sql, List<String> databases, List<RestoreVerificationReport.Check> checks) {
        long start = System.nanoTime();
        try {
            if (sql.count("postgres", "SELECT count(*) FROM pg_available_extensions WHERE name = 'amcheck'") == 0) {
                checks.add(skip("amcheck", "the amcheck extension is not installed (postgresql-contrib)"));
                return;
            }
        } catch (DrkitException e) {
            checks.add(skip("amcheck", "cannot tell whether amcheck is installed: " + e.getMessage()));
            return;
        }
        long indexes = 0;
        for (String db : databases) {
            try {
                sql.lines(db, "CREATE EXTENSION IF NOT EXISTS amcheck");
                indexes += sql.count(db, Catalog.AMCHECK);
            } catch (DrkitException e) {
                checks.add(fail("amcheck", "database '" + db + "': " + e.getMessage()));
                return;
            }
        }
        checks.add(pass("amcheck", indexes + " btree indexes in " + databases.size() + " database"
            + (databases.size() == 1 ? "" : "s") + " checked (bt_index_check) in " + millis(start) + " ms"));
    }

    /**
     * SQL on the scratch cluster as {@code role}, with {@code psql} over its unix socket: a restored base backup keeps
     * its own roles and passwords, which drkit does not know. Only {@code psql}'s standard output is read as rows; its
     * standard error (a {@code WARNING} on connecting, a {@code NOTICE}) is kept for the message when it fails.
     */
    private record Psql(PgCluster cluster, String role) {

        private static final Pattern COUNT = Pattern.compile("\\d{1,18}");
        private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

        /** The output's lines, one a row (columns separated by {@code |}). */
        List<String> lines(String database, String sql) {
            List<String> lines = new ArrayList<>();
            for (String line : run(database, sql).split("\n")) {
                if (!line.isEmpty()) {
                    lines.add(line);
                }
            }
            return lines;
        }

        /** The databases a base backup's facts cover ({@link Catalog#DATABASES}), whatever characters their names hold. */
        List<String> databases() {
            List<String> names = new ArrayList<>();
            for (String hex : lines("postgres", "SELECT encode(convert_to(datname, 'UTF8'), 'hex') FROM ("
                + Catalog.DATABASES + ") d")) {
                if (!hex.matches("([0-9a-f]{2})+")) {
                    throw unexpected("a database name in hexadecimal", hex);
                }
                names.add(new String(HexFormat.of().parseHex(hex), StandardCharsets.UTF_8));
            }
            return names;
        }

        /** The one row of a query that returns one, checked against {@code columns}. */
        List<String> row(String database, String sql, String what, Pattern... columns) {
            List<String> lines = lines(database, sql);
            if (lines.size() != 1) {
                throw unexpected(what, String.join("\n", lines));
            }
            List<String> values = Arrays.asList(lines.get(0).split("\\|", -1));
            if (values.size() != columns.length) {
                throw unexpected(what, lines.get(0));
            }
            for (int i = 0; i < columns.length; i++) {
                if (!columns[i].matcher(values.get(i)).matches()) {
                    throw unexpected(what, lines.get(0));
                }
            }
            return values;
        }

        /** A count: the one row of {@code sql}, one column. */
        long count(String database, String sql) {
            return Long.parseLong(row(database, sql, "a count", COUNT).get(0));
        }

        /** One database's facts. */
        Catalog.Facts facts(String database) {
            return Catalog.facts(row(database, Catalog.COUNTS, "tables, rows and their digest", COUNT, COUNT, SHA256),
                row(database, Catalog.SCHEMA, "the schema digest", SHA256).get(0));
        }

        private PostgresException unexpected(String what, String printed) {
            return new PostgresException("psql on the scratch cluster printed \"" + Text.oneLine(printed, 200)
                + "\" where " + what + " was expected", cluster.name(), cluster.host(), cluster.port(),
                cluster.dataDirectory(), null, null);
        }

        /**
         * What {@code psql -A -t} prints on its standard output for {@code sql} on {@code database} (never its
         * standard error), through {@link PgCluster#psql}, whose socket timeout, the tool timeout, bounds it.
         *
         * @throws PostgresException if psql fails or runs longer than the timeout; the message has its error output
         */
        private String run(String database, String sql) {
            return cluster.psql(role, database, sql);
        }
    }


    private static RestoreVerificationReport.Check pass(String name, String detail) {
        return new RestoreVerificationReport.Check(name, StepOutcome.PASS, detail);
    }

    private static RestoreVerificationReport.Check fail(String name, String detail) {
        return new RestoreVerificationReport.Check(name, StepOutcome.FAIL, detail);
    }

    private static RestoreVerificationReport.Check skip(String name, String detail) {
        return new RestoreVerificationReport.Check(name, StepOutcome.SKIP, detail);
    }

    private static long millis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /**
     * Builds a {@link PgRestoreVerifier}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {
        private final BackupEngine engine;
        private final DecryptionKey key;
        private Path scratchDirectory = Path.of(System.getProperty("java.io.tmpdir"));
        private @Nullable PgBinaries binaries;
        private @Nullable Path history;
        private Duration toolTimeout = Duration.ofHours(6);
        private Clock clock = Clock.systemUTC();

        private Builder(BackupEngine engine, DecryptionKey key) {
            this.engine = Objects.requireNonNull(engine, "engine");
            this.key = Objects.requireNonNull(key, "key");
        }

        /**
         * Where scratch clusters and restored files go (needs room for the restored database: a dump goes
         * straight into {@code pg_restore} and a base backup's tar into its extraction); default
         * {@code java.io.tmpdir}. When the JVM runs as root, the server runs as an unprivileged user, which must be
         * able to enter this directory.
         */
        public Builder scratchDirectory(Path directory) {
            this.scratchDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /** The PostgreSQL binaries of the scratch cluster and tools; default {@link PgBinaries#detect()}. */
        public Builder binaries(PgBinaries binaries) {
            this.binaries = Objects.requireNonNull(binaries, "binaries");
            return this;
        }

        /** A file to append each report to as a JSON line; none by default. */
        public Builder history(Path file) {
            this.history = Objects.requireNonNull(file, "file");
            return this;
        }

        /** The longest a tool (pg_restore, pg_verifybackup, a count) may run; default 6 hours. */
        public Builder toolTimeout(Duration timeout) {
            this.toolTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** The clock for the report's times; default UTC. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The verifier. */
        public PgRestoreVerifier build() {
            return new PgRestoreVerifier(this);
        }
    }
}
