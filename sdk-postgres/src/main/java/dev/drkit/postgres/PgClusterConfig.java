package dev.drkit.postgres;

import dev.drkit.core.internal.Checks;
import dev.drkit.postgres.internal.PgConf;

import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How a {@link PgCluster} is made: its name, binaries, where its temporary directory goes, its superuser,
 * replication settings, extra server settings and timeouts.
 *
 * <p>The defaults suit a primary that replicas can stream from: {@code wal_level=replica},
 * {@value #DEFAULT_MAX_WAL_SENDERS} WAL senders and replication slots, {@code wal_keep_size}
 * {@value #DEFAULT_WAL_KEEP_SIZE}, {@code hot_standby=on}, {@code fsync=on}. {@link #forTests()} turns
 * {@code fsync} off and makes shared memory small, which is much faster and safe as long as the operating
 * system does not crash.
 *
 * <p>The server always listens on 127.0.0.1 only, on a free port unless {@link Builder#port(int)} says
 * otherwise, with its unix socket inside the cluster's own directory; those settings (and the replication
 * connection settings that {@link PgCluster#createReplica(ReplicaOptions)} manages) cannot be overridden.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * PgClusterConfig config = PgClusterConfig.forTests().toBuilder()
 *     .name("orders")
 *     .setting("max_connections", "40")
 *     .build();
 * }</pre>
 *
 * @since 0.1
 */
public final class PgClusterConfig {

    /** Default cluster name: {@value}. */
    public static final String DEFAULT_NAME = "pg";
    /** Default superuser: {@value}. */
    public static final String DEFAULT_SUPERUSER = "postgres";
    /** Default {@code max_wal_senders} and {@code max_replication_slots}: {@value}. */
    public static final int DEFAULT_MAX_WAL_SENDERS = 10;
    /** Default {@code wal_keep_size}: {@value}. */
    public static final String DEFAULT_WAL_KEEP_SIZE = "64MB";
    /** Default time a start may take: 60 seconds. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);
    /** Default time a stop or promotion may take: 60 seconds. */
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(60);
    /** Default time one read from the server may take on {@link PgCluster}'s connections: 30 seconds. */
    public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(30);

    /** Settings that {@link PgCluster} manages itself. */
    static final Set<String> RESERVED_SETTINGS = Set.of("listen_addresses", "port", "unix_socket_directories",
        "cluster_name", "primary_conninfo", "primary_slot_name", "synchronous_standby_names", "data_directory",
        "hba_file", "ident_file", "include", "include_dir", "include_if_exists");

    private final String name;
    private final @Nullable PgBinaries binaries;
    private final Path baseDirectory;
    private final int port;
    private final String superuser;
    private final @Nullable String runAsUser;
    private final boolean fsync;
    private final int maxWalSenders;
    private final String walKeepSize;
    private final Map<String, String> settings;
    private final Duration startTimeout;
    private final Duration stopTimeout;
    private final Duration socketTimeout;
    private final boolean deleteOnClose;

    private PgClusterConfig(Builder b) {
        this.name = b.name;
        this.binaries = b.binaries;
        this.baseDirectory = b.baseDirectory;
        this.port = b.port;
        this.superuser = b.superuser;
        this.runAsUser = b.runAsUser;
        this.fsync = b.fsync;
        this.maxWalSenders = b.maxWalSenders;
        this.walKeepSize = b.walKeepSize;
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(b.settings));
        this.startTimeout = b.startTimeout;
        this.stopTimeout = b.stopTimeout;
        this.socketTimeout = b.socketTimeout;
        this.deleteOnClose = b.deleteOnClose;
    }

    /**
     * A builder with the defaults.
     *
     * @since 0.1
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The defaults.
     *
     * @since 0.1
     */
    public static PgClusterConfig ofDefaults() {
        return builder().build();
    }

    /**
     * The defaults with {@code fsync=off}, {@code shared_buffers=16MB} and {@code max_connections=40}: fast,
     * and durable as long as the operating system does not crash. For tests and drills.
     *
     * @since 0.1
     */
    public static PgClusterConfig forTests() {
        return builder().fsync(false).setting("shared_buffers", "16MB").setting("max_connections", "40").build();
    }

    /**
     * A builder that starts from this configuration.
     *
     * @since 0.1
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * The cluster's name: part of its directory's name, its {@code cluster_name}, and for a replica its
     * {@code application_name} and replication slot.
     *
     * @since 0.1
     */
    public String name() {
        return name;
    }

    /**
     * The binaries to use; when empty, {@link PgBinaries#detect()} decides.
     *
     * @since 0.1
     */
    public Optional<PgBinaries> binaries() {
        return Optional.ofNullable(binaries);
    }

    /**
     * The directory in which the cluster's temporary directory is made. Default: {@code java.io.tmpdir}.
     *
     * @since 0.1
     */
    public Path baseDirectory() {
        return baseDirectory;
    }

    /**
     * The port to listen on, or 0 for a free one.
     *
     * @since 0.1
     */
    public int port() {
        return port;
    }

    /**
     * The superuser's name ({@code initdb -U}).
     *
     * @since 0.1
     */
    public String superuser() {
        return superuser;
    }

    /**
     * The OS user to run PostgreSQL as when the JVM is root; when empty, {@code DRKIT_PG_USER}, else
     * {@code postgres}, else {@code nobody}. Ignored when the JVM is not root.
     *
     * @since 0.1
     */
    public Optional<String> runAsUser() {
        return Optional.ofNullable(runAsUser);
    }

    /**
     * Whether {@code fsync} is on (and {@code initdb}/{@code pg_basebackup} sync their output).
     *
     * @since 0.1
     */
    public boolean fsync() {
        return fsync;
    }

    /**
     * {@code max_wal_senders}, also used for {@code max_replication_slots}.
     *
     * @since 0.1
     */
    public int maxWalSenders() {
        return maxWalSenders;
    }

    /**
     * {@code wal_keep_size}, such as {@code "64MB"}.
     *
     * @since 0.1
     */
    public String walKeepSize() {
        return walKeepSize;
    }

    /**
     * Extra server settings, in the order given; they are applied after drkit's own and win over them.
     *
     * @since 0.1
     */
    public Map<String, String> settings() {
        return settings;
    }

    /**
     * How long {@link PgCluster#start()} waits for the server to accept connections.
     *
     * @since 0.1
     */
    public Duration startTimeout() {
        return startTimeout;
    }

    /**
     * How long a stop or a promotion may take.
     *
     * @since 0.1
     */
    public Duration stopTimeout() {
        return stopTimeout;
    }

    /**
     * How long one read from the server may take on the connections {@link PgCluster} opens (the JDBC driver's
     * {@code socketTimeout}), so a query on a frozen or unreachable server fails instead of hanging for ever.
     * Statements that run longer than this fail too. Default 30 seconds.
     *
     * @since 0.1
     */
    public Duration socketTimeout() {
        return socketTimeout;
    }

    /**
     * Whether {@link PgCluster#close()} deletes the cluster's directory. Default {@code true}; turn it off to
     * look at a failed drill's files (the directory is still deleted at JVM exit if the cluster was not closed; when
     * the JVM is killed, the cluster's watchdog stops the server and keeps the files).
     *
     * @since 0.1
     */
    public boolean deleteOnClose() {
        return deleteOnClose;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof PgClusterConfig)) {
            return false;
        }
        PgClusterConfig c = (PgClusterConfig) o;
        return name.equals(c.name) && Objects.equals(binaries, c.binaries) && baseDirectory.equals(c.baseDirectory)
            && port == c.port && superuser.equals(c.superuser) && Objects.equals(runAsUser, c.runAsUser)
            && fsync == c.fsync && maxWalSenders == c.maxWalSenders && walKeepSize.equals(c.walKeepSize)
            && settings.equals(c.settings) && startTimeout.equals(c.startTimeout) && stopTimeout.equals(c.stopTimeout)
            && socketTimeout.equals(c.socketTimeout) && deleteOnClose == c.deleteOnClose;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, binaries, baseDirectory, port, superuser, runAsUser, fsync, maxWalSenders,
            walKeepSize, settings, startTimeout, stopTimeout, socketTimeout, deleteOnClose);
    }

    @Override
    public String toString() {
        return "PgClusterConfig[name=" + name + ", port=" + (port == 0 ? "free" : port) + ", superuser=" + superuser
            + ", fsync=" + fsync + ", maxWalSenders=" + maxWalSenders + ", walKeepSize=" + walKeepSize
            + ", settings=" + settings + ", baseDirectory=" + baseDirectory + "]";
    }

    /**
     * Builds {@link PgClusterConfig}. Every setter checks its argument at once. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private String name = DEFAULT_NAME;
        private @Nullable PgBinaries binaries;
        private Path baseDirectory = Path.of(System.getProperty("java.io.tmpdir"));
        private int port;
        private String superuser = DEFAULT_SUPERUSER;
        private @Nullable String runAsUser;
        private boolean fsync = true;
        private int maxWalSenders = DEFAULT_MAX_WAL_SENDERS;
        private String walKeepSize = DEFAULT_WAL_KEEP_SIZE;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private Duration stopTimeout = DEFAULT_STOP_TIMEOUT;
        private Duration socketTimeout = DEFAULT_SOCKET_TIMEOUT;
        private boolean deleteOnClose = true;

        private Builder() {
        }

        private Builder(PgClusterConfig base) {
            this.name = base.name;
            this.binaries = base.binaries;
            this.baseDirectory = base.baseDirectory;
            this.port = base.port;
            this.superuser = base.superuser;
            this.runAsUser = base.runAsUser;
            this.fsync = base.fsync;
            this.maxWalSenders = base.maxWalSenders;
            this.walKeepSize = base.walKeepSize;
            this.settings.putAll(base.settings);
            this.startTimeout = base.startTimeout;
            this.stopTimeout = base.stopTimeout;
            this.socketTimeout = base.socketTimeout;
            this.deleteOnClose = base.deleteOnClose;
        }

        /**
         * @throws IllegalArgumentException unless {@code name} is 1 to 30 lowercase letters, digits, {@code _} or
         *                                  {@code -}, starting with a letter
         * @since 0.1
         */
        public Builder name(String name) {
            this.name = checkName(name, "name");
            return this;
        }

        /**
         * Uses these binaries instead of {@link PgBinaries#detect()}.
         *
         * @since 0.1
         */
        public Builder binaries(PgBinaries binaries) {
            this.binaries = Objects.requireNonNull(binaries, "binaries");
            return this;
        }

        /**
         * @throws IllegalArgumentException unless {@code directory} is absolute
         * @since 0.1
         */
        public Builder baseDirectory(Path directory) {
            Objects.requireNonNull(directory, "directory");
            Checks.argument(directory.isAbsolute(), "baseDirectory must be absolute, but was %s", directory);
            this.baseDirectory = directory;
            return this;
        }

        /**
         * @param port 0 for a free port, else 1024 to 65535
         * @throws IllegalArgumentException if {@code port} is out of range
         * @since 0.1
         */
        public Builder port(int port) {
            if (port != 0) {
                Checks.inRange(port, 1024, 65535, "port");
            }
            this.port = port;
            return this;
        }

        /**
         * @throws IllegalArgumentException unless {@code superuser} is 1 to 63 lowercase letters, digits or
         *                                  {@code _}, starting with a letter or {@code _}
         * @since 0.1
         */
        public Builder superuser(String superuser) {
            Objects.requireNonNull(superuser, "superuser");
            Checks.argument(superuser.matches("[a-z_][a-z0-9_]{0,62}"),
                "superuser must be 1 to 63 lowercase letters, digits or '_', starting with a letter or '_', but was \"%s\"",
                superuser);
            this.superuser = superuser;
            return this;
        }

        /**
         * The OS user to run PostgreSQL as when the JVM is root.
         *
         * @throws IllegalArgumentException unless {@code user} looks like a login name
         * @since 0.1
         */
        public Builder runAsUser(String user) {
            Objects.requireNonNull(user, "user");
            Checks.argument(user.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}"),
                "runAsUser must be a login name, but was \"%s\"", user);
            this.runAsUser = user;
            return this;
        }

        /**
         * Whether {@code fsync} is on. Default {@code true}.
         *
         * @since 0.1
         */
        public Builder fsync(boolean fsync) {
            this.fsync = fsync;
            return this;
        }

        /**
         * {@code max_wal_senders} and {@code max_replication_slots}. Default {@value #DEFAULT_MAX_WAL_SENDERS}.
         *
         * @throws IllegalArgumentException unless {@code 1 <= senders <= 100}
         * @since 0.1
         */
        public Builder maxWalSenders(int senders) {
            this.maxWalSenders = Checks.inRange(senders, 1, 100, "maxWalSenders");
            return this;
        }

        /**
         * {@code wal_keep_size}. Default {@value #DEFAULT_WAL_KEEP_SIZE}.
         *
         * @throws IllegalArgumentException unless {@code size} is a number with an optional kB, MB, GB or TB unit
         * @since 0.1
         */
        public Builder walKeepSize(String size) {
            Objects.requireNonNull(size, "size");
            Checks.argument(size.matches("\\d{1,9}(kB|MB|GB|TB)?"),
                "walKeepSize must be a number with an optional unit kB, MB, GB or TB, but was \"%s\"", size);
            this.walKeepSize = size;
            return this;
        }

        /**
         * Adds (or replaces) a server setting, written to the cluster's configuration after drkit's own.
         *
         * @throws IllegalArgumentException if {@code name} is not a setting name, is one drkit manages
         *                                  ({@code port}, {@code listen_addresses}, ...), or {@code value} spans lines
         * @since 0.1
         */
        public Builder setting(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            Checks.argument(PgConf.SETTING_NAME.matcher(name).matches(),
                "setting name must be a PostgreSQL setting name, but was \"%s\"", name);
            Checks.argument(!RESERVED_SETTINGS.contains(name.toLowerCase(java.util.Locale.ROOT)),
                "setting %s is managed by PgCluster and cannot be set, but was \"%s\"", name, value);
            PgConf.quote(value); // rejects line breaks
            settings.put(name, value);
            return this;
        }

        /**
         * Adds (or replaces) several settings, as {@link #setting(String, String)} does.
         *
         * @since 0.1
         */
        public Builder settings(Map<String, String> settings) {
            Objects.requireNonNull(settings, "settings").forEach(this::setting);
            return this;
        }

        /**
         * @throws IllegalArgumentException unless {@code timeout} is positive
         * @since 0.1
         */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = Checks.positive(timeout, "startTimeout");
            return this;
        }

        /**
         * @throws IllegalArgumentException unless {@code timeout} is positive
         * @since 0.1
         */
        public Builder stopTimeout(Duration timeout) {
            this.stopTimeout = Checks.positive(timeout, "stopTimeout");
            return this;
        }

        /**
         * How long one read from the server may take on {@link PgCluster}'s connections; see
         * {@link PgClusterConfig#socketTimeout()}. Default 30 seconds; rounded up to whole seconds.
         *
         * @throws IllegalArgumentException unless {@code timeout} is positive
         * @since 0.1
         */
        public Builder socketTimeout(Duration timeout) {
            this.socketTimeout = Checks.positive(timeout, "socketTimeout");
            return this;
        }

        /**
         * Whether {@link PgCluster#close()} deletes the cluster's directory. Default {@code true}.
         *
         * @since 0.1
         */
        public Builder deleteOnClose(boolean delete) {
            this.deleteOnClose = delete;
            return this;
        }

        /**
         * @since 0.1
         */
        public PgClusterConfig build() {
            // The socket directory lies under it, and the server's unix_socket_directories and libpq's host (so
            // psql -h, pg_basebackup, pg_dump) all read a comma as the end of one item of a list.
            Checks.argument(baseDirectory.toString().indexOf(',') < 0, "baseDirectory must not hold a comma, which"
                + " PostgreSQL and its tools read as a list separator in a socket directory, but was %s", baseDirectory);
            return new PgClusterConfig(this);
        }
    }

    static String checkName(String name, String what) {
        Objects.requireNonNull(name, what);
        Checks.argument(name.matches("[a-z][a-z0-9_-]{0,29}"),
            "%s must be 1 to 30 lowercase letters, digits, '_' or '-', starting with a letter, but was \"%s\"", what, name);
        return name;
    }
}
