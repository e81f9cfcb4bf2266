package dev.drkit.postgres;

import dev.drkit.core.EnvironmentException;
import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.ExitCleanup;
import dev.drkit.core.internal.Text;
import dev.drkit.core.secret.CredentialFiles;
import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.internal.PgConf;
import dev.drkit.postgres.internal.Postmasters;
import dev.drkit.postgres.internal.ProcessRunner;
import dev.drkit.postgres.internal.OsUser;
import dev.drkit.postgres.internal.RunAs;
import dev.drkit.postgres.internal.ServerWatchdog;
import dev.drkit.postgres.internal.Trees;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A local PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only: created with
 * {@code initdb}, started, stopped, crashed, promoted, and copied into streaming replicas. It is the one place
 * in drkit that runs PostgreSQL servers, for backup and PITR drills, failover tests, tests and examples.
 *
 * <p><b>What {@link #create(PgClusterConfig)} does.</b> It makes a 0700 directory (0711 when the JVM is root)
 * under the configured base directory holding {@code data/} (the data directory), {@code run/} (the unix socket)
 * and {@code server.log},
 * then runs {@code initdb --data-checksums --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8
 * --locale=C} with a generated superuser password that travels in a 0600 {@code --pwfile} (never in argv or the
 * environment). Settings go to {@code data/drkit.conf}, included from {@code postgresql.conf}.
 *
 * <p><b>Passwords.</b> Connections over TCP need the superuser's password, which this class keeps as a
 * {@link Secret}: {@link #connect()} hands it to the JDBC driver in its {@code Properties}, never in the URL;
 * replicas read it from a 0600 {@code passfile}. It never appears in logs, exception messages, command lines or
 * child environments. {@link #superuserPassword()} returns a copy for callers that open their own pools.
 *
 * <p><b>Root.</b> {@code initdb} and {@code postgres} refuse to run as root. When the JVM is root, every program
 * runs as {@code DRKIT_PG_USER}, else {@code postgres}, else {@code nobody} (or
 * {@link PgClusterConfig#runAsUser()}), through {@code setpriv} or {@code runuser}. That user owns only what the
 * server writes, {@code data/} and {@code run/}; the cluster's directory, {@code server.log} and the credential
 * files' directories stay root's, so the server's user cannot put a link where root later writes or deletes.
 *
 * <p><b>Cleanup.</b> {@link #close()} stops the server (fast, then immediate, then SIGKILL) and deletes the
 * directory. Clusters not closed are killed and deleted by a JVM shutdown hook, which logs a WARN for each. A JVM
 * killed with SIGKILL (the OOM killer, a CI timeout, an IDE's stop button) runs no hook, so each cluster also has a
 * watchdog from its creation to its close: a small {@code sh} process holding a pipe from this JVM, which, when the
 * pipe ends without the JVM having closed the cluster, stops the server (SIGQUIT, an immediate shutdown; SIGKILL if it
 * lingers), waits until it is gone and deletes the directory (kept if {@link PgClusterConfig#deleteOnClose()} is
 * off). It signals only the process this JVM started, known by pid and start time; it runs as the JVM's user
 * (root's watchdog stops a server running as another user), in a session of its own, with nothing secret in its
 * command line or environment; it writes what it does to {@code server.log}. {@link #close()} dismisses it and
 * waits until it has exited.
 *
 * <p><b>Process model.</b> The postmaster is started as a child of this JVM (as {@code pg_ctl start} would, but
 * without {@code pg_ctl}'s double fork), so the JVM reaps it when it dies: where PID 1 does not reap orphans
 * (some containers), a postmaster started by {@code pg_ctl} would linger as a zombie after {@code kill -9}
 * and could block the next start. {@link #start()} waits until {@code postmaster.pid} says the server accepts
 * connections, as {@code pg_ctl start -w} does. Stopping and promoting use {@code pg_ctl}.
 *
 * <p>Instances are thread-safe: lifecycle operations ({@code start}, {@code stop}, {@code kill9},
 * {@code promote}, {@code close}) are serialised; queries open their own connections.
 *
 * <pre>{@code
 * try (PgCluster primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("primary").build());
 *      PgCluster replica = primary.createReplica(ReplicaOptions.sync("replica"))) {
 *     primary.execute("CREATE TABLE t (v int); INSERT INTO t VALUES (1)");
 *     replica.awaitReplay(primary.currentLsn(), Duration.ofSeconds(10));
 *     primary.stop(StopMode.IMMEDIATE);
 *     replica.promote();                      // replica.timeline() is now 2
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class PgCluster implements AutoCloseable {

    /** The only address clusters listen on: {@value}. */
    public static final String HOST = "127.0.0.1";
    /** The oldest supported major version: {@value} ({@code wal_keep_size} and the backup API need it). */
    public static final int MIN_MAJOR_VERSION = 13;

    private static final Logger log = LoggerFactory.getLogger(PgCluster.class);
    private static final org.postgresql.Driver DRIVER = new org.postgresql.Driver();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int LOG_TAIL_LINES = 30;
    private static final int PORT_ATTEMPTS = 5;
    private static final int MAX_SOCKET_PATH = 100;
    private static final Duration INITDB_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration CHILDREN_EXIT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration WATCHDOG_EXIT_TIMEOUT = Duration.ofSeconds(5);
    private static final String CONF_FILE = "drkit.conf";
    /** A restored copy's own settings; a copy of a drkit cluster keeps its origin's drkit.conf. */
    private static final String RESTORE_CONF_FILE = "drkit-restore.conf";
    private static final String CONNECT_TIMEOUT_SECONDS = "10";

    private final PgClusterConfig config;
    private final String name;
    private final PgBinaries binaries;
    private final RunAs runAs;
    private final ProcessRunner runner;
    private final Path directory;
    private final Path dataDirectory;
    private final Path socketDirectory;
    private final Path logFile;
    private final Secret password;
    private final @Nullable PgCluster upstream;
    private final boolean portAutomatic;
    /** Stops the server and deletes the directory if this JVM dies without closing; null if it could not start. */
    private final @Nullable ServerWatchdog watchdog;

    private final Map<String, ReplicaOptions> replicas = new ConcurrentHashMap<>();
    private final Object settingsLock = new Object();
    /** Replica names in synchronous_standby_names, in order. Guarded by settingsLock. */
    private final Set<String> synchronousStandbys = new LinkedHashSet<>();
    /** Settings from applySettings(...), over the config's. Guarded by settingsLock. */
    private final Map<String, String> appliedSettings = new LinkedHashMap<>();

    private volatile int port;
    private volatile @Nullable Process launcher;
    private volatile long postmasterPid;
    /** When the postmaster started ({@link Postmasters#startTicks}): a pid alone may be another process's later. */
    private volatile long postmasterStartTicks;
    private volatile boolean everStarted;
    private volatile boolean closed;
    private volatile @Nullable CredentialFiles replicationCredentials;
    /** Made by {@link #restore}: a copy of another cluster, reached over the unix socket only. */
    private volatile boolean restored;

    private PgCluster(PgClusterConfig config, PgBinaries binaries, RunAs runAs, Secret password,
                      @Nullable PgCluster upstream) {
        this.config = config;
        this.name = config.name();
        this.binaries = binaries;
        this.runAs = runAs;
        this.password = password;
        this.upstream = upstream;
        this.portAutomatic = config.port() == 0;
        this.port = portAutomatic ? Postmasters.freePort() : config.port();
        try {
            Files.createDirectories(config.baseDirectory());
            this.directory = Files.createTempDirectory(config.baseDirectory(), "drkit-pg-" + name + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new EnvironmentException("PostgreSQL cluster '" + name + "': cannot create a directory under "
                + config.baseDirectory() + ": " + e.getMessage(), Map.of("file", config.baseDirectory().toString()), e);
        }
        this.dataDirectory = directory.resolve("data");
        this.socketDirectory = directory.resolve("run");
        this.logFile = directory.resolve("server.log");
        this.runner = new ProcessRunner("PostgreSQL cluster '" + name + "'", runAs, binaries.binDirectory(), directory);
        ExitCleanup.register(this, this::cleanUpAtExit);
        try {
            int socketPath = socketDirectory.resolve(".s.PGSQL.65535").toString().getBytes(StandardCharsets.UTF_8).length;
            Checks.argument(socketPath <= MAX_SOCKET_PATH, "baseDirectory is too long for a unix socket path (%s bytes,"
                + " at most %s): %s", socketPath, MAX_SOCKET_PATH, config.baseDirectory());
            runAs.checkTraversable(directory);
            if (runAs.switchesUser()) {
                // The directory stays this JVM's: the server's user may pass through it to what it owns (data/,
                // run/), but must not rename or replace the entries this JVM later writes, reads or deletes
                // (credential files, server.log, staged configuration files).
                Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
            }
            Files.createDirectory(socketDirectory, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
            runAs.chown(socketDirectory);
            // Not given away: the server writes to it through the descriptor this JVM opens for its output.
            Files.createFile(logFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            discard();
            throw failure("cannot prepare its directory: " + e.getMessage(), null, e);
        } catch (RuntimeException e) {
            discard();
            throw e;
        }
        // Before anything runs in the directory: a JVM killed from now on leaves neither a server nor files.
        this.watchdog = ServerWatchdog.start("PostgreSQL cluster '" + name + "'", directory, config.deleteOnClose(),
            logFile).orElse(null);
    }

    /**
     * The operating-system user that PostgreSQL programs will run as: empty when they run as the JVM's own
     * user, the unprivileged user (from {@code DRKIT_PG_USER}, else {@code postgres}, else {@code nobody})
     * when the JVM is root, since PostgreSQL refuses to run as root.
     *
     * @throws dev.drkit.core.EnvironmentException if the JVM is root and no usable user or way to switch to it
     *                                             exists
     * @since 0.1
     */
    public static Optional<String> serverUser() {
        return RunAs.detect(null).user().map(OsUser::name);
    }

    /**
     * Creates a cluster with {@code initdb}, not yet started.
     *
     * @throws MissingToolException     if no PostgreSQL binaries are found, or they lack {@code initdb}
     * @throws PostgresException        if {@code initdb} fails (the message has its output)
     * @throws EnvironmentException     if the directory cannot be prepared, or the JVM is root and no
     *                                  unprivileged user or {@code setpriv}/{@code runuser} is available
     * @throws IllegalArgumentException if the base directory is too long for a unix socket path
     * @since 0.1
     */
    public static PgCluster create(PgClusterConfig config) {
        Objects.requireNonNull(config, "config");
        PgBinaries binaries = config.binaries().orElseGet(PgBinaries::detect);
        checkVersion(binaries);
        Path initdb = binaries.tool("initdb", "creating PostgreSQL cluster '" + config.name() + "'");
        RunAs runAs = RunAs.detect(config.runAsUser().orElse(null));
        PgCluster cluster = new PgCluster(config, binaries, runAs, generatePassword(), null);
        try {
            cluster.initdb(initdb);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * Creates and starts a cluster; if starting fails, the cluster is closed (and its files deleted) before
     * the exception is thrown.
     *
     * @throws PostgresStartException if the server does not start; the message has the log's last lines
     * @throws MissingToolException   if no PostgreSQL binaries are found
     * @throws PostgresException      if {@code initdb} fails
     * @since 0.1
     */
    public static PgCluster start(PgClusterConfig config) {
        PgCluster cluster = create(config);
        try {
            return cluster.start();
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private static void checkVersion(PgBinaries binaries) {
        if (binaries.majorVersion() < MIN_MAJOR_VERSION) {
            throw new EnvironmentException("PostgreSQL " + binaries.version() + " in " + binaries.binDirectory()
                + " is too old: drkit needs " + MIN_MAJOR_VERSION + " or newer",
                Map.of("tool", binaries.binDirectory().resolve("postgres").toString()), null);
        }
    }

    private static Secret generatePassword() {
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        byte[] encoded = Base64.getUrlEncoder().withoutPadding().encode(random);
        try {
            return Secret.ofBytes(encoded, "postgres superuser password");
        } finally {
            Arrays.fill(random, (byte) 0);
            Arrays.fill(encoded, (byte) 0);
        }
    }

    // ------------------------------------------------------------------------------------------------ initdb

    private void initdb(Path initdb) {
        createServerDataDirectory();
        try (CredentialFiles files = CredentialFiles.create("initdb", directory, runAs.ownerName())) {
            Path pwfile = files.write("pwfile", password);
            List<String> command = new ArrayList<>(List.of(initdb.toString(), "-D", dataDirectory.toString(),
                "-U", config.superuser(), "--pwfile=" + pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
                "--data-checksums", "--encoding=UTF8", "--locale=C"));
            if (!config.fsync()) {
                command.add("--no-sync");
            }
            if (binaries.majorVersion() >= 14) {
                command.add("--no-instructions");
            }
            long started = System.nanoTime();
            ProcessRunner.Result result = runner.run(command, Map.of(), INITDB_TIMEOUT);
            if (!result.succeeded()) {
                throw failure("initdb " + (result.timedOut() ? "timed out after " + INITDB_TIMEOUT.toSeconds() + " s"
                    : "failed with exit code " + result.exitCode()) + ":\n" + Text.indent(result.tail(LOG_TAIL_LINES)),
                    null, null);
            }
            log.debug("PostgreSQL cluster '{}': initdb took {} ms", name, (System.nanoTime() - started) / 1_000_000);
        }
        try {
            // Read, then replaced by a rename: data/ is the server's user's, so nothing there is opened for writing.
            Path conf = dataDirectory.resolve("postgresql.conf");
            PgConf.writeAtomically(directory, conf, PgConf.read(conf)
                + "\n# Settings managed by drkit; they override the ones above.\ninclude '" + CONF_FILE + "'\n", runAs);
            writeConf();
        } catch (IOException e) {
            throw failure("cannot write its configuration: " + e.getMessage(), null, e);
        }
        log.info("PostgreSQL cluster '{}' created in {} (PostgreSQL {}, {})", name, dataDirectory, binaries.version(),
            runAs.user().map(u -> "running as " + u.name()).orElse("running as this JVM's user"));
    }

    /** An empty data/ for initdb or pg_basebackup, which cannot create it in this JVM's directory. */
    private void createServerDataDirectory() {
        try {
            Files.createDirectory(dataDirectory, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
            runAs.chown(dataDirectory);
        } catch (IOException e) {
            throw failure("cannot create its data directory: " + e.getMessage(), null, e);
        }
    }

    private Map<String, String> settings() {
        if (restored) {
            return restoredSettings();
        }
        Map<String, String> s = new LinkedHashMap<>();
        s.put("listen_addresses", HOST);
        s.put("port", Integer.toString(port));
        s.put("unix_socket_directories", socketDirectory.toString());
        s.put("cluster_name", name);
        s.put("fsync", config.fsync() ? "on" : "off");
        s.put("wal_level", "replica");
        s.put("max_wal_senders", Integer.toString(config.maxWalSenders()));
        s.put("max_replication_slots", Integer.toString(config.maxWalSenders()));
        s.put("wal_keep_size", config.walKeepSize());
        s.put("hot_standby", "on");
        s.put("logging_collector", "off");
        s.putAll(config.settings());
        synchronized (settingsLock) {
            s.putAll(appliedSettings);
            if (!synchronousStandbys.isEmpty()) {
                // FIRST n over all of them: every synchronous replica confirms each commit.
                s.put("synchronous_standby_names", "FIRST " + synchronousStandbys.size() + " ("
                    + synchronousStandbys.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", ")) + ")");
            }
        }
        return s;
    }

    private void writeConf() throws IOException {
        synchronized (settingsLock) {
            PgConf.writeAtomically(directory, dataDirectory.resolve(restored ? RESTORE_CONF_FILE : CONF_FILE),
                PgConf.render("Written by drkit for cluster '" + name + "'; rewritten on changes.", settings()), runAs);
        }
    }

    // ------------------------------------------------------------------------------------------------ restore

    /**
     * Creates a cluster, not yet started, from a copy of another cluster's data directory (a base backup) that
     * {@code writer} puts into an empty {@code data/}. For restore drills: the copy is adopted as it is, with its
     * own {@code postgresql.conf} (one is created if the copy has none), except that
     * <ul>
     *   <li>{@code pg_hba.conf} is replaced by one line, {@code local all all trust}: the copy's roles and
     *       passwords are unknown here, so the server is reached only through its unix socket, whose directory
     *       is 0700 and belongs to the server's user; TCP connections on 127.0.0.1 are refused. Use
     *       {@link #psql(String, String, String)}; {@link #connect()} and the other JDBC methods do not work;</li>
     *   <li>{@code drkit-restore.conf} is included at the end of {@code postgresql.conf}, with the address, port, socket
     *       directory, {@code cluster_name}, {@code data_directory} (the copy's own, whatever the origin's
     *       configuration named), {@code hot_standby=on}, {@code logging_collector=off}, {@code lc_messages=C},
     *       {@code fsync}, no streaming from the origin, no synchronous standbys to wait for, no archiving
     *       ({@code archive_mode=off}, no {@code archive_command} or {@code archive_library}: a copy that archived
     *       would write its own timeline into the origin's archive; a configuration's settings may turn it back on)
     *       and the configuration's settings; the same settings (in any form and case) and every {@code include},
     *       {@code include_if_exists} and {@code include_dir} line are removed from {@code postgresql.auto.conf},
     *       which PostgreSQL would otherwise read last;</li>
     *   <li>{@code postmaster.pid} and {@code postmaster.opts} are removed, and every file is given to the
     *       server's user (0700 directories, 0600 files).</li>
     * </ul>
     * A copy holding a symbolic link (a tablespace under {@code pg_tblspc}, a linked {@code pg_wal}) or a
     * {@code tablespace_map} that names tablespaces is refused before anything in it is changed: its server would
     * read and write the files the link names, which are its origin's.
     * The replication settings of {@link PgClusterConfig} ({@code wal_level}, {@code max_wal_senders}, ...) are
     * not applied, so a standby-in-recovery copy keeps values at least as large as its origin's. Closing the
     * cluster stops it and deletes the copy.
     *
     * @throws MissingToolException if no PostgreSQL binaries are found
     * @throws PostgresException    if {@code writer} fails, the copy is not a data directory of the binaries'
     *                              major version ({@code PG_VERSION}), or it holds a link or a tablespace map
     * @throws EnvironmentException if the directory cannot be prepared
     * @since 0.1
     */
    public static PgCluster restore(PgClusterConfig config, DataDirectoryWriter writer) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(writer, "writer");
        PgBinaries binaries = config.binaries().orElseGet(PgBinaries::detect);
        checkVersion(binaries);
        binaries.tool("postgres", "restoring PostgreSQL cluster '" + config.name() + "'");
        RunAs runAs = RunAs.detect(config.runAsUser().orElse(null));
        PgCluster cluster = new PgCluster(config, binaries, runAs, generatePassword(), null);
        cluster.restored = true;
        try {
            cluster.adopt(writer);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void adopt(DataDirectoryWriter writer) {
        long started = System.nanoTime();
        try {
            Files.createDirectory(dataDirectory, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
            writer.writeTo(dataDirectory);
        } catch (IOException e) {
            throw failure("cannot be filled with the copy: " + e.getMessage(), null, e);
        }
        try {
            Path versionFile = dataDirectory.resolve("PG_VERSION");
            if (!Files.isRegularFile(versionFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw failure("is not a copy of a data directory: it has no PG_VERSION", null, null);
            }
            String version = Files.readString(versionFile, StandardCharsets.UTF_8).trim();
            if (!version.equals(Integer.toString(binaries.majorVersion()))) {
                throw failure("holds a copy of a PostgreSQL " + abbreviate(version) + " cluster, but the binaries are "
                    + "PostgreSQL " + binaries.version(), null, null);
            }
            refuseLinksOut();
            Files.deleteIfExists(dataDirectory.resolve("postmaster.pid"));
            Files.deleteIfExists(dataDirectory.resolve("postmaster.opts"));
            Path conf = dataDirectory.resolve("postgresql.conf");
            String confText = Files.exists(conf, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? PgConf.read(conf)
                : "# Created by drkit: the copy had no postgresql.conf.\n";
            PgConf.writeAtomically(directory, conf, confText + "\n# Settings of drkit's restored copy; they override"
                + " the ones above.\ninclude '" + RESTORE_CONF_FILE + "'\n", runAs);
            PgConf.writeAtomically(directory, dataDirectory.resolve("pg_hba.conf"),
                "# Written by drkit for a restored copy: the unix socket only, in a directory only its owner can enter.\n"
                    + "local all all trust\n", runAs);
            Path ident = dataDirectory.resolve("pg_ident.conf");
            if (!Files.exists(ident, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                PgConf.writeAtomically(directory, ident, "", runAs);
            }
            Path autoConf = dataDirectory.resolve("postgresql.auto.conf");
            if (Files.isRegularFile(autoConf, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                String text = PgConf.read(autoConf);
                PgConf.writeAtomically(directory, autoConf, PgConf.withoutSettings(text, List.copyOf(settings().keySet())), runAs);
            }
            writeConf();
            giveTree(dataDirectory);
        } catch (IOException e) {
            throw failure("cannot adopt the copy: " + e.getMessage(), null, e);
        }
        log.info("PostgreSQL cluster '{}' restored into {} in {} ms", name, dataDirectory,
            (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * Refuses a copy that reaches outside its directory. A base backup's tablespaces are links under
     * {@code pg_tblspc} (or lines of {@code tablespace_map}, from which recovery makes them) to the origin's
     * tablespace directories, and a server started on the copy would replay WAL into those live files; giving the
     * tree to the server's user would also change the owner of what a link names.
     */
    private void refuseLinksOut() throws IOException {
        try (Stream<Path> tree = Files.walk(dataDirectory)) {
            Optional<Path> link = tree.filter(Files::isSymbolicLink).findFirst();
            if (link.isPresent()) {
                throw failure("holds a symbolic link, " + dataDirectory.relativize(link.get()) + ", to a place outside the"
                    + " copy (a tablespace or a linked pg_wal): a restored copy must not reach its origin's files;"
                    + " restore tablespaces into the data directory first", null, null);
            }
        }
        Path map = dataDirectory.resolve("tablespace_map");
        if (Files.exists(map, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.size(map) > 0) {
            throw failure("has a tablespace_map naming tablespaces outside the copy, which recovery would link to and"
                + " write into: a restored copy must not reach its origin's files", null, null);
        }
    }

    private void giveTree(Path root) throws IOException {
        Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
            /** After their contents, so the server's user can enter no directory that root still walks. */
            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path dir, @Nullable IOException e)
                throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                runAs.chown(dir);
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes attrs)
                throws IOException {
                if (attrs.isRegularFile()) {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                }
                runAs.chown(file);
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
    }

    private Map<String, String> restoredSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("listen_addresses", HOST);
        s.put("port", Integer.toString(port));
        s.put("unix_socket_directories", socketDirectory.toString());
        s.put("cluster_name", name);
        s.put("hba_file", dataDirectory.resolve("pg_hba.conf").toString());
        s.put("ident_file", dataDirectory.resolve("pg_ident.conf").toString());
        s.put("fsync", config.fsync() ? "on" : "off");
        s.put("hot_standby", "on");
        s.put("logging_collector", "off");
        s.put("lc_messages", "C");
        // A copy never runs on, streams from, waits for or archives into what its origin's settings name.
        s.put("data_directory", dataDirectory.toString());
        s.put("external_pid_file", "");
        s.put("primary_conninfo", "");
        s.put("primary_slot_name", "");
        s.put("synchronous_standby_names", "");
        s.put("archive_mode", "off");
        s.put("archive_command", "");
        s.put("archive_library", "");
        s.putAll(config.settings());
        synchronized (settingsLock) {
            s.putAll(appliedSettings);
        }
        return s;
    }

    /**
     * Runs {@code sql} with {@code psql} over the server's unix socket, as the server's operating-system user,
     * and returns what {@code psql -A -t} prints on its standard output: one line per row, columns separated by
     * {@code |}, NULL as an empty string, without the final line break. What it writes on its standard error (a
     * {@code WARNING} or {@code NOTICE} from the server, such as a collation version mismatch on every connection) is
     * never part of it, and is quoted when psql fails. Works for every cluster, and is the only way to query one made
     * by {@link #restore(PgClusterConfig, DataDirectoryWriter)}.
     *
     * @param user     the role to connect as (trusted over the socket of a restored copy)
     * @param database the database to connect to
     * @throws MissingToolException  if the binaries have no {@code psql}
     * @throws PostgresException     if {@code psql} fails or takes longer than {@link PgClusterConfig#socketTimeout()};
     *                               the message has its error output
     * @throws IllegalStateException if the cluster is closed or not running
     * @since 0.1
     */
    public String psql(String user, String database, String sql) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(sql, "sql");
        checkRunning();
        Path psql = binaries.tool("psql", "querying PostgreSQL cluster '" + name + "'");
        // -d as a connection string, so that a database name with '=' in it is read as a name
        List<String> command = List.of(psql.toString(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", socketDirectory.toString(), "-p", Integer.toString(port), "-U", user,
            "-d", "dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'", "-c", sql);
        // the output apart from the errors: a WARNING the server sends on connecting is not a row
        ProcessRunner.Result result = runner.runApart(command, Map.of("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS),
            config.socketTimeout());
        if (!result.succeeded()) {
            throw failure("psql " + (result.timedOut() ? "timed out after " + config.socketTimeout().toSeconds() + " s"
                : "failed with exit code " + result.exitCode()) + ": "
                + Text.oneLine(Text.tail(result.errors(), 5), 500), null, null);
        }
        String out = result.output();
        return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    /**
     * Starts the server and waits until it accepts connections (or, for a standby without hot standby, until it
     * runs). Does nothing if it is running. If a free port chosen by drkit was taken by someone else before
     * the first start, another is chosen and the start retried. If the wait fails or the thread is interrupted,
     * the server being started is killed before the exception is thrown (the interrupt flag stays set).
     *
     * @return this cluster
     * @throws PostgresStartException if the server exits or does not accept connections within
     *                                {@link PgClusterConfig#startTimeout()}; the message ends with the log's last lines
     * @throws IllegalStateException  if the cluster is closed
     * @since 0.1
     */
    public synchronized PgCluster start() {
        checkOpen();
        if (isRunning()) {
            return this;
        }
        Path postgres = binaries.tool("postgres", "starting PostgreSQL cluster '" + name + "'");
        for (int attempt = 1; ; attempt++) {
            long logOffset = Text.sizeOf(logFile);
            long started = System.nanoTime();
            Process process = spawnPostmaster(postgres);
            String outcome;
            try {
                outcome = awaitReady(process, config.startTimeout());
            } catch (RuntimeException | Error e) {
                // Interrupted or failed while waiting: postmasterPid is not set yet, so nothing else would ever
                // stop this server, and close() would take the cluster for stopped.
                killLaunched(process);
                throw e;
            }
            if (outcome.isEmpty()) {
                everStarted = true;
                if (watchdog != null) {
                    watchdog.running(postmasterPid, postmasterStartTicks);
                }
                log.info("PostgreSQL cluster '{}' started on {}:{} in {} ms (pid {})", name, HOST, port,
                    (System.nanoTime() - started) / 1_000_000, postmasterPid);
                return this;
            }
            String tail = Text.tailOfFile(logFile, logOffset, LOG_TAIL_LINES);
            if (portAutomatic && !everStarted && attempt < PORT_ATTEMPTS && portTaken(tail)) {
                int taken = port;
                port = Postmasters.freePort();
                log.debug("PostgreSQL cluster '{}': port {} was taken meanwhile; retrying on {}", name, taken, port);
                try {
                    writeConf();
                } catch (IOException e) {
                    throw failure("cannot write its configuration: " + e.getMessage(), null, e);
                }
                continue;
            }
            throw new PostgresStartException(describe() + " did not start: " + outcome + ". Last lines of " + logFile
                + ":\n" + Text.indent(tail), name, HOST, port, dataDirectory, logFile, tail, null);
        }
    }

    private Process spawnPostmaster(Path postgres) {
        // A redirect follows links; the log's directory is this JVM's, so what is checked here stays so.
        try {
            if (!Files.readAttributes(logFile, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                throw failure("cannot start: its log " + logFile + " is not a regular file", null, null);
            }
        } catch (IOException e) {
            throw failure("cannot start: its log " + logFile + " is unusable: " + e.getMessage(), null, e);
        }
        ProcessBuilder pb = runner.builder(List.of(postgres.toString(), "-D", dataDirectory.toString()), Map.of());
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        try {
            Process process = pb.start();
            launcher = process;
            if (watchdog != null) {
                watchdog.launched(process.pid());
            }
            return process;
        } catch (IOException e) {
            throw failure("cannot start " + postgres + ": " + e.getMessage(), null, e);
        }
    }

    /** Empty when the server is ready; otherwise why it is not. */
    private String awaitReady(Process process, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Postmasters.PidFile> pidFile = Postmasters.readPidFile(dataDirectory);
            if (pidFile.isPresent() && belongsTo(pidFile.get().pid(), process)
                && (Postmasters.STATUS_READY.equals(pidFile.get().status())
                    || Postmasters.STATUS_STANDBY.equals(pidFile.get().status()))) {
                long pid = pidFile.get().pid();
                OptionalLong started = Postmasters.startTicks(pid);
                if (started.isPresent()) {
                    postmasterStartTicks = started.getAsLong();
                    postmasterPid = pid;
                    return "";
                }
            }
            if (!process.isAlive()) {
                return "the server exited with code " + process.exitValue();
            }
            if (System.nanoTime() - deadline > 0) {
                pidFile.ifPresent(p -> {
                    if (belongsTo(p.pid(), process)) {
                        Postmasters.kill9(p.pid(), true, CHILDREN_EXIT_TIMEOUT);
                    }
                });
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                return "it did not accept connections within " + timeout.toSeconds() + " s (killed)";
            }
            Postmasters.pause(20);
        }
    }

    /** Kills a server being started and everything below its launcher, and waits for them; keeps an interrupt. */
    private static void killLaunched(Process process) {
        // Cleared meanwhile, or every wait below would give up at once.
        boolean interrupted = Thread.interrupted();
        try {
            List<ProcessHandle> below = process.descendants().toList();
            process.destroyForcibly();
            below.forEach(ProcessHandle::destroyForcibly);
            process.waitFor(CHILDREN_EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            for (ProcessHandle h : below) {
                Postmasters.awaitDeath(h.pid(), CHILDREN_EXIT_TIMEOUT);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** setpriv execs the server (same pid); runuser forks it (a child of the launcher). */
    private static boolean belongsTo(long pid, Process launcher) {
        return pid == launcher.pid() || launcher.descendants().anyMatch(h -> h.pid() == pid);
    }

    private static boolean portTaken(String logTail) {
        return logTail.contains("could not bind") || logTail.contains("Address already in use")
            || logTail.contains("could not create any TCP/IP sockets");
    }

    /**
     * Whether the server is running (its postmaster process is alive).
     *
     * @since 0.1
     */
    public boolean isRunning() {
        return postmasterAlive();
    }

    /** Whether the postmaster this cluster started is alive: its pid, at its start time (pids are reused). */
    private boolean postmasterAlive() {
        long pid = postmasterPid;
        return pid > 0 && Postmasters.isAlive(pid, postmasterStartTicks);
    }

    /**
     * Stops the server with {@code mode} and waits until it is gone ({@code pg_ctl stop -m mode -w}). Does
     * nothing if it is not running.
     *
     * @throws PostgresException     if it does not stop within {@link PgClusterConfig#stopTimeout()} (with
     *                               {@link StopMode#SMART}, clients still connected keep it up)
     * @throws IllegalStateException if the cluster is closed
     * @since 0.1
     */
    public synchronized void stop(StopMode mode) {
        Objects.requireNonNull(mode, "mode");
        checkOpen();
        stopInternal(mode);
    }

    private void stopInternal(StopMode mode) {
        if (!isRunning()) {
            return;
        }
        long pid = postmasterPid;
        Path pgCtl = binaries.tool("pg_ctl", "stopping PostgreSQL cluster '" + name + "'");
        ProcessRunner.Result result = runner.run(List.of(pgCtl.toString(), "stop", "-D", dataDirectory.toString(),
                "-m", mode.pgCtlName(), "-w", "-t", seconds(config.stopTimeout())), Map.of(),
            config.stopTimeout().plusSeconds(10));
        if (!Postmasters.awaitDeath(pid, result.succeeded() ? CHILDREN_EXIT_TIMEOUT : Duration.ZERO)) {
            throw failure("did not stop (" + mode.pgCtlName() + ") within " + config.stopTimeout().toSeconds()
                + " s: pg_ctl " + pgCtlOutcome(result) + ":\n" + Text.indent(result.tail(10)), null, null);
        }
        reapLauncher();
        if (watchdog != null) {
            watchdog.stopped();
        }
        if (result.succeeded()) {
            log.info("PostgreSQL cluster '{}' stopped ({})", name, mode.pgCtlName());
        } else {
            log.warn("PostgreSQL cluster '{}': postmaster {} is gone, but pg_ctl stop ({}) {}:\n{}", name, pid,
                mode.pgCtlName(), pgCtlOutcome(result), Text.indent(result.tail(10)));
        }
    }

    private static String pgCtlOutcome(ProcessRunner.Result result) {
        return result.timedOut() ? "timed out" : "exited with code " + result.exitCode();
    }

    /**
     * Kills the postmaster with SIGKILL, as a crash would, and waits until it and its children are gone (so a
     * later {@link #start()} finds the shared memory released and runs crash recovery). Does nothing if it is
     * not running.
     *
     * @throws IllegalStateException if the cluster is closed
     * @since 0.1
     */
    public synchronized void kill9() {
        checkOpen();
        if (!isRunning()) {
            return;
        }
        long pid = postmasterPid;
        List<Long> children = Postmasters.descendants(pid);
        Postmasters.kill9(pid, false, CHILDREN_EXIT_TIMEOUT);
        for (long child : children) {
            // Children notice the postmaster's death and exit by themselves; only stragglers get SIGKILL.
            if (!Postmasters.awaitDeath(child, CHILDREN_EXIT_TIMEOUT)) {
                Postmasters.kill9(child, false, CHILDREN_EXIT_TIMEOUT);
            }
        }
        reapLauncher();
        if (watchdog != null && !postmasterAlive()) {
            watchdog.stopped();
        }
        log.info("PostgreSQL cluster '{}': postmaster {} killed with SIGKILL", name, pid);
    }

    private void reapLauncher() {
        Process process = launcher;
        if (process != null) {
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Stops the server with {@link StopMode#FAST} and starts it again.
     *
     * @return this cluster
     * @throws PostgresStartException if it does not start again
     * @since 0.1
     */
    public synchronized PgCluster restart() {
        stop(StopMode.FAST);
        return start();
    }

    /**
     * Promotes this standby to a primary ({@code pg_ctl promote -w}), waits until it accepts writes, then runs
     * a {@code CHECKPOINT} so that {@link #timeline()} reports the new timeline at once.
     *
     * @throws PostgresException     if the promotion fails or takes longer than {@link PgClusterConfig#stopTimeout()}
     * @throws IllegalStateException if the cluster is closed or not running
     * @since 0.1
     */
    public synchronized void promote() {
        checkRunning();
        Path pgCtl = binaries.tool("pg_ctl", "promoting PostgreSQL cluster '" + name + "'");
        ProcessRunner.Result result = runner.run(List.of(pgCtl.toString(), "promote", "-D", dataDirectory.toString(),
            "-w", "-t", seconds(config.stopTimeout())), Map.of(), config.stopTimeout().plusSeconds(10));
        if (!result.succeeded()) {
            throw failure("was not promoted: pg_ctl " + pgCtlOutcome(result) + ":\n" + Text.indent(result.tail(10)),
                null, null);
        }
        long deadline = System.nanoTime() + config.stopTimeout().toNanos();
        while (isInRecovery()) {
            if (System.nanoTime() - deadline > 0) {
                throw failure("is still in recovery " + config.stopTimeout().toSeconds() + " s after pg_ctl promote",
                    null, null);
            }
            Postmasters.pause(20);
        }
        execute("CHECKPOINT");
        log.info("PostgreSQL cluster '{}' promoted to primary on timeline {}", name, timeline());
    }

    /**
     * Stops the server (fast; immediate if that fails; SIGKILL if that fails too), removes a replica from its
     * primary's {@code synchronous_standby_names} and drops its replication slot there (when the primary still
     * runs), and deletes the cluster's directory unless {@link PgClusterConfig#deleteOnClose()} is off.
     * Each of these steps runs even if an earlier one failed (failures are logged at WARN). An interrupted
     * caller still gets the whole cleanup: the thread's interrupt flag is cleared while it runs and set again
     * afterwards. Last, the cluster's watchdog is told to exit, and waited for. If the server could not be stopped,
     * the JVM shutdown hook tries once more, and the watchdog stays for a JVM killed meanwhile. Idempotent;
     * never throws.
     *
     * @since 0.1
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // An interrupted caller (a cancelled task, a test's timeout) must still get a full cleanup: with the
        // flag set, every wait below would give up at once. The flag is restored for the caller afterwards.
        boolean interrupted = Thread.interrupted();
        try {
            cleanUp();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Every stage runs whatever the others did: one failure must not leave the rest behind. */
    private void cleanUp() {
        PgCluster primary = upstream;
        if (primary != null) {
            // First, so the primary's commits never wait for a standby that is going away.
            quietly("removing it from its primary's synchronous_standby_names",
                () -> primary.forgetSynchronousStandby(name));
        }
        synchronized (this) {
            quietly("stopping the server", this::stopQuietly);
            CredentialFiles credentials = replicationCredentials;
            if (credentials != null) {
                quietly("removing its credential files", credentials::close);
            }
            if (config.deleteOnClose()) {
                quietly("deleting its directory", () -> {
                    if (!Trees.deleteQuietly(directory)) {
                        log.warn("PostgreSQL cluster '{}': could not delete all of {}", name, directory);
                    }
                });
            } else {
                log.info("PostgreSQL cluster '{}' closed; its files stay in {}", name, directory);
            }
            quietly("wiping its password", password::close);
        }
        if (primary != null) {
            quietly("dropping its replication slot on its primary", () -> primary.forgetReplica(name));
        }
        long pid = postmasterPid;
        if (postmasterAlive()) {
            // Still registered, so the exit hook makes one more attempt; the watchdog stays for a JVM killed meanwhile.
            log.warn("PostgreSQL cluster '{}': postmaster {} is still running after close", name, pid);
        } else {
            ExitCleanup.unregister(this);
            if (watchdog != null) {
                // Last: a JVM killed while closing still has the watchdog finish the job.
                watchdog.dismiss(WATCHDOG_EXIT_TIMEOUT);
            }
        }
        log.debug("PostgreSQL cluster '{}' closed", name);
    }

    private void quietly(String what, Runnable stage) {
        try {
            stage.run();
        } catch (RuntimeException e) {
            log.warn("PostgreSQL cluster '{}': {} failed while closing: {}", name, what, e.toString());
        }
    }

    private void stopQuietly() {
        for (StopMode mode : List.of(StopMode.FAST, StopMode.IMMEDIATE)) {
            try {
                stopInternal(mode);
                return;
            } catch (RuntimeException e) {
                log.warn("PostgreSQL cluster '{}': stop ({}) failed while closing: {}", name, mode.pgCtlName(),
                    e.getMessage());
            }
        }
        long pid = postmasterPid;
        if (postmasterAlive()) {
            log.warn("PostgreSQL cluster '{}': killing postmaster {} and its children with SIGKILL", name, pid);
            Postmasters.kill9(pid, true, CHILDREN_EXIT_TIMEOUT);
            reapLauncher();
        }
    }

    /** Releases what the constructor made when it fails half-way. */
    private void discard() {
        closed = true;
        ExitCleanup.unregister(this);
        Trees.deleteQuietly(directory);
        password.close();
    }

    /**
     * The shutdown hook's action: no locks, no waiting for a stop. It runs for clusters never closed and for
     * those whose {@link #close()} did not finish its cleanup.
     */
    private void cleanUpAtExit() {
        long pid = postmasterPid;
        boolean running = postmasterAlive();
        boolean delete = !closed || config.deleteOnClose();
        log.warn("PostgreSQL cluster '{}' was not {} before the JVM exit: {}{}", name,
            closed ? "cleaned up" : "closed", running ? "killing postmaster " + pid : "",
            delete ? (running ? " and " : "") + "deleting " + directory : "");
        if (running) {
            Postmasters.kill9(pid, true, Duration.ofSeconds(5));
        }
        if (delete) {
            Trees.deleteQuietly(directory);
        }
        if (watchdog != null && !postmasterAlive()) {
            // Not waited for: it exits as soon as it reads the line, whether or not this JVM is still there.
            watchdog.dismiss(Duration.ZERO);
        }
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @since 0.1
     */
    public boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------------------------------------ replicas

    /**
     * Creates a streaming replica of this cluster, starts it and waits until it streams (and, for
     * {@link ReplicationMode#SYNC}, until this primary reports it as synchronous). The replica gets a physical
     * replication slot on this cluster, so WAL it has not received is kept. Its data is copied with
     * {@code pg_basebackup -R} or the low-level backup API ({@link BaseBackupMethod}); it reads the password
     * from a 0600 {@code passfile} in its own directory. Closing the replica removes it from this cluster's
     * {@code synchronous_standby_names} and drops its slot.
     *
     * <p>The replica is a {@code PgCluster} of its own with the same binaries, superuser and password and this
     * cluster's configuration, except for its name, its port and the options' settings. The caller closes it.
     *
     * @throws MissingToolException     if {@link BaseBackupMethod#PG_BASEBACKUP} is asked for and absent
     * @throws PostgresException        if copying fails or the replica does not stream within the options' timeout
     * @throws PostgresStartException   if the replica does not start
     * @throws IllegalArgumentException if this cluster already has a replica of that name
     * @throws IllegalStateException    if this cluster is closed or not running, or {@code SYNC} is asked of a standby
     * @since 0.1
     */
    public PgCluster createReplica(ReplicaOptions options) {
        Objects.requireNonNull(options, "options");
        checkRunning();
        String replicaName = options.name();
        Checks.argument(!replicaName.equals(name), "a replica's name must differ from its primary's, but both are \"%s\"",
            replicaName);
        if (options.mode() == ReplicationMode.SYNC && isInRecovery()) {
            throw new IllegalStateException("PostgreSQL cluster '" + name + "' is a standby; synchronous replication"
                + " needs a primary");
        }
        BaseBackupMethod method = options.method();
        if (method == BaseBackupMethod.AUTO) {
            method = binaries.hasTool("pg_basebackup") ? BaseBackupMethod.PG_BASEBACKUP : BaseBackupMethod.LOW_LEVEL_API;
        }
        Path pgBasebackup = method == BaseBackupMethod.PG_BASEBACKUP
            ? binaries.tool("pg_basebackup", "creating replica '" + replicaName + "' with pg_basebackup") : null;
        if (replicas.putIfAbsent(replicaName, options) != null) {
            throw new IllegalArgumentException("PostgreSQL cluster '" + name + "' already has a replica named \""
                + replicaName + "\"");
        }
        for (String other : replicas.keySet()) {
            // Before the slot is made: a failed replica's clean-up drops its slot, which here is the other's.
            if (!other.equals(replicaName) && slotName(other).equals(slotName(replicaName))) {
                replicas.remove(replicaName, options);
                throw new IllegalArgumentException("PostgreSQL cluster '" + name + "': replica \"" + replicaName
                    + "\" would share replication slot '" + slotName(replicaName) + "' with replica \"" + other
                    + "\"; give it a name that differs in more than '-' and '_'");
            }
        }
        PgClusterConfig.Builder replicaConfig = config.toBuilder().name(replicaName).port(options.port());
        options.settings().forEach(replicaConfig::setting);
        long started = System.nanoTime();
        long deadline = started + options.timeout().toNanos();
        String slot = slotName(replicaName);
        boolean slotMayExist = false;
        PgCluster replica = null;
        try {
            replica = new PgCluster(replicaConfig.build(), binaries, runAs,
                password.relabel("postgres superuser password"), this);
            CredentialFiles credentials = CredentialFiles.create("replication", replica.directory, runAs.ownerName());
            replica.replicationCredentials = credentials;
            Path passfile;
            try (Secret line = PgConf.pgpassLine(HOST, port, config.superuser(), password)) {
                passfile = credentials.write("pgpass", line);
            }
            slotMayExist = true;
            if (pgBasebackup != null) {
                copyWithPgBasebackup(pgBasebackup, replica, slot, passfile, options.timeout());
            } else {
                copyWithBackupApi(replica, slot, passfile);
            }
            replica.writeConf();
            replica.start();
            if (options.mode() == ReplicationMode.SYNC) {
                addSynchronousStandby(replicaName);
            }
            awaitStandby(replica, options.mode() == ReplicationMode.SYNC, deadline, options.timeout());
            log.info("PostgreSQL cluster '{}': replica '{}' ({}, {}) streaming on {}:{} after {} ms", name, replicaName,
                options.mode(), method, HOST, replica.port(), (System.nanoTime() - started) / 1_000_000);
            return replica;
        } catch (IOException e) {
            abandon(replica, replicaName, slotMayExist ? slot : null);
            throw failure("could not create replica '" + replicaName + "': " + e.getMessage(), null, e);
        } catch (RuntimeException e) {
            abandon(replica, replicaName, slotMayExist ? slot : null);
            throw e;
        }
    }

    private void abandon(@Nullable PgCluster replica, String replicaName, @Nullable String slot) {
        if (replica != null) {
            replica.close(); // also forgets the synchronous standby, the replica and its slot
        } else {
            replicas.remove(replicaName);
        }
        if (slot != null) {
            dropSlotQuietly(slot);
        }
    }

    private void copyWithPgBasebackup(Path pgBasebackup, PgCluster replica, String slot, Path passfile,
                                      Duration timeout) {
        replica.createServerDataDirectory();
        List<String> command = new ArrayList<>(List.of(pgBasebackup.toString(),
            "-D", replica.dataDirectory.toString(),
            "-d", "host=" + HOST + " port=" + port + " user=" + config.superuser() + " application_name=" + replica.name,
            "-w", "-X", "stream", "-R", "-C", "-S", slot, "-c", "fast"));
        if (!config.fsync()) {
            command.add("-N");
        }
        ProcessRunner.Result result = replica.runner.run(command, Map.of("PGPASSFILE", passfile.toString()), timeout);
        if (!result.succeeded()) {
            throw failure("pg_basebackup for replica '" + replica.name + "' " + (result.timedOut() ? "timed out after "
                + timeout.toSeconds() + " s" : "failed with exit code " + result.exitCode()) + ":\n"
                + Text.indent(result.tail(LOG_TAIL_LINES)), null, null);
        }
    }

    private void copyWithBackupApi(PgCluster replica, String slot, Path passfile) throws IOException {
        boolean newApi = binaries.majorVersion() >= 15;
        String[] labels = withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
                // The slot comes first and reserves WAL now, so everything from the backup's start is kept.
                ps.setString(1, slot);
                ps.execute();
            }
            try (PreparedStatement ps = c.prepareStatement(newApi ? "SELECT pg_backup_start(?, true)"
                : "SELECT pg_start_backup(?, true, false)")) {
                ps.setString(1, "drkit replica " + replica.name);
                ps.execute();
            }
            try {
                Trees.copyDataDirectory(dataDirectory, replica.dataDirectory, runAs);
            } catch (IOException e) {
                // Closing this session ends the backup.
                throw new SQLException("copying the data directory failed: " + e.getMessage(), "58030", e);
            }
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery(newApi ? "SELECT labelfile, spcmapfile FROM pg_backup_stop(false)"
                     : "SELECT labelfile, spcmapfile FROM pg_stop_backup(false, false)")) {
                rs.next();
                return new String[] {rs.getString(1), rs.getString(2)};
            }
        });
        replica.writeData("backup_label", labels[0]);
        if (labels[1] != null && !labels[1].isEmpty()) {
            replica.writeData("tablespace_map", labels[1]);
        }
        replica.writeData("standby.signal", "");
        Path autoConf = replica.dataDirectory.resolve("postgresql.auto.conf");
        String existing = Files.exists(autoConf, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? PgConf.read(autoConf) : "";
        String conninfo = "host=" + HOST + " port=" + port + " user=" + PgConf.conninfoValue(config.superuser())
            + " passfile=" + PgConf.conninfoValue(passfile.toString())
            + " application_name=" + PgConf.conninfoValue(replica.name);
        String text = PgConf.withoutSettings(existing, List.of("primary_conninfo", "primary_slot_name")).stripTrailing()
            + "\nprimary_conninfo = " + PgConf.quote(conninfo) + "\nprimary_slot_name = " + PgConf.quote(slot) + "\n";
        replica.writeData("postgresql.auto.conf", text);
        // Last: until now only root could enter the copy.
        runAs.chown(replica.dataDirectory);
    }

    private void writeData(String fileName, String content) throws IOException {
        PgConf.writeAtomically(directory, dataDirectory.resolve(fileName), content, runAs);
    }

    private void awaitStandby(PgCluster replica, boolean synchronous, long deadline, Duration timeout) {
        while (true) {
            Optional<StandbyStatus> status = standbys().stream()
                .filter(s -> s.applicationName().equals(replica.name)).findFirst();
            if (status.isPresent() && status.get().isStreaming() && (!synchronous || status.get().isSynchronous())) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw failure("replica '" + replica.name + "' was not " + (synchronous ? "a streaming synchronous"
                    : "a streaming") + " standby within " + timeout.toSeconds() + " s (pg_stat_replication: "
                    + status.map(StandbyStatus::toString).orElse("no row") + "). Last lines of " + replica.logFile
                    + ":\n" + Text.indent(replica.logTail(LOG_TAIL_LINES)), null, null);
            }
            Postmasters.pause(25);
        }
    }

    private void addSynchronousStandby(String replicaName) {
        synchronized (settingsLock) {
            synchronousStandbys.add(replicaName);
            rewriteAndReload();
        }
    }

    private void forgetSynchronousStandby(String replicaName) {
        synchronized (settingsLock) {
            if (closed || !synchronousStandbys.remove(replicaName)) {
                return;
            }
            try {
                rewriteAndReload();
            } catch (RuntimeException e) {
                log.warn("PostgreSQL cluster '{}': could not remove '{}' from synchronous_standby_names: {}", name,
                    replicaName, e.getMessage());
            }
        }
    }

    private void forgetReplica(String replicaName) {
        if (replicas.remove(replicaName) != null && !closed) {
            dropSlotQuietly(slotName(replicaName));
        }
    }

    private void rewriteAndReload() {
        try {
            writeConf();
        } catch (IOException e) {
            throw failure("cannot write its configuration: " + e.getMessage(), null, e);
        }
        if (isRunning()) {
            execute("SELECT pg_reload_conf()");
        }
    }

    private void dropSlotQuietly(String slot) {
        if (closed || !isRunning()) {
            return;
        }
        long deadline = System.nanoTime() + CHILDREN_EXIT_TIMEOUT.toNanos();
        while (true) {
            try {
                withConnection(c -> {
                    try (PreparedStatement ps = c.prepareStatement(
                        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
                        ps.setString(1, slot);
                        ps.execute();
                    }
                    return null;
                });
                return;
            } catch (PostgresException e) {
                // 55006: the walsender has not noticed yet that its standby went away.
                if (!"55006".equals(e.sqlState().orElse("")) || System.nanoTime() - deadline > 0) {
                    log.warn("PostgreSQL cluster '{}': could not drop replication slot '{}': {}", name, slot,
                        e.getMessage());
                    return;
                }
                Postmasters.pause(50);
            }
        }
    }

    private static String slotName(String clusterName) {
        return clusterName.replace('-', '_');
    }

    /**
     * The standbys connected to this cluster ({@code pg_stat_replication}).
     *
     * @throws PostgresException if the query fails
     * @since 0.1
     */
    public List<StandbyStatus> standbys() {
        return withConnection(c -> {
            List<StandbyStatus> result = new ArrayList<>();
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT application_name, state, sync_state FROM pg_stat_replication"
                     + " ORDER BY application_name")) {
                while (rs.next()) {
                    result.add(new StandbyStatus(Objects.toString(rs.getString(1), ""), Objects.toString(rs.getString(2), ""),
                        Objects.toString(rs.getString(3), "")));
                }
            }
            return List.copyOf(result);
        });
    }

    /**
     * Changes server settings at run time: writes them to the configuration and reloads it. Settings that need a
     * restart take effect at the next {@link #start()}.
     *
     * @throws IllegalArgumentException as {@link PgClusterConfig.Builder#setting(String, String)} does
     * @throws PostgresException        if the configuration cannot be written or reloaded
     * @since 0.1
     */
    public void applySettings(Map<String, String> settings) {
        Objects.requireNonNull(settings, "settings");
        PgClusterConfig.Builder check = PgClusterConfig.builder();
        settings.forEach(check::setting);
        checkOpen();
        synchronized (settingsLock) {
            appliedSettings.putAll(settings);
            rewriteAndReload();
        }
    }

    // ------------------------------------------------------------------------------------------------ SQL

    /**
     * The JDBC URL of the {@code postgres} database: {@code jdbc:postgresql://127.0.0.1:<port>/postgres}. It
     * holds no credentials; see {@link #connect()} and {@link #superuserPassword()}.
     *
     * @since 0.1
     */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /**
     * The JDBC URL of {@code database}.
     *
     * @since 0.1
     */
    public String jdbcUrl(String database) {
        Objects.requireNonNull(database, "database");
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
    }

    /**
     * A new connection to the {@code postgres} database as the superuser; the caller closes it.
     *
     * @throws PostgresException     if the connection fails
     * @throws IllegalStateException if the cluster is closed
     * @since 0.1
     */
    public Connection connect() {
        return connect("postgres");
    }

    /**
     * A new connection to {@code database} as the superuser; the caller closes it. The password goes to the
     * driver in its {@code Properties}, never in the URL. Connecting and logging in may take 10 seconds; each
     * read from the server {@link PgClusterConfig#socketTimeout()}.
     *
     * @throws PostgresException     if the connection fails
     * @throws IllegalStateException if the cluster is closed
     * @since 0.1
     */
    public Connection connect(String database) {
        checkOpen();
        String url = jdbcUrl(database);
        Properties properties = new Properties();
        properties.setProperty("user", config.superuser());
        // JDBC takes the password as a String; it lives only in this Properties object.
        password.withChars(chars -> properties.setProperty("password", new String(chars)));
        properties.setProperty("sslmode", "disable");
        properties.setProperty("connectTimeout", CONNECT_TIMEOUT_SECONDS);
        properties.setProperty("loginTimeout", CONNECT_TIMEOUT_SECONDS);
        // Without it, a read from a frozen server (SIGSTOP, a hung disk, a dropped network) waits for ever.
        properties.setProperty("socketTimeout", seconds(config.socketTimeout()));
        properties.setProperty("ApplicationName", "drkit");
        try {
            Connection connection = DRIVER.connect(url, properties);
            if (connection == null) {
                throw new IllegalStateException("the PostgreSQL driver does not accept " + url);
            }
            return connection;
        } catch (SQLException e) {
            throw failure("refused a connection: " + e.getMessage(), e.getSQLState(), e);
        }
    }

    /**
     * Runs {@code work} with a new connection to the {@code postgres} database, closed afterwards.
     *
     * @throws PostgresException if connecting fails or {@code work} throws an {@link SQLException}
     * @since 0.1
     */
    public <T> T withConnection(ConnectionCallback<T> work) {
        Objects.requireNonNull(work, "work");
        try (Connection connection = connect()) {
            return work.apply(connection);
        } catch (SQLException e) {
            throw failure("statement failed: " + e.getMessage(), e.getSQLState(), e);
        }
    }

    /**
     * Runs {@code sql} (one or more statements, in one implicit transaction) in the {@code postgres} database.
     *
     * @throws PostgresException if it fails; {@link PostgresException#sqlState()} says why
     * @since 0.1
     */
    public void execute(String sql) {
        Objects.requireNonNull(sql, "sql");
        withConnection(c -> {
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            }
            return null;
        });
    }

    /**
     * The first column of the first row of {@code sql}'s result, as text; empty when there is no row or the
     * value is NULL.
     *
     * @throws PostgresException if the query fails
     * @since 0.1
     */
    public Optional<String> queryValue(String sql) {
        Objects.requireNonNull(sql, "sql");
        return withConnection(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.<String>empty();
            }
        });
    }

    /**
     * The first column of the first row of {@code sql}'s result, as a number.
     *
     * @throws PostgresException if the query fails, returns no row, NULL or something that is not a number
     * @since 0.1
     */
    public long queryLong(String sql) {
        String value = queryValue(sql).orElseThrow(() -> failure("query returned no value: " + abbreviate(sql), null, null));
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw failure("query returned '" + abbreviate(value) + "', not a number: " + abbreviate(sql), null, e);
        }
    }

    /**
     * Every row of {@code sql}'s result, each a map from column label to value as text (NULL stays null), in
     * column order.
     *
     * @throws PostgresException if the query fails
     * @since 0.1
     */
    public List<Map<String, @Nullable String>> queryRows(String sql) {
        Objects.requireNonNull(sql, "sql");
        return withConnection(c -> {
            List<Map<String, @Nullable String>> rows = new ArrayList<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                ResultSetMetaData meta = rs.getMetaData();
                while (rs.next()) {
                    Map<String, @Nullable String> row = new LinkedHashMap<>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        row.put(meta.getColumnLabel(i), rs.getString(i));
                    }
                    rows.add(Collections.unmodifiableMap(row));
                }
            }
            return Collections.unmodifiableList(rows);
        });
    }

    /**
     * Whether the server is a standby ({@code pg_is_in_recovery()}).
     *
     * @throws PostgresException if the query fails
     * @since 0.1
     */
    public boolean isInRecovery() {
        return "t".equals(queryValue("SELECT pg_is_in_recovery()").orElse(""));
    }

    /**
     * The timeline of the latest checkpoint ({@code pg_control_checkpoint().timeline_id}): 1 for a new cluster,
     * one more after each promotion ({@link #promote()} checkpoints so this is current at once). On a standby,
     * the timeline of its latest restart point. Two servers that both accept writes and came from one cluster
     * differ here.
     *
     * @throws PostgresException if the query fails
     * @since 0.1
     */
    public int timeline() {
        return (int) queryLong("SELECT timeline_id FROM pg_control_checkpoint()");
    }

    /**
     * The cluster's system identifier ({@code pg_control_system().system_identifier}), shared by a primary and
     * every replica copied from it.
     *
     * @throws PostgresException if the query fails
     * @since 0.1
     */
    public long systemIdentifier() {
        return queryLong("SELECT system_identifier FROM pg_control_system()");
    }

    /**
     * The current WAL position, such as {@code "0/3000148"}: on a primary where it writes
     * ({@code pg_current_wal_lsn()}), on a standby what it has replayed ({@code pg_last_wal_replay_lsn()}).
     *
     * @throws PostgresException if the query fails
     * @since 0.1
     */
    public String currentLsn() {
        return queryValue("SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
            + " ELSE pg_current_wal_lsn() END").orElse("0/0");
    }

    /**
     * Waits until this server has replayed (a standby) or written (a primary) WAL up to {@code lsn}, typically
     * a primary's {@link #currentLsn()} after a write.
     *
     * @throws PostgresException        if it has not within {@code timeout}, or a query fails
     * @throws IllegalArgumentException if {@code lsn} is not an LSN such as {@code 0/3000148}
     * @since 0.1
     */
    public void awaitReplay(String lsn, Duration timeout) {
        Objects.requireNonNull(lsn, "lsn");
        Checks.positive(timeout, "timeout");
        Checks.argument(lsn.matches("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}"), "lsn must look like 0/3000148, but was \"%s\"", lsn);
        long deadline = System.nanoTime() + timeout.toNanos();
        String sql = "SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
            + " ELSE pg_current_wal_lsn() END, '" + lsn + "') >= 0";
        while (!"t".equals(queryValue(sql).orElse("f"))) {
            if (System.nanoTime() - deadline > 0) {
                throw failure("did not reach WAL position " + lsn + " within " + timeout.toMillis() + " ms (at "
                    + currentLsn() + ")", null, null);
            }
            Postmasters.pause(10);
        }
    }

    /**
     * A copy of the superuser's password, for callers that open their own connections or pools; the caller
     * closes it.
     *
     * @throws IllegalStateException if the cluster is closed
     * @since 0.1
     */
    public Secret superuserPassword() {
        checkOpen();
        return password.relabel("postgres superuser password");
    }

    // ------------------------------------------------------------------------------------------------ facts

    /**
     * The cluster's name.
     *
     * @since 0.1
     */
    public String name() {
        return name;
    }

    /**
     * The address the server listens on: {@value #HOST}.
     *
     * @since 0.1
     */
    public String host() {
        return HOST;
    }

    /**
     * The port the server listens on (chosen at creation; it may change only if the first start finds it taken).
     *
     * @since 0.1
     */
    public int port() {
        return port;
    }

    /**
     * The superuser's name.
     *
     * @since 0.1
     */
    public String superuser() {
        return config.superuser();
    }

    /**
     * The binaries this cluster runs.
     *
     * @since 0.1
     */
    public PgBinaries binaries() {
        return binaries;
    }

    /**
     * The configuration it was made with.
     *
     * @since 0.1
     */
    public PgClusterConfig config() {
        return config;
    }

    /**
     * The cluster's own temporary directory, holding {@code data/}, {@code run/} and {@code server.log}.
     *
     * @since 0.1
     */
    public Path directory() {
        return directory;
    }

    /**
     * The data directory.
     *
     * @since 0.1
     */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /**
     * The directory of the server's unix socket.
     *
     * @since 0.1
     */
    public Path socketDirectory() {
        return socketDirectory;
    }

    /**
     * The server log (the postmaster's stdout and stderr). It holds no passwords.
     *
     * @since 0.1
     */
    public Path logFile() {
        return logFile;
    }

    /**
     * The last {@code lines} lines of the server log.
     *
     * @since 0.1
     */
    public String logTail(int lines) {
        Checks.positive(lines, "lines");
        return Text.tailOfFile(logFile, 0, lines);
    }

    /**
     * The postmaster's process id while the server runs.
     *
     * @since 0.1
     */
    public OptionalLong postmasterPid() {
        return isRunning() ? OptionalLong.of(postmasterPid) : OptionalLong.empty();
    }

    @Override
    public String toString() {
        return "PgCluster[" + name + ", " + HOST + ":" + port + ", " + dataDirectory + ", "
            + (closed ? "closed" : isRunning() ? "running" : "stopped") + "]";
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private String describe() {
        return "PostgreSQL cluster '" + name + "' (" + HOST + ":" + port + ", data " + dataDirectory + ")";
    }

    private PostgresException failure(String what, @Nullable String sqlState, @Nullable Throwable cause) {
        return new PostgresException(describe() + " " + what, name, HOST, port, dataDirectory, sqlState, cause);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("PostgreSQL cluster '" + name + "' is closed");
        }
    }

    private void checkRunning() {
        checkOpen();
        if (!isRunning()) {
            throw new IllegalStateException("PostgreSQL cluster '" + name + "' is not running");
        }
    }

    private static String seconds(Duration d) {
        return Long.toString(Math.max(1, (d.toMillis() + 999) / 1000));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
