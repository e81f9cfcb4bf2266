package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupSource;
import dev.drkit.backup.postgres.internal.Catalog;
import dev.drkit.backup.postgres.internal.ChildEnvironment;
import dev.drkit.backup.postgres.internal.PgPass;
import dev.drkit.backup.postgres.internal.SourceConnection;
import dev.drkit.backup.postgres.internal.ToolProcess;
import dev.drkit.core.internal.Text;
import org.jspecify.annotations.Nullable;

import java.io.FilterInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL backup as a stream for the backup pipeline: {@code pg_dump -Fc} of one database,
 * {@code pg_dumpall --globals-only}, or {@code pg_basebackup -D - -Ft -X fetch}. The tool's standard output flows
 * straight into the pipeline (compressed, encrypted, hashed, stored); nothing is staged on disk.
 *
 * <pre>{@code
 * PgServer server = PgServer.builder("db1.internal", 5432, "backup").password(password).build();
 * BackupInfo dump = engine.backup(PgBackupSource.dump(server, "orders").source());
 * BackupInfo base = engine.backup(PgBackupSource.baseBackup(server).source());
 * }</pre>
 *
 * <p><b>What is stored.</b> Exactly the tool's output: a custom-format archive for {@code pg_restore} (written
 * uncompressed, since the pipeline compresses; see {@link #withDumpCompression(boolean)}), SQL for
 * {@code psql}, or, for a base backup, the single tar stream {@code pg_basebackup -D - -Ft -X fetch} writes (the
 * data directory with {@code backup_label}, {@code backup_manifest} and the WAL from start to end under
 * {@code pg_wal/}), byte for byte: extract it with {@code tar -x} and it starts as a server, or verify it with
 * {@code pg_verifybackup} (PostgreSQL 15 verifies only the extracted directory). A base backup needs a role with
 * {@code REPLICATION}, a server with a single tablespace (a stream holds one), and WAL kept long enough for
 * {@code -X fetch} ({@code wal_keep_size}); it asks for an immediate checkpoint ({@code --checkpoint=fast}).
 *
 * <p><b>Labels.</b> The manifest gets the {@link PgLabels}: kind, database, server, version, system identifier,
 * for a base backup its start and end LSN and timeline; and, unless {@link #withRowCounts(boolean) turned off}, the
 * exact row counts and a schema digest that {@link PgRestoreVerifier} compares after restoring. A dump's counts are
 * taken in the very snapshot the dump reads ({@code pg_export_snapshot()} shared with {@code pg_dump --snapshot}),
 * so they are exact; counting scans every table once more. A base backup is not a snapshot: its counts are taken
 * before and after it and recorded only if both agree (else {@link PgLabels#COUNTS_SKIPPED} says the data changed).
 *
 * <p><b>Failures.</b> A login that fails, an unreachable server or a tool that exits non-zero or is killed fails the
 * backup (nothing is kept) with {@link PgConnectionException} or {@link PgToolException}, whose message ends with
 * the tool's last lines of standard error.
 *
 * <p><b>The password</b> reaches the tools only through a 0600 {@code PGPASSFILE} in a private 0700 directory,
 * removed when the run ends (also when it fails); never through argv or an environment variable, and
 * {@code PGPASSWORD} (with the other {@code PG*} connection variables) is removed from the environment the tool
 * inherits.
 *
 * <p>Instances are immutable and thread-safe; {@link #source()} and {@link #open()} start a new run each time.
 *
 * @since 0.1
 */
public final class PgBackupSource {

    /** What a source backs up. */
    public enum Kind {
        /** {@code pg_dump -Fc} of one database. */
        DUMP(PgLabels.KIND_DUMP),
        /** {@code pg_dumpall --globals-only}. */
        GLOBALS(PgLabels.KIND_GLOBALS),
        /** {@code pg_basebackup -D - -Ft -X fetch}. */
        BASE_BACKUP(PgLabels.KIND_BASE_BACKUP);

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The value of {@link PgLabels#KIND}. */
        public String label() {
            return label;
        }
    }

    private static final String MAINTENANCE_DATABASE = "postgres";
    private static final Pattern START = Pattern.compile("start point: ([0-9A-F]+/[0-9A-F]+) on timeline (\\d+)");
    private static final Pattern END = Pattern.compile("end point: ([0-9A-F]+/[0-9A-F]+)");

    private final Kind kind;
    private final PgServer server;
    private final @Nullable String database;
    private final boolean rowCounts;
    private final boolean dumpCompression;
    private final SortedMap<String, String> extraLabels;

    private PgBackupSource(Kind kind, PgServer server, @Nullable String database, boolean rowCounts,
                           boolean dumpCompression, SortedMap<String, String> extraLabels) {
        this.kind = kind;
        this.server = server;
        this.database = database;
        this.rowCounts = rowCounts;
        this.dumpCompression = dumpCompression;
        this.extraLabels = Collections.unmodifiableSortedMap(new TreeMap<>(extraLabels));
    }

    /**
     * {@code pg_dump -Fc} of {@code database}.
     *
     * <p>Any name PostgreSQL allows is read as a name: {@code pg_dump} gets it quoted inside a connection string, so
     * a name with {@code =} in it or one that looks like a URI can neither fail the dump nor carry other connection
     * settings (a password into argv, another host).
     *
     * @throws IllegalArgumentException if the name is empty, too long or has control characters
     */
    public static PgBackupSource dump(PgServer server, String database) {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(database, "database");
        if (database.isEmpty() || database.length() > 63 || database.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("database must be a database name (1 to 63 characters, no control "
                + "characters), but was \"" + Text.oneLine(database, 80) + "\"");
        }
        return new PgBackupSource(Kind.DUMP, server, database, true, false, new TreeMap<>());
    }

    /** {@code pg_dumpall --globals-only}: roles (with their password hashes) and tablespaces. Needs a superuser. */
    public static PgBackupSource globals(PgServer server) {
        return new PgBackupSource(Kind.GLOBALS, Objects.requireNonNull(server, "server"), null, false, false,
            new TreeMap<>());
    }

    /** {@code pg_basebackup -D - -Ft -X fetch}: the whole cluster as one tar stream. */
    public static PgBackupSource baseBackup(PgServer server) {
        return new PgBackupSource(Kind.BASE_BACKUP, Objects.requireNonNull(server, "server"), null, true, false,
            new TreeMap<>());
    }

    /**
     * This source with row counting on (default for dumps and base backups) or off. Off saves a scan of every table;
     * {@link PgRestoreVerifier} then skips the count check.
     */
    public PgBackupSource withRowCounts(boolean count) {
        return new PgBackupSource(kind, server, database, count && kind != Kind.GLOBALS, dumpCompression,
            extraLabels);
    }

    /**
     * This dump with {@code pg_dump}'s own compression (gzip) on, or off (the default: {@code --compress=0}).
     * The pipeline compresses with zstd after the tool, and a gzipped archive does not compress again, so by default
     * the archive leaves {@code pg_dump} uncompressed: a dump of text-heavy tables takes a third of the time and
     * stores slightly smaller than with both. Turn it on when the engine stores without compression
     * ({@link dev.drkit.backup.Compression#none()}). {@code pg_restore} reads either. No effect on globals and
     * base backups, which {@code pg_dumpall} and {@code pg_basebackup} write uncompressed.
     */
    public PgBackupSource withDumpCompression(boolean compress) {
        return new PgBackupSource(kind, server, database, rowCounts, compress && kind == Kind.DUMP, extraLabels);
    }

    /** This source with one more label recorded after a successful run (see {@link BackupSource#withLabelsAfterRead}). */
    public PgBackupSource withLabel(String key, String value) {
        SortedMap<String, String> labels = new TreeMap<>(extraLabels);
        labels.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return new PgBackupSource(kind, server, database, rowCounts, dumpCompression, labels);
    }

    /** What this source backs up. */
    public Kind kind() {
        return kind;
    }

    /** The database of a dump. */
    public java.util.Optional<String> database() {
        return java.util.Optional.ofNullable(database);
    }

    /** The name recorded in the manifest: {@code <database>.dump}, {@code globals.sql} or {@code base.tar}. */
    public String name() {
        switch (kind) {
            case DUMP:
                return database + ".dump";
            case GLOBALS:
                return "globals.sql";
            default:
                return "base.tar";
        }
    }

    /**
     * A backup source for {@link dev.drkit.backup.BackupEngine#backup}: each backup runs the tool once and records
     * the {@link PgLabels} of that run.
     */
    public BackupSource source() {
        // Each run by the thread that runs it: the engine opens the stream and asks for its labels on the thread
        // that called backup(), so overlapping backups through one source each record their own run. (One slot for
        // all failed an overlapping backup, or gave it the other run's counts and positions.)
        ThreadLocal<PgSourceStream> runs = new ThreadLocal<>();
        return BackupSource.stream(name(), () -> {
            PgSourceStream stream = open();
            runs.set(stream);
            return stream;
        }).withLabelsAfterRead(() -> {
            PgSourceStream run = runs.get();
            runs.remove();
            if (run == null) {
                throw new IllegalStateException("no run of " + this + " was started on this thread");
            }
            return run.labels();
        });
    }

    /**
     * Starts the tool and returns its output. Read it to the end (a failed or killed tool throws
     * {@link PgToolException} there) and close it; {@link PgSourceStream#labels()} then has the run's labels.
     *
     * @throws PgConnectionException if the server cannot be reached or refuses the login
     * @throws PgToolException       if the tool cannot be started
     * @throws dev.drkit.postgres.MissingToolException if the tool is not installed
     */
    public PgSourceStream open() {
        String toolName = kind == Kind.DUMP ? "pg_dump" : kind == Kind.GLOBALS ? "pg_dumpall" : "pg_basebackup";
        java.nio.file.Path tool = server.binaries().tool(toolName, "a PostgreSQL " + kind.label() + " backup");
        String what = toolName + (database == null ? "" : " of database '" + database + "'") + " on " + server.user()
            + "@" + server.host() + ":" + server.port();
        Map<String, String> context = new LinkedHashMap<>();
        context.put("host", server.host());
        context.put("port", Integer.toString(server.port()));
        if (database != null) {
            context.put("database", database);
        }
        Map<String, String> labels = Collections.synchronizedMap(new TreeMap<>());
        PgPass pass = PgPass.create(toolName.replace('_', '-'), server.user(), server.password().orElse(null));
        SourceConnection connection = null;
        try {
            connection = SourceConnection.open(server, database != null ? database : MAINTENANCE_DATABASE);
            labels.put(PgLabels.KIND, kind.label());
            labels.put(PgLabels.SERVER, server.host() + ":" + server.port());
            labels.put(PgLabels.USER, server.user());
            if (database != null) {
                labels.put(PgLabels.DATABASE, database);
            }
            putIfPresent(labels, PgLabels.SERVER_VERSION, connection.valueOrNull("SHOW server_version"));
            putIfPresent(labels, PgLabels.SERVER_VERSION_NUM, connection.valueOrNull("SHOW server_version_num"));
            putIfPresent(labels, PgLabels.SYSTEM_IDENTIFIER,
                connection.valueOrNull("SELECT system_identifier FROM pg_control_system()"));
            List<String> command = new ArrayList<>(List.of(tool.toString()));
            Catalog.@Nullable Facts before = null;
            switch (kind) {
                case DUMP:
                    connection.beginSnapshot();
                    String snapshot = connection.value("SELECT pg_export_snapshot()");
                    if (rowCounts) {
                        putFacts(labels, connection.facts());
                    }
                    if (!dumpCompression) {
                        command.add("--compress=0");
                    }
                    command.addAll(List.of("--format=custom", "--no-password", "--host=" + server.host(),
                        "--port=" + server.port(), "--username=" + server.user(), "--snapshot=" + snapshot,
                        "--dbname=" + dbnameSetting(database)));
                    break;
                case GLOBALS:
                    command.addAll(List.of("--globals-only", "--no-password", "--host=" + server.host(),
                        "--port=" + server.port(), "--username=" + server.user(),
                        "--database=" + MAINTENANCE_DATABASE));
                    break;
                default:
                    if (rowCounts) {
                        before = countAll(connection, labels);
                    }
                    command.addAll(List.of("--pgdata=-", "--format=tar", "--wal-method=fetch", "--verbose",
                        "--checkpoint=fast", "--label=drkit", "--no-password", "--host=" + server.host(),
                        "--port=" + server.port(), "--username=" + server.user()));
            }
            if (!rowCounts && kind != Kind.GLOBALS) {
                labels.put(PgLabels.COUNTS_SKIPPED, "turned off");
            }
            labels.putAll(extraLabels);
            Map<String, String> env = ChildEnvironment.of(System.getenv(), pass.file());
            ToolProcess[] started = new ToolProcess[1];
            SourceConnection open = connection;
            Catalog.@Nullable Facts counted = before;
            AutoCloseable finish = () -> {
                try {
                    ToolProcess run = started[0];
                    if (run != null && run.succeeded() && kind == Kind.BASE_BACKUP) {
                        baseBackupLabels(run, open, counted, labels);
                    }
                } finally {
                    open.close();
                }
            };
            ToolProcess run = ToolProcess.start(command, env, what, server.password().orElse(null), context,
                List.of(finish, pass));
            started[0] = run;
            return new PgSourceStream(run, labels);
        } catch (RuntimeException e) {
            if (connection != null) {
                connection.close();
            }
            pass.close();
            throw e;
        }
    }

    /** Facts of every database, each in its own snapshot; null (and a skip reason) if they cannot be read. */
    private Catalog.@Nullable Facts countAll(SourceConnection maintenance, Map<String, String> labels) {
        try {
            Map<String, Catalog.Facts> byDatabase = new TreeMap<>();
            for (List<@Nullable String> row : maintenance.query(Catalog.DATABASES)) {
                String name = Objects.requireNonNull(row.get(0));
                try (SourceConnection c = SourceConnection.open(server, name)) {
                    c.beginSnapshot();
                    byDatabase.put(name, c.facts());
                }
            }
            labels.put(PgLabels.DATABASES, Integer.toString(byDatabase.size()));
            return Catalog.combine(byDatabase);
        } catch (PgConnectionException e) {
            labels.put(PgLabels.COUNTS_SKIPPED, "could not count: " + e.sqlState().orElse("error"));
            return null;
        }
    }

    private void baseBackupLabels(ToolProcess run, SourceConnection connection, Catalog.@Nullable Facts before,
                                  Map<String, String> labels) {
        for (String line : run.stderrLines("write-ahead log")) {
            Matcher start = START.matcher(line);
            if (start.find()) {
                labels.put(PgLabels.START_LSN, start.group(1));
                labels.put(PgLabels.TIMELINE, start.group(2));
            }
            Matcher end = END.matcher(line);
            if (end.find()) {
                labels.put(PgLabels.STOP_LSN, end.group(1));
            }
        }
        if (before != null) {
            Map<String, String> scratch = new TreeMap<>();
            Catalog.Facts after = countAll(connection, scratch);
            if (after != null && after.equals(before)) {
                putFacts(labels, before);
            } else {
                labels.put(PgLabels.COUNTS_SKIPPED, after == null ? scratch.getOrDefault(PgLabels.COUNTS_SKIPPED,
                    "could not count") : "the data changed during the base backup");
            }
        }
    }

    private static void putFacts(Map<String, String> labels, Catalog.Facts facts) {
        labels.put(PgLabels.TABLES, Long.toString(facts.tables()));
        labels.put(PgLabels.ROWS, Long.toString(facts.rows()));
        labels.put(PgLabels.COUNTS_SHA256, facts.countsDigest());
        labels.put(PgLabels.SCHEMA_SHA256, facts.schemaDigest());
    }

    /**
     * {@code database} as libpq's {@code dbname} setting, quoted: a {@code --dbname} holding {@code =} or a URI prefix
     * is read as a whole connection string, so a name is passed as one, with its quotes and backslashes escaped.
     */
    static String dbnameSetting(String database) {
        return "dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static void putIfPresent(Map<String, String> labels, String key, @Nullable String value) {
        if (value != null && !value.isBlank()) {
            labels.put(key, Text.oneLine(value, 200));
        }
    }

    @Override
    public String toString() {
        return "PgBackupSource[" + kind.label() + (database == null ? "" : " " + database) + " on " + server + "]";
    }

    /**
     * The output of one run of a tool. At its end the tool's exit is checked ({@link PgToolException} unless 0);
     * {@link #close()} stops a tool still running and removes the {@code PGPASSFILE}.
     *
     * @since 0.1
     */
    public static final class PgSourceStream extends FilterInputStream {
        private final ToolProcess run;
        private final Map<String, String> labels;

        PgSourceStream(ToolProcess run, Map<String, String> labels) {
            super(run.stdout());
            this.run = run;
            this.labels = labels;
        }

        /** The tool's process id while it runs. */
        public long pid() {
            return run.pid();
        }

        /**
         * The run's labels.
         *
         * @throws IllegalStateException unless the tool exited with 0 and its output was read to the end and closed
         */
        public Map<String, String> labels() {
            if (!run.succeeded()) {
                throw new IllegalStateException("the run did not complete; it has no labels");
            }
            synchronized (labels) {
                return Collections.unmodifiableMap(new TreeMap<>(labels));
            }
        }

        @Override
        public void close() throws IOException {
            run.close();
        }
    }
}
