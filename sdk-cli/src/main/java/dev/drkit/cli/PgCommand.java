package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.postgres.PgBackupSource;
import dev.drkit.backup.postgres.PgBackups;
import dev.drkit.backup.postgres.PgRestoreVerifier;
import dev.drkit.backup.postgres.PgServer;
import dev.drkit.backup.postgres.RestoreVerificationHistory;
import dev.drkit.backup.postgres.RestoreVerificationReport;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code drkit pg}: PostgreSQL backups. {@code drkit pg backup} streams {@code pg_dump}, {@code pg_dumpall
 * --globals-only} or {@code pg_basebackup} into a store, encrypted; {@code drkit pg verify} restores a backup into a
 * scratch cluster and checks it (exit 1 on any failed check).
 */
@Command(name = "pg", mixinStandardHelpOptions = true,
    description = "PostgreSQL backups: dumps and base backups into a store, and their verification by restoring.",
    subcommands = {PgCommand.Backup.class, PgCommand.Verify.class})
final class PgCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw Drkit.missingSubcommand(spec);
    }

    /** {@code drkit pg backup}. */
    @Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Backs up a PostgreSQL server into a store, zstd-compressed and encrypted, streamed from the "
            + "tool without a copy on disk: one database (pg_dump -Fc), all of them (pg_dumpall --globals-only plus "
            + "one pg_dump -Fc per database, each its own backup), or the whole cluster (pg_basebackup -D - -Ft "
            + "-X fetch). Labels say what each backup is (pg.kind, pg.database, LSNs, exact row counts).",
            "The password reaches the tools only through a 0600 PGPASSFILE removed afterwards. Prints the new "
                + "backups' ids. Exit 3 when the server is unreachable, refuses the login or a tool fails."})
    static final class Backup implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--host", required = true, paramLabel = "HOST", description = "The server's host.")
        String host;

        @Option(names = "--port", paramLabel = "PORT", defaultValue = "5432",
            description = "The server's port (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--user", required = true, paramLabel = "ROLE",
            description = "The role to log in as (REPLICATION for --base-backup).")
        String user;

        @Option(names = "--password-file", paramLabel = "FILE",
            description = "Read the password from FILE (mode 0600 or 0400; one trailing newline is ignored).")
        @Nullable Path passwordFile;

        @Option(names = "--password-env", paramLabel = "NAME",
            description = "Read the password from the environment variable NAME.")
        @Nullable String passwordEnv;

        @Option(names = "--dbname", paramLabel = "DB", description = "Dump this database (pg_dump -Fc).")
        @Nullable String dbname;

        @Option(names = "--all", description = "Dump the globals and every database, each as its own backup.")
        boolean all;

        @Option(names = "--base-backup", description = "Back up the whole cluster (pg_basebackup -Ft -X fetch).")
        boolean baseBackup;

        @Option(names = "--no-row-counts",
            description = "Do not record exact row counts (saves a scan of every table; verification then skips "
                + "the count check).")
        boolean noRowCounts;

        @Mixin
        StoreOptions store;

        @Mixin
        KeyOptions keys;

        @Option(names = "--recipient", paramLabel = "KEYFILE",
            description = "Encrypt to the public key in KEYFILE instead of a passphrase.")
        @Nullable Path recipient;

        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label recorded in the manifest (repeatable).")
        Map<String, String> labels = new LinkedHashMap<>();

        @Option(names = "--json", description = "Print each backup's summary as a JSON line.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            int modes = (dbname != null ? 1 : 0) + (all ? 1 : 0) + (baseBackup ? 1 : 0);
            if (modes != 1) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "give exactly one of --dbname DB, --all or --base-backup");
            }
            if (passwordFile != null && passwordEnv != null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "give only one of --password-file and --password-env");
            }
            refuseConnectionString(spec, "--host", host);
            refuseConnectionString(spec, "--user", user);
            try (Secret password = passwordFile != null ? Secrets.fromFile(passwordFile)
                : passwordEnv != null ? KeyOptions.fromEnvOption(spec, "--password-env", passwordEnv, false)
                : null;
                 KeyOptions.ForBackup key = keys.forBackup(spec, recipient);
                 BackupStore backups = store.open(spec)) {
                PgServer.Builder server;
                PgBackupSource single = null;
                try {
                    server = PgServer.builder(host, port, user);
                    if (password != null) {
                        server.password(password);
                    }
                    if (dbname != null) {
                        single = PgBackupSource.dump(server.build(), dbname);
                    }
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
                }
                BackupEngine.Builder builder = BackupEngine.builder(backups).encryption(key.encryption());
                try {
                    builder.labels(labels);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--label: " + e.getMessage());
                }
                BackupEngine engine = builder.build();
                List<BackupInfo> made;
                if (all) {
                    made = PgBackups.all(engine, server.build(), !noRowCounts);
                } else {
                    PgBackupSource source = single != null ? single : PgBackupSource.baseBackup(server.build());
                    made = List.of(engine.backup(source.withRowCounts(!noRowCounts).source()));
                }
                PrintWriter out = spec.commandLine().getOut();
                for (BackupInfo info : made) {
                    out.println(json ? info.toJson() : info.id());
                }
                out.flush();
                return ExitCodes.OK;
            }
        }
    }

    /** {@code drkit pg verify}. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verifies a PostgreSQL backup by restoring it into a scratch cluster (127.0.0.1, a temporary "
            + "directory, removed afterwards): pg_restore for a dump; for a base backup, extraction, "
            + "pg_verifybackup (or, where it is not installed, drkit's own check against backup_manifest) and a "
            + "start; then exact row counts and a schema digest against those recorded at "
            + "backup time, and amcheck on every btree index.",
            "Exit 0 when every check passes, 1 when any fails, 3 when the scratch cluster cannot run, a tool "
                + "other than pg_verifybackup is missing, the store cannot be read or the scratch disk fills up "
                + "(no report is recorded then)."})
    static final class Verify implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Option(names = "--id", required = true, paramLabel = "ID", converter = BackupIdConverter.class,
            description = "The backup to verify.")
        String id;

        @Mixin
        KeyOptions keys;

        @Option(names = "--identity", paramLabel = "KEYFILE",
            description = "The private key for backups made to public-key recipients.")
        @Nullable Path identity;

        @Option(names = "--history", paramLabel = "FILE",
            description = "Append the report to FILE (JSON lines) and print this month's summary.")
        @Nullable Path history;

        @Option(names = "--scratch", paramLabel = "DIR",
            description = "Where the scratch cluster goes (default: the system temp directory).")
        @Nullable Path scratch;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (KeyOptions.ForRestore key = keys.forRestore(spec, identity);
                 BackupStore backups = store.openForReading(spec)) {
                BackupEngine engine = BackupEngine.builder(backups).build();
                PgRestoreVerifier.Builder builder = PgRestoreVerifier.builder(engine, key.key());
                if (history != null) {
                    builder.history(history);
                }
                if (scratch != null) {
                    builder.scratchDirectory(scratch);
                }
                RestoreVerificationReport report = builder.build().verify(id);
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(report.toJson());
                } else {
                    out.print(report.toText());
                    if (history != null) {
                        YearMonth now = YearMonth.now(ZoneOffset.UTC);
                        RestoreVerificationHistory.at(history).monthly().stream()
                            .filter(m -> m.month().equals(now))
                            .forEach(m -> out.println("History " + m.toText()));
                    }
                }
                out.flush();
                if (!report.passed()) {
                    PrintWriter err = spec.commandLine().getErr();
                    err.println(spec.qualifiedName() + ": backup " + id + " failed verification: "
                        + report.failures().get(0).name() + ": " + report.failures().get(0).detail());
                    err.flush();
                    return ExitCodes.DATA;
                }
                return ExitCodes.OK;
            }
        }
    }

    /**
     * A connection string or URI given where a host name or role belongs ({@code postgresql://app:pw@db/app},
     * {@code app password=...}) is a usage error that does not repeat the value: it may hold a password.
     */
    static void refuseConnectionString(CommandSpec spec, String option, String value) {
        // '@' only for a host: a role may hold one (user@server on some hosted services)
        if ((option.equals("--host") && value.contains("@")) || value.contains("=") || value.contains("://")) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " must be a "
                + (option.equals("--host") ? "host name or address" : "role name") + ", not a connection string or URI"
                + " (a value of " + value.length() + " characters, not repeated here: it may hold a password; give the"
                + " password with --password-file or --password-env)");
        }
    }
}
