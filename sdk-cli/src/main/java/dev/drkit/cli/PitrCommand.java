package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.postgres.ArchiveReport;
import dev.drkit.backup.postgres.PgLabels;
import dev.drkit.backup.postgres.PitrDrill;
import dev.drkit.backup.postgres.PitrDrillException;
import dev.drkit.backup.postgres.PitrDrillReport;
import dev.drkit.backup.postgres.WalArchive;
import dev.drkit.backup.postgres.WalArchiveVerifier;
import dev.drkit.backup.postgres.WalReadAhead;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.core.DrkitException;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.secret.CredentialFiles;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.ServerSideJava;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code drkit pitr}: point-in-time recovery checks. {@code drkit pitr verify} walks a WAL archive (a plain
 * directory as {@code archive_command = 'cp %p DIR/%f'} makes it, or drkit's own encrypted WAL store as
 * {@code drkit wal-push} makes it) from a plain-format base backup to its newest
 * segment and exits 0 when it is intact (and a target time, if given, is reachable), 1 on any fault, 2 on a usage
 * error, 3 when the archive or the backup cannot be read at all. {@code drkit pitr drill} restores a base backup into
 * a scratch cluster, replays the archive to a target time, checks known facts there and exits 0 when they all
 * match, 1 when a check fails or the target cannot be reached, 2 on a usage error, 3 when PostgreSQL is missing or
 * the scratch server fails.
 */
@Command(name = "pitr", mixinStandardHelpOptions = true,
    description = "Point-in-time recovery checks of a PostgreSQL WAL archive and base backup.",
    subcommands = {PitrCommand.Verify.class, PitrCommand.Drill.class})
final class PitrCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw Drkit.missingSubcommand(spec);
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)?");
    /** The names of a plain archive's files: segments (and their {@code .partial}), history and backup files. */
    private static final Pattern PLAIN_ARCHIVE_FILE =
        Pattern.compile("[0-9A-F]{24}(\\.partial|\\.[0-9A-F]{8}\\.backup)?|[0-9A-F]{8}\\.history");
    /** The usage error of key options with a plain archive and no stored base backup, the same for verify and drill. */
    static final String KEYS_FOR_PLAIN_ARCHIVE = "the key options apply only to an --archive that is a drkit WAL store"
        + " or a --base-backup-store";

    /** A time with a zone, ISO-8601 or with a space before the time; a usage error otherwise. */
    static Instant parseInstant(CommandSpec spec, String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(text.replace(' ', 'T')).toInstant();
            } catch (DateTimeParseException e2) {
                throw usage(spec, "--target-time must be a time with a zone, such as 2026-11-23T14:05:00Z, but was \""
                    + text + "\"");
            }
        }
    }

    /** {@code 90s}, {@code 1500ms}, {@code 5m}, {@code 1h}, {@code 2d} or ISO-8601; a usage error otherwise. */
    static Duration parseDuration(CommandSpec spec, String option, String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (m.matches() && m.group(1).length() <= 9) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            switch (unit) {
                case "ms":
                    return Duration.ofMillis(n);
                case "m":
                    return Duration.ofMinutes(n);
                case "h":
                    return Duration.ofHours(n);
                case "d":
                    return Duration.ofDays(n);
                default:
                    return Duration.ofSeconds(n);
            }
        }
        try {
            Duration d = Duration.parse(text);
            if (!d.isNegative()) {
                return d;
            }
        } catch (DateTimeParseException e) {
            // fall through to the usage error
        }
        throw usage(spec, option + " must be a duration such as 90s, 5m or 1h, but was \"" + text + "\"");
    }

    /** Whether {@code file} is at or under {@code directory}, links resolved where the paths exist. */
    static boolean isInside(Path file, Path directory) {
        return StoreOptions.realEntry(file).startsWith(StoreOptions.realPath(directory));
    }

    private static CommandLine.ParameterException usage(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * The engine over {@code backups} for the stored base backup {@code id}; an id that is not a store name, or a
     * backup that is not a base backup (a dump, a file), is a usage error naming what it is.
     */
    static BackupEngine storedBaseBackup(CommandSpec spec, BackupStore backups, String id) {
        try {
            new BackupIdConverter().convert(id);
        } catch (CommandLine.TypeConversionException e) {
            throw usage(spec, "--base-backup with --base-backup-store takes a backup id: " + e.getMessage());
        }
        BackupEngine engine = BackupEngine.builder(backups).build();
        String kind = engine.info(id).manifest().labels().get(PgLabels.KIND);
        if (!PgLabels.KIND_BASE_BACKUP.equals(kind)) {
            throw usage(spec, "--base-backup: backup " + id + " in " + backups.location() + " is not a base backup"
                + " (its " + PgLabels.KIND + " label is " + (kind == null ? "missing" : "\"" + kind + "\"")
                + "); drkit pg backup --base-backup stores one");
        }
        return engine;
    }

    /** {@code drkit pitr verify}. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Walks the WAL records of an archive directory from a plain-format base backup's start to the"
            + " newest segment, across timelines: segments present and whole, page headers, record CRC-32C and"
            + " links, timeline history files; then says whether a target time is reachable and what the RPO is.",
            "Exit 0 when everything checks out, 1 on any fault or an unreachable target."})
    static final class Verify implements Callable<Integer> {


        @Spec
        CommandSpec spec;

        @Option(names = "--archive", required = true, paramLabel = "DIR|URI",
            description = "The WAL archive: a plain directory (segment, .history, .backup and .partial files), or a"
                + " drkit WAL store (drkit wal-push) read with the key options: a directory or s3://bucket/prefix"
                + " (with the --s3-* options). Nothing is written into it.")
        String archive;

        @Mixin
        S3Options s3 = new S3Options();

        @Mixin
        KeyOptions keys;

        @Option(names = "--identity", paramLabel = "KEYFILE",
            description = "For a drkit WAL store pushed to public-key recipients: the private key (mode 0600); the"
                + " passphrase options unlock it if it is protected.")
        @Nullable Path identity;

        @Option(names = "--base-backup", paramLabel = "DIR|ID",
            description = "The plain-format base backup (pg_basebackup -Fp) with backup_label and backup_manifest;"
                + " with --base-backup-store, the id of a base backup drkit stored there (drkit pg backup"
                + " --base-backup), read as a stream with the key options.")
        String baseBackup;

        @Option(names = "--base-backup-store", paramLabel = "URI",
            description = "The backup store that holds the --base-backup ID: a directory, a file: URI or"
                + " s3://bucket/prefix (with the --s3-* options). It may differ from the WAL store; the same key"
                + " options open both. Nothing is written into it.")
        @Nullable String baseBackupStore;

        @Option(names = "--target-time", paramLabel = "T",
            description = "A recovery target time to give a verdict on, e.g. 2026-11-23T14:05:00Z.")
        String targetTime;

        @Option(names = "--rpo", paramLabel = "DURATION",
            description = "The RPO the archive must meet, e.g. 5m; a larger measured RPO is a fault.")
        String rpo;

        @Option(names = "--archive-timeout", paramLabel = "DURATION",
            description = "The server's archive_timeout (0 if off), to warn when it cannot meet --rpo.")
        String archiveTimeout;

        @Option(names = "--primary-timeline", paramLabel = "N",
            description = "The primary's current timeline: newer history files in the archive are a fault.")
        Integer primaryTimeline;

        @Option(names = "--state", paramLabel = "FILE",
            description = "Where to keep the walk's position, so the next run reads only new WAL; never in the"
                + " archive. If it cannot be saved, the run says so in a warning and its result stands.")
        Path state;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            boolean s3Archive = StoreOptions.isS3(archive);
            boolean s3BaseStore = baseBackupStore != null && StoreOptions.isS3(baseBackupStore);
            if (!s3Archive && !s3BaseStore && s3.given()) {
                throw usage(spec, "--s3-endpoint, --s3-region and --s3-path-style apply only to an s3:// --archive"
                    + " or --base-backup-store");
            }
            if (baseBackupStore != null && baseBackup == null) {
                throw usage(spec, "--base-backup-store needs --base-backup ID: the id of the base backup in it");
            }
            if (!s3Archive && archive.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
                throw usage(spec, "--archive: unknown scheme in " + StoreOptions.hideUserInfo(archive)
                    + "; use a directory path or s3://bucket/prefix (a drkit WAL store)");
            }
            Path directory = s3Archive ? null : Path.of(archive);
            if (state != null && directory != null && isInside(state, directory)) {
                // the archive is only read (it may be a read-only mount), and a file of drkit's there would sit
                // among the server's WAL
                throw usage(spec, "--state " + state + " is in the archive " + directory + ": keep it outside, as"
                    + " nothing is written into the archive");
            }
            boolean keyGiven = keys.given() || identity != null;
            // what the directory holds decides, not whether a key was given: a key meant for a stored base backup,
            // or given by habit, must not make a plain archive read as an empty store (every segment "missing")
            boolean store = s3Archive || isWalStore(directory)
                || keyGiven && baseBackupStore == null && !isPlainArchive(directory);
            if (!store && keyGiven && baseBackupStore == null) {
                throw usage(spec, KEYS_FOR_PLAIN_ARCHIVE);
            }
            if (store && !keyGiven) {
                throw usage(spec, "--archive " + StoreOptions.hideUserInfo(archive) + " is a drkit WAL store: give"
                    + " --passphrase-file, --passphrase-env or --identity to read it");
            }
            if (baseBackupStore != null && !keyGiven) {
                throw usage(spec, "--base-backup-store: give --passphrase-file, --passphrase-env or --identity to read"
                    + " the stored base backup");
            }
            WalArchiveVerifier.Builder builder = WalArchiveVerifier.builder();
            if (directory != null) {
                builder.archive(directory);
            }
            if (baseBackup != null && baseBackupStore == null) {
                builder.baseBackup(Path.of(baseBackup));
            }
            if (state != null) {
                builder.stateFile(state);
            }
            if (targetTime != null) {
                builder.targetTime(parseInstant(spec, targetTime));
            }
            if (rpo != null) {
                Duration d = parseDuration(spec, "--rpo", rpo);
                if (d.isZero()) {
                    throw usage(spec, "--rpo must be positive, but was \"" + rpo + "\"");
                }
                builder.rpoTarget(d);
            }
            if (archiveTimeout != null) {
                builder.archiveTimeout(parseDuration(spec, "--archive-timeout", archiveTimeout));
            }
            if (primaryTimeline != null) {
                if (primaryTimeline <= 0) {
                    throw usage(spec, "--primary-timeline must be positive, but was " + primaryTimeline);
                }
                builder.primaryTimeline(primaryTimeline);
            }
            ArchiveReport report;
            // read-only: a mounted backup or a directory this process may not write is verified all the same
            try (KeyOptions.ForRestore key = keyGiven ? keys.forRestore(spec, identity) : null;
                 BackupStore backups = baseBackupStore == null ? null : StoreOptions.open(spec, "--base-backup-store",
                     baseBackupStore, s3BaseStore ? s3 : new S3Options(), true);
                 BackupStore wal = store ? StoreOptions.open(spec, "--archive", archive,
                     s3Archive ? s3 : new S3Options(), true) : null) {
                if (backups != null) {
                    builder.baseBackup(storedBaseBackup(spec, backups, baseBackup), baseBackup, key.key());
                }
                if (wal != null) {
                    builder.archive(WalArchive.builder(wal).decryptionKey(key.key()).build());
                }
                report = builder.build().verify();
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(json ? report.toJson() : report.toText().stripTrailing());
            out.flush();
            if (!report.ok()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println(spec.qualifiedName() + ": " + report.faults().size() + " fault(s); first: "
                    + report.faults().get(0).message());
                err.flush();
                return ExitCodes.DATA;
            }
            return ExitCodes.OK;
        }

        /**
         * A directory holding at least one file of a plain archive, as {@code cp} or {@code pg_receivewal} leaves
         * it: a WAL segment ({@code .partial} too), a timeline history file or a backup history file.
         */
        static boolean isPlainArchive(@Nullable Path dir) {
            if (dir == null || !Files.isDirectory(dir)) {
                return false;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    if (PLAIN_ARCHIVE_FILE.matcher(entry.getFileName().toString()).matches()
                        && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                        return true;
                    }
                }
            } catch (IOException e) {
                return false; // the verifier reports what it cannot read
            }
            return false;
        }

        /** A directory holding at least one drkit WAL store entry (a subdirectory with its record). */
        static boolean isWalStore(@Nullable Path dir) {
            if (dir == null || !Files.isDirectory(dir)) {
                return false;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    if (Files.isRegularFile(entry.resolve(WalArchive.META_OBJECT), LinkOption.NOFOLLOW_LINKS)) {
                        return true;
                    }
                }
            } catch (IOException e) {
                return false; // the verifier reports what it cannot read
            }
            return false;
        }
    }

    /** {@code drkit pitr drill}. */
    @Command(name = "drill", mixinStandardHelpOptions = true,
        description = {"Restores a base backup into a scratch PostgreSQL cluster (127.0.0.1, a free port, a temporary"
            + " directory), replays WAL to a target time with recovery_target_action=pause and archive_mode=off,"
            + " confirms replay paused there, runs the checks, then stops and deletes the scratch cluster.",
            "Exit 0 when every check matches; 1 when a check fails or the target cannot be reached; 3 when"
            + " PostgreSQL is missing or the scratch server fails."})
    static final class Drill implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
        BaseBackupSource baseBackup;

        static final class BaseBackupSource {
            @Option(names = "--base-backup", required = true, paramLabel = "DIR|ID",
                description = "A plain-format base backup (pg_basebackup -Fp); with --base-backup-store, the id of a"
                    + " base backup drkit stored there (drkit pg backup --base-backup), decrypted with the key options"
                    + " straight into the scratch cluster.")
            String directory;

            @Option(names = "--base-backup-tar", required = true, paramLabel = "FILE",
                description = "The tar stream of pg_basebackup -D - -Ft -X fetch, or - for standard input.")
            String tar;
        }

        @Option(names = "--base-backup-store", paramLabel = "URI",
            description = "The backup store that holds the --base-backup ID: a directory, a file: URI or"
                + " s3://bucket/prefix (with the --s3-* options). It may differ from the WAL store; the same key"
                + " options open both. Nothing is written into it.")
        @Nullable String baseBackupStore;

        @Mixin
        S3Options s3 = new S3Options();

        @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
        WalSource wal;

        static final class WalSource {
            @Option(names = "--archive", required = true, paramLabel = "DIR",
                description = "The WAL archive: a plain directory, which the scratch server copies from with cp, or"
                    + " a drkit WAL store directory (drkit wal-push), which it reads through drkit wal-fetch with the"
                    + " key options; the server's user must be able to read it. Nothing is written into it.")
            Path archive;

            @Option(names = "--restore-command", required = true, paramLabel = "CMD",
                description = "A restore_command with %%f and %%p, such as 'drkit wal-fetch --store ... %%f %%p'.")
            String restoreCommand;
        }

        @Option(names = "--target-time", required = true, paramLabel = "T",
            description = "The time to recover to, e.g. 2026-11-23T14:05:00Z.")
        String targetTime;

        @Mixin
        KeyOptions keys;

        @Option(names = "--identity", paramLabel = "KEYFILE",
            description = "For an --archive that is a drkit WAL store pushed to public-key recipients: the private key"
                + " (mode 0600); the passphrase options unlock it if it is protected.")
        @Nullable Path identity;

        @Option(names = "--target-timeline", paramLabel = "TLI", defaultValue = "latest",
            description = "latest (default), current or a timeline number.")
        String targetTimeline;

        @CommandLine.ArgGroup(exclusive = false, multiplicity = "0..*")
        List<SqlCheck> checks = new ArrayList<>();

        static final class SqlCheck {
            @Option(names = "--check-sql", required = true, paramLabel = "SQL",
                description = "A query to run at the target; its psql -A -t output must equal --expect.")
            String sql;

            @Option(names = "--expect", required = true, paramLabel = "VALUE",
                description = "The expected output of the --check-sql before it.")
            String expected;
        }

        @Option(names = "--expect-rows", paramLabel = "TABLE=N",
            description = "A table and its exact row count at the target; repeatable.")
        List<String> expectRows = new ArrayList<>();

        @Option(names = "--database", paramLabel = "NAME", defaultValue = PitrDrill.DEFAULT_DATABASE,
            description = "The database the checks run in (default postgres).")
        String database;

        @Option(names = "--user", paramLabel = "ROLE", defaultValue = PitrDrill.DEFAULT_USER,
            description = "The role the checks connect as (default postgres).")
        String user;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30m",
            description = "How long replay may take to pause at the target (default 30m).")
        String timeout;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            // The whole command line is checked before anything is opened: a mistyped time or table must not cost a
            // passphrase prompt (twice, with a stored base backup) or a store's round trips.
            PitrDrill.Builder builder = drillSettings();
            boolean keyGiven = keys.given() || identity != null;
            if (baseBackupStore != null && baseBackup.directory == null) {
                throw usage(spec, "--base-backup-store needs --base-backup ID: the id of the base backup in it");
            }
            if (baseBackupStore != null && !keyGiven) {
                throw usage(spec, "--base-backup-store: give --passphrase-file, --passphrase-env or --identity to read"
                    + " the stored base backup");
            }
            if (s3.given() && (baseBackupStore == null || !StoreOptions.isS3(baseBackupStore))) {
                throw usage(spec, "--s3-endpoint, --s3-region and --s3-path-style apply only to an s3://"
                    + " --base-backup-store");
            }
            boolean keysForWal = keyGiven && baseBackupStore == null;
            if (wal.archive != null && wal.archive.toString().matches("[A-Za-z][A-Za-z0-9+.-]*:/.*")) {
                throw usage(spec, "--archive of a drill is a directory; for an S3 WAL store give --restore-command"
                    + " 'drkit wal-fetch --store s3://bucket/prefix --passphrase-file FILE %f %p'");
            }
            boolean walStore = wal.archive != null && (Verify.isWalStore(wal.archive)
                || keysForWal && !Verify.isPlainArchive(wal.archive));
            if (walStore && !keys.given() && identity == null) {
                throw usage(spec, "--archive " + wal.archive + " is a drkit WAL store: give --passphrase-file,"
                    + " --passphrase-env or --identity to read it");
            }
            if (!walStore && keysForWal) {
                throw usage(spec, KEYS_FOR_PLAIN_ARCHIVE);
            }
            try (KeyOptions.ForRestore key = baseBackupStore != null ? keys.forRestore(spec, identity) : null;
                 BackupStore backups = baseBackupStore == null ? null : StoreOptions.open(spec, "--base-backup-store",
                     baseBackupStore, s3, true)) {
                if (backups != null) {
                    builder.baseBackup(storedBaseBackup(spec, backups, baseBackup.directory), baseBackup.directory,
                        key.key());
                }
                return drill(builder, walStore);
            } catch (CommandLine.ParameterException e) {
                throw e;   // a usage error: nothing ran, and nothing is reported on standard output
            } catch (RuntimeException | Error e) {
                // stdout still gets one answer, so a --json caller always reads an object, also when the drill could
                // not start (a wrong key, a store out of reach) or drkit failed in a way it did not foresee; the
                // message goes to standard error as for any failure
                DrkitException failure = e instanceof DrkitException d ? d : new Unforeseen(e);
                PrintWriter out = spec.commandLine().getOut();
                out.println(json ? PitrDrillReport.failureJson(failure) : "FAILED: " + (failure instanceof
                    PitrDrillException d ? d.reason().name() : failure.kind().name())
                    + " (the drill made no report: see standard error)");
                out.flush();
                throw e;
            }
        }

        /** The drill's settings that come from the command line alone; a usage error if one is wrong. */
        private PitrDrill.Builder drillSettings() {
            Duration limit = parseDuration(spec, "--timeout", timeout);
            if (limit.isZero()) {
                throw usage(spec, "--timeout must be positive, but was \"" + timeout + "\"");
            }
            if (limit.compareTo(PitrDrill.MAX_TIMEOUT) > 0) {
                throw usage(spec, "--timeout must be at most " + PitrDrill.MAX_TIMEOUT.toDays() + "d, but was \""
                    + timeout + "\"");
            }
            PitrDrill.Builder builder = PitrDrill.builder().timeout(limit).targetTime(parseInstant(spec, targetTime));
            try {
                builder.targetTimeline(targetTimeline).user(user).database(database);
                int n = 1;
                for (SqlCheck check : checks) {
                    builder.check("sql " + n++, check.sql, check.expected);
                }
                for (String rows : expectRows) {
                    int eq = rows.lastIndexOf('=');
                    if (eq <= 0 || !rows.substring(eq + 1).matches("\\d{1,18}")) {
                        throw usage(spec, "--expect-rows must be TABLE=N, such as orders=1200, but was \""
                            + rows + "\"");
                    }
                    builder.expectRowCount(rows.substring(0, eq), Long.parseLong(rows.substring(eq + 1)));
                }
            } catch (IllegalArgumentException e) {
                throw usage(spec, e.getMessage());
            }
            return builder;
        }

        /** The drill, its base backup given if it is a stored one; {@code walStore} if the archive is drkit's. */
        private int drill(PitrDrill.Builder builder, boolean walStore) {
            if (baseBackupStore != null) {
                // given by the caller
            } else if (baseBackup.directory != null) {
                builder.baseBackup(Path.of(baseBackup.directory));
            } else if ("-".equals(baseBackup.tar)) {
                builder.baseBackupTar(() -> new java.io.FilterInputStream(System.in) {
                    @Override
                    public void close() {
                        // standard input stays open
                    }
                });
            } else {
                Path tar = Path.of(baseBackup.tar);
                if (!Files.exists(tar) || Files.isDirectory(tar) || !Files.isReadable(tar)) {
                    // a wrong path, not a bad backup: found before anything starts, as for --base-backup DIR (a pipe,
                    // such as /dev/fd/63 from <(...), is fine)
                    throw new EnvironmentException("drkit pitr drill: --base-backup-tar " + tar + (!Files.exists(tar)
                        ? " does not exist" : Files.isDirectory(tar) ? " is a directory, not a tar file"
                        : " cannot be read by this process"), java.util.Map.of("file", tar.toString()), null);
                }
                builder.baseBackupTar(() -> java.nio.file.Files.newInputStream(tar));
            }
            if (walStore) {
                // the scratch server's user runs wal-fetch on it: a path it cannot read would look like an archive
                // that ends early; the drill checks a plain archive the same way when it runs
                PitrDrill.checkArchiveReadable(wal.archive);
            }
            try (ServerSideFetch fetch = walStore ? ServerSideFetch.prepare(spec, wal.archive, keys, identity) : null) {
                try {
                    if (fetch != null) {
                        builder.restoreCommand(fetch.restoreCommand());
                    } else if (wal.archive != null) {
                        builder.archive(wal.archive);
                    } else {
                        builder.restoreCommand(wal.restoreCommand);
                    }
                } catch (IllegalArgumentException e) {
                    throw usage(spec, e.getMessage());
                }
                spec.commandLine().getErr().println("drkit pitr drill: restoring to " + targetTime + " ...");
                spec.commandLine().getErr().flush();
                PitrDrillReport report = builder.build().run();
                PrintWriter out = spec.commandLine().getOut();
                out.println(json ? report.toJson() : report.toText().stripTrailing());
                out.flush();
                if (!report.passed()) {
                    PrintWriter err = spec.commandLine().getErr();
                    err.println(spec.qualifiedName() + ": " + String.join("; ", report.report().verdictReasons()));
                    err.flush();
                    return ExitCodes.DATA;
                }
                return ExitCodes.OK;
            }
        }
    }

    /**
     * What the scratch server needs to read a drkit WAL store through {@code drkit wal-fetch}: a copy of this
     * program's class path that its user can run, and the key in 0600 files that user owns. All of it lives in one
     * temporary directory, removed when the drill ends.
     */
    static final class ServerSideFetch implements AutoCloseable {
        private static final Logger log = LoggerFactory.getLogger(PitrCommand.class);

        private final Path work;
        private final CredentialFiles credentials;
        private final String restoreCommand;

        private ServerSideFetch(Path work, CredentialFiles credentials, String restoreCommand) {
            this.work = work;
            this.credentials = credentials;
            this.restoreCommand = restoreCommand;
        }

        static ServerSideFetch prepare(CommandSpec spec, Path store, KeyOptions keys, @Nullable Path identity) {
            Path work;
            try {
                // the server's user passes through to the class path copy and its credentials, and lists nothing
                work = Files.createTempDirectory("drkit-pitr-drill-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            } catch (IOException e) {
                throw new EnvironmentException("drkit pitr drill: cannot create a temporary directory for the drill"
                    + " in " + System.getProperty("java.io.tmpdir") + ": " + e.getClass().getSimpleName() + " "
                    + e.getMessage(), e);
            }
            CredentialFiles credentials = null;
            try (KeyOptions.ForRestore key = keys.forRestore(spec, identity)) {
                credentials = CredentialFiles.create("wal-fetch", work, PgCluster.serverUser().orElse(null));
                StringBuilder options = new StringBuilder(" --store ")
                    .append(ServerSideJava.shellQuote(store.toAbsolutePath().toString()));
                if (key.identity() != null) {
                    // the key as forRestore read and checked it: the file is not read a second time
                    Path copy = credentials.write("identity", key.identity().key());
                    options.append(" --identity ").append(ServerSideJava.shellQuote(copy.toString()));
                }
                if (key.passphrase() != null) {
                    Path copy = credentials.write("passphrase", key.passphrase());
                    options.append(" --passphrase-file ").append(ServerSideJava.shellQuote(copy.toString()));
                }
                // a damaged segment or a wrong key stops the scratch server with the reason in its log, instead of
                // reading as the end of the archive (and a drill that "did not reach" its target)
                options.append(" --stop-recovery-on-error");
                Path spool = readAheadSpool(work);
                options.append(" --spool ").append(ServerSideJava.shellQuote(spool.toString()));
                String drkit = ServerSideJava.commandLine(work.resolve("lib"), Drkit.class);
                return new ServerSideFetch(work, credentials,
                    WalReadAhead.restoreCommand(spool, store, drkit + " wal-fetch" + options + " %f %p"));
            } catch (RuntimeException e) {
                if (credentials != null) {
                    credentials.close();
                }
                deleteTree(work);
                throw e;
            }
        }

        /**
         * The directory where {@code wal-fetch} leaves the segments it fetched ahead: 0700, the server's user's (the
         * drill's own directory lets that user pass through, not write).
         */
        private static Path readAheadSpool(Path work) {
            Path spool = work.resolve("read-ahead");
            try {
                Files.createDirectory(spool, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
                Optional<String> serverUser = PgCluster.serverUser();
                if (serverUser.isPresent()) {
                    Files.setOwner(spool, spool.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByName(serverUser.get()));
                }
            } catch (IOException e) {
                throw new EnvironmentException("drkit pitr drill: cannot create the drill's WAL read-ahead directory "
                    + spool + ": " + e.getClass().getSimpleName() + " " + e.getMessage(), e);
            }
            return spool;
        }

        String restoreCommand() {
            return restoreCommand;
        }

        @Override
        public void close() {
            credentials.close();
            deleteTree(work);
        }

        /** Best effort, links removed as links; a failure is logged, never thrown over the drill's own outcome. */
        private static void deleteTree(Path dir) {
            try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
                for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException | UncheckedIOException e) {
                log.warn("drkit pitr drill: could not remove {}: {}", dir, e.toString());
            }
        }
    }

    /** An exception drkit did not foresee, as a drkit failure of kind internal, for the drill's JSON failure report. */
    private static final class Unforeseen extends DrkitException {
        private static final long serialVersionUID = 1L;

        Unforeseen(Throwable cause) {
            super(ErrorReporter.describe(cause), Kind.INTERNAL, java.util.Map.of(), cause);
        }
    }
}
