package dev.drkit.failover;

import com.zaxxer.hikari.HikariConfig;
import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.Names;
import dev.drkit.core.secret.CredentialsSource;

import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Immutable configuration of a {@link FailoverDataSource}: the servers, the credentials, the pools and the
 * policies that decide how fast a lost primary is noticed and how long callers wait for a new one.
 * Instances are thread-safe.
 *
 * <pre>{@code
 * FailoverConfig config = FailoverConfig.builder()
 *     .name("orders-db")
 *     .endpoints(List.of(Endpoint.parse("db-a:5432"), Endpoint.parse("db-b:5432")))
 *     .database("orders")
 *     .credentials(CredentialsSource.fixed("app", password))
 *     .primaryWait(Duration.ofSeconds(15))
 *     .build();
 * }</pre>
 *
 * <p>Defaults are chosen so that a primary that stops answering (frozen, partitioned) is noticed within about a
 * second, and one that refuses connections (crashed) within about 300 ms: probes every
 * {@value #DEFAULT_PROBE_INTERVAL_MILLIS} ms, each bounded by {@value #DEFAULT_PROBE_TIMEOUT_MILLIS} ms, every
 * {@value #DEFAULT_FAST_PROBE_INTERVAL_MILLIS} ms while something is wrong, the primary declared lost after
 * {@value #DEFAULT_FAIL_AFTER} failed probes in a row.
 *
 * @since 0.1
 */
public final class FailoverConfig {

    /** Default name: {@value}. */
    public static final String DEFAULT_NAME = "failover";
    /** Default database: {@value}. */
    public static final String DEFAULT_DATABASE = "postgres";
    /** Default time between probes of each host while all is well: {@value} ms. */
    public static final long DEFAULT_PROBE_INTERVAL_MILLIS = 250;
    /** Default time between probes while a host is suspect or no primary is known: {@value} ms. */
    public static final long DEFAULT_FAST_PROBE_INTERVAL_MILLIS = 50;
    /** Default bound on one probe, connecting included: {@value} ms. */
    public static final long DEFAULT_PROBE_TIMEOUT_MILLIS = 300;
    /** Default number of failed probes in a row after which the primary is lost: {@value}. */
    public static final int DEFAULT_FAIL_AFTER = 2;
    /** Default number of probes in a row that must see a new primary before writes go to it: {@value}. */
    public static final int DEFAULT_CONFIRMATIONS = 2;
    /** Default time {@code getConnection()} waits for a primary: {@value} ms. */
    public static final long DEFAULT_PRIMARY_WAIT_MILLIS = 15_000;
    /** Default bound on how far behind a replica may be to serve read-only work: {@value} ms. */
    public static final long DEFAULT_MAX_REPLICA_LAG_MILLIS = 2_000;
    /** Default maximum connections in each host's pool: {@value}. */
    public static final int DEFAULT_MAXIMUM_POOL_SIZE = 10;
    /** Default number of attempts of a transaction marked safe to retry: {@value}. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** Default timeout for a pool's new connection to connect and log in: {@value} s. */
    public static final int DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;

    private static final Set<String> MANAGED_PROPERTIES = Set.of("user", "password", "connecttimeout", "logintimeout",
        "targetservertype", "applicationname");

    private final String name;
    private final List<Endpoint> endpoints;
    private final String database;
    private final CredentialsSource credentials;
    private final Map<String, String> connectionProperties;
    private final Consumer<HikariConfig> poolCustomizer;
    private final int maximumPoolSize;
    private final Duration probeInterval;
    private final Duration fastProbeInterval;
    private final Duration probeTimeout;
    private final int failAfter;
    private final int confirmations;
    private final Duration primaryWait;
    private final Duration maxReplicaLag;
    private final int maxAttempts;
    private final int connectTimeoutSeconds;
    private final boolean idleConnectionCheck;
    private final long systemIdentifier;

    private FailoverConfig(Builder b) {
        this.name = b.name;
        this.endpoints = List.copyOf(b.endpoints);
        this.database = b.database;
        this.credentials = Objects.requireNonNull(b.credentials, "credentials");
        this.connectionProperties = Collections.unmodifiableMap(new LinkedHashMap<>(b.connectionProperties));
        this.poolCustomizer = b.poolCustomizer;
        this.maximumPoolSize = b.maximumPoolSize;
        this.probeInterval = b.probeInterval;
        this.fastProbeInterval = b.fastProbeInterval;
        this.probeTimeout = b.probeTimeout;
        this.failAfter = b.failAfter;
        this.confirmations = b.confirmations;
        this.primaryWait = b.primaryWait;
        this.maxReplicaLag = b.maxReplicaLag;
        this.maxAttempts = b.maxAttempts;
        this.connectTimeoutSeconds = b.connectTimeoutSeconds;
        this.idleConnectionCheck = b.idleConnectionCheck;
        this.systemIdentifier = b.systemIdentifier;
    }

    /** A builder with every default; endpoints and credentials must be set. @since 0.1 */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. @since 0.1 */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The name in every log line, event, metric tag and exception of the data source. @since 0.1 */
    public String name() {
        return name;
    }

    /** The servers, in the order given; their roles are discovered. @since 0.1 */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** The database every connection opens. @since 0.1 */
    public String database() {
        return database;
    }

    /** Where the pools and the probes get their credentials. @since 0.1 */
    public CredentialsSource credentials() {
        return credentials;
    }

    /** Extra pgjdbc connection properties for the pools and the probes. @since 0.1 */
    public Map<String, String> connectionProperties() {
        return connectionProperties;
    }

    /** Applied to each host's {@link HikariConfig} before drkit sets the URL, credentials and pool name. @since 0.1 */
    public Consumer<HikariConfig> poolCustomizer() {
        return poolCustomizer;
    }

    /** Maximum connections in each host's pool. @since 0.1 */
    public int maximumPoolSize() {
        return maximumPoolSize;
    }

    /** Time between probes while all is well. @since 0.1 */
    public Duration probeInterval() {
        return probeInterval;
    }

    /** Time between probes while a host is suspect, no primary is known, or the topology just changed. @since 0.1 */
    public Duration fastProbeInterval() {
        return fastProbeInterval;
    }

    /** Bound on one probe, connecting and logging in included. @since 0.1 */
    public Duration probeTimeout() {
        return probeTimeout;
    }

    /** Failed probes in a row after which the primary is lost. @since 0.1 */
    public int failAfter() {
        return failAfter;
    }

    /** Probes in a row that must see a host as primary before writes are routed to it. @since 0.1 */
    public int confirmations() {
        return confirmations;
    }

    /** How long {@code getConnection()} waits for a primary before it throws {@link NoPrimaryException}. @since 0.1 */
    public Duration primaryWait() {
        return primaryWait;
    }

    /**
     * How far behind the primary a replica may be and still serve read-only work. Only a standby on the primary's
     * timeline is measured: its timeline is the newer of its last restartpoint's
     * ({@code pg_control_checkpoint()}) and the one its WAL receiver is receiving
     * ({@code pg_stat_wal_receiver.received_tli}). A standby on another timeline gets no read-only work
     * whatever its replay position, and its {@link HostState#replicaLag()} is empty: after a failover, an old
     * primary restarted as a standby without pg_rewind cannot follow the new timeline and holds WAL the new
     * primary never had (asynchronous commits lost in the failover), yet while the new primary is quiet its
     * replay position looks caught up.
     *
     * <p>PostgreSQL 15 shows {@code received_tli} only to superusers and roles with {@code pg_read_all_stats}.
     * Without it, a standby that follows a promotion is trusted for reads again only once its next restartpoint
     * reaches the new timeline (up to {@code checkpoint_timeout} later); meanwhile read-only work goes to the
     * primary.
     *
     * @since 0.1
     */
    public Duration maxReplicaLag() {
        return maxReplicaLag;
    }

    /** Attempts of a transaction marked {@link Retry#SAFE_TO_RETRY}, the first included. @since 0.1 */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** pgjdbc's {@code connectTimeout} and {@code loginTimeout} for pool connections, in seconds. @since 0.1 */
    public int connectTimeoutSeconds() {
        return connectTimeoutSeconds;
    }

    /**
     * Whether a borrowed connection is checked, without a round trip, for bytes its server sent while it sat idle
     * in its pool (a dying backend's last words), and validated before use if there are any. Default: on.
     *
     * @see Builder#idleConnectionCheck(boolean)
     * @since 0.1
     */
    public boolean idleConnectionCheck() {
        return idleConnectionCheck;
    }

    /**
     * The system identifier of the cluster this data source must write to, or empty when the first primary elected
     * decides it.
     *
     * @see Builder#systemIdentifier(long)
     * @since 0.1
     */
    public OptionalLong systemIdentifier() {
        return systemIdentifier == 0 ? OptionalLong.empty() : OptionalLong.of(systemIdentifier);
    }

    @Override
    public String toString() {
        // Credentials are a source (their toString never shows a password); properties are user-given and
        // may hold secrets (sslpassword), so only their names are shown.
        return "FailoverConfig[name=" + name + ", endpoints=" + endpoints + ", database=" + database
            + ", connectionProperties=" + connectionProperties.keySet() + ", maximumPoolSize=" + maximumPoolSize
            + ", probeInterval=" + probeInterval + ", fastProbeInterval=" + fastProbeInterval + ", probeTimeout="
            + probeTimeout + ", failAfter=" + failAfter + ", confirmations=" + confirmations + ", primaryWait="
            + primaryWait + ", maxReplicaLag=" + maxReplicaLag + ", maxAttempts=" + maxAttempts
            + ", connectTimeoutSeconds=" + connectTimeoutSeconds + ", idleConnectionCheck=" + idleConnectionCheck
            + (systemIdentifier == 0 ? "" : ", systemIdentifier=" + Long.toUnsignedString(systemIdentifier)) + "]";
    }

    /**
     * Builds a {@link FailoverConfig}. Setters reject bad single values with {@link IllegalArgumentException};
     * {@link #build()} checks how values relate with {@link IllegalStateException}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private List<Endpoint> endpoints = List.of();
        private String database = DEFAULT_DATABASE;
        private @Nullable CredentialsSource credentials;
        private final Map<String, String> connectionProperties = new LinkedHashMap<>();
        private Consumer<HikariConfig> poolCustomizer = c -> { };
        private int maximumPoolSize = DEFAULT_MAXIMUM_POOL_SIZE;
        private Duration probeInterval = Duration.ofMillis(DEFAULT_PROBE_INTERVAL_MILLIS);
        private Duration fastProbeInterval = Duration.ofMillis(DEFAULT_FAST_PROBE_INTERVAL_MILLIS);
        private Duration probeTimeout = Duration.ofMillis(DEFAULT_PROBE_TIMEOUT_MILLIS);
        private int failAfter = DEFAULT_FAIL_AFTER;
        private int confirmations = DEFAULT_CONFIRMATIONS;
        private Duration primaryWait = Duration.ofMillis(DEFAULT_PRIMARY_WAIT_MILLIS);
        private Duration maxReplicaLag = Duration.ofMillis(DEFAULT_MAX_REPLICA_LAG_MILLIS);
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private int connectTimeoutSeconds = DEFAULT_CONNECT_TIMEOUT_SECONDS;
        private boolean idleConnectionCheck = true;
        private long systemIdentifier;

        private Builder() {
        }

        private Builder(FailoverConfig base) {
            name = base.name;
            endpoints = base.endpoints;
            database = base.database;
            credentials = base.credentials;
            connectionProperties.putAll(base.connectionProperties);
            poolCustomizer = base.poolCustomizer;
            maximumPoolSize = base.maximumPoolSize;
            probeInterval = base.probeInterval;
            fastProbeInterval = base.fastProbeInterval;
            probeTimeout = base.probeTimeout;
            failAfter = base.failAfter;
            confirmations = base.confirmations;
            primaryWait = base.primaryWait;
            maxReplicaLag = base.maxReplicaLag;
            maxAttempts = base.maxAttempts;
            connectTimeoutSeconds = base.connectTimeoutSeconds;
            idleConnectionCheck = base.idleConnectionCheck;
            systemIdentifier = base.systemIdentifier;
        }

        /** @throws IllegalArgumentException unless printable and at most 64 characters */
        public Builder name(String name) {
            this.name = Names.printable(name, 64, "name");
            return this;
        }

        /**
         * The servers, primary and replicas in any order.
         *
         * @throws IllegalArgumentException if empty, or an endpoint appears twice
         */
        public Builder endpoints(List<Endpoint> endpoints) {
            List<Endpoint> copy = List.copyOf(Objects.requireNonNull(endpoints, "endpoints"));
            Checks.argument(!copy.isEmpty(), "endpoints must not be empty");
            // Host names are case-insensitive: DB-A and db-a are the same server.
            Set<String> distinct = new LinkedHashSet<>();
            copy.forEach(e -> distinct.add(e.host().toLowerCase(Locale.ROOT) + "/" + e.port()));
            Checks.argument(distinct.size() == copy.size(), "endpoints must not repeat, but were %s", copy);
            this.endpoints = copy;
            return this;
        }

        /** The same as {@link #endpoints(List)}. */
        public Builder endpoints(Endpoint... endpoints) {
            return endpoints(List.of(endpoints));
        }

        /** @throws IllegalArgumentException if blank */
        public Builder database(String database) {
            this.database = Checks.notBlank(database, "database");
            return this;
        }

        /** Where the credentials of pools and probes come from; a rotating source soft-evicts pool connections. */
        public Builder credentials(CredentialsSource credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /**
         * An extra pgjdbc property for pool and probe connections ({@code sslmode}; {@code ApplicationName} is set by
         * drkit).
         *
         * @throws IllegalArgumentException for the properties drkit manages: user, password, connectTimeout,
         *                                  loginTimeout, targetServerType, ApplicationName
         */
        public Builder connectionProperty(String name, String value) {
            Checks.notBlank(name, "name");
            Objects.requireNonNull(value, "value");
            Checks.argument(!MANAGED_PROPERTIES.contains(name.toLowerCase(Locale.ROOT)),
                "connection property %s is managed by drkit", name);
            connectionProperties.put(name, value);
            return this;
        }

        /**
         * Adjusts each host's HikariCP settings (timeouts, idle sizes, leak detection, metrics). drkit sets the
         * JDBC URL, the credentials, the pool name and {@code initializationFailTimeout} afterwards.
         */
        public Builder poolCustomizer(Consumer<HikariConfig> customizer) {
            this.poolCustomizer = Objects.requireNonNull(customizer, "customizer");
            return this;
        }

        /** @throws IllegalArgumentException unless 1..1000 */
        public Builder maximumPoolSize(int size) {
            this.maximumPoolSize = Checks.inRange(size, 1, 1000, "maximumPoolSize");
            return this;
        }

        /** @throws IllegalArgumentException unless 10 ms..60 s */
        public Builder probeInterval(Duration interval) {
            this.probeInterval = between(interval, 10, 60_000, "probeInterval");
            return this;
        }

        /**
         * @throws IllegalArgumentException unless 10 ms..60 s; {@link #build()} also refuses one longer than
         *                                  {@link #probeInterval(Duration)}
         */
        public Builder fastProbeInterval(Duration interval) {
            this.fastProbeInterval = between(interval, 10, 60_000, "fastProbeInterval");
            return this;
        }

        /**
         * Bounds one probe round's wait for each host. pgjdbc's connect, login and socket timeouts of the probe's
         * connection are derived from it, rounded up to whole seconds (login: twice that).
         *
         * @throws IllegalArgumentException unless 50 ms..60 s
         */
        public Builder probeTimeout(Duration timeout) {
            this.probeTimeout = between(timeout, 50, 60_000, "probeTimeout");
            return this;
        }

        /** @throws IllegalArgumentException unless 1..100 */
        public Builder failAfter(int probes) {
            this.failAfter = Checks.inRange(probes, 1, 100, "failAfter");
            return this;
        }

        /** @throws IllegalArgumentException unless 1..100 */
        public Builder confirmations(int probes) {
            this.confirmations = Checks.inRange(probes, 1, 100, "confirmations");
            return this;
        }

        /** @throws IllegalArgumentException unless 0..1 h (0: fail at once when no primary is known) */
        public Builder primaryWait(Duration wait) {
            this.primaryWait = between(wait, 0, 3_600_000, "primaryWait");
            return this;
        }

        /**
         * Sets {@link FailoverConfig#maxReplicaLag()}; standbys on another timeline than the primary's never take
         * reads, whatever this is.
         *
         * @throws IllegalArgumentException unless 0..1 h (0: only replicas that are fully caught up)
         */
        public Builder maxReplicaLag(Duration lag) {
            this.maxReplicaLag = between(lag, 0, 3_600_000, "maxReplicaLag");
            return this;
        }

        /** @throws IllegalArgumentException unless 1..100 */
        public Builder maxAttempts(int attempts) {
            this.maxAttempts = Checks.inRange(attempts, 1, 100, "maxAttempts");
            return this;
        }

        /** @throws IllegalArgumentException unless 1..600 */
        public Builder connectTimeoutSeconds(int seconds) {
            this.connectTimeoutSeconds = Checks.inRange(seconds, 1, 600, "connectTimeoutSeconds");
            return this;
        }

        /**
         * Whether to check each borrowed connection for bytes its server sent while it sat idle in its pool: a
         * backend that is going away says so (FATAL 57P01 when the postmaster dies, a warning on
         * {@code pg_ctl stop -m immediate}), and a connection that heard it is validated with a round trip and,
         * if dead, evicted before anything of the caller's is sent. This is what lets no write fail on a pooled
         * connection to a crashed primary. Default: on.
         *
         * <p>Cost: one clock read per borrow (about 30 ns, some 15% of HikariCP's own borrow and close), plus one
         * {@code ioctl(FIONREAD)} for a connection that sat idle for 1 ms or more. Turn it off when it cannot see
         * anything, over TLS or GSS encryption (only bytes already decrypted are visible), or when the caller
         * validates connections itself; when off, the borrow path does not read the clock at all and a
         * connection whose server died while it sat idle is found only when it is used.
         */
        public Builder idleConnectionCheck(boolean check) {
            this.idleConnectionCheck = check;
            return this;
        }

        /**
         * The cluster to write to, by its system identifier: as {@code SELECT system_identifier FROM
         * pg_control_system()} shows it, or {@code Long.parseUnsignedLong} of {@code pg_controldata}'s "Database system
         * identifier" (the same 64 bits, printed unsigned). Hosts of any other cluster
         * are refused from the start. Without it, the first primary elected decides, so a data source started while
         * the only host that answers is a wrong one (a host list that points at another cluster, a scratch copy
         * promoted in a drill) would write there. Default: none.
         *
         * @throws IllegalArgumentException if {@code id} is 0, which no cluster has
         */
        public Builder systemIdentifier(long id) {
            Checks.argument(id != 0, "systemIdentifier must not be 0");
            this.systemIdentifier = id;
            return this;
        }

        private static Duration between(Duration value, long minMillis, long maxMillis, String name) {
            Objects.requireNonNull(value, name);
            Checks.argument(value.compareTo(Duration.ofMillis(minMillis)) >= 0
                    && value.compareTo(Duration.ofMillis(maxMillis)) <= 0,
                "%s must be between %d ms and %d ms, but was %s", name, minMillis, maxMillis, value);
            return value;
        }

        /**
         * @throws IllegalStateException if no endpoints or credentials were set, the fast probe interval is longer
         *                               than the probe interval, or the probe timeout is not shorter than the
         *                               primary wait (when that is not 0)
         */
        public FailoverConfig build() {
            Checks.state(!endpoints.isEmpty(), "endpoints must be set");
            Checks.state(credentials != null, "credentials must be set");
            Checks.state(fastProbeInterval.compareTo(probeInterval) <= 0,
                "fastProbeInterval (%s) must not be longer than probeInterval (%s)", fastProbeInterval, probeInterval);
            Checks.state(primaryWait.isZero() || probeTimeout.compareTo(primaryWait) < 0,
                "probeTimeout (%s) must be shorter than primaryWait (%s)", probeTimeout, primaryWait);
            return new FailoverConfig(this);
        }
    }
}
