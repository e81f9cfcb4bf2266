package dev.drkit.postgres;

import dev.drkit.core.internal.Checks;
import dev.drkit.postgres.internal.PgConf;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link PgCluster#createReplica(ReplicaOptions)} makes a streaming replica: its name (also its
 * {@code application_name} and replication slot), synchronous or not, how its data is copied, extra settings
 * and how long it may take to be streaming.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * try (PgCluster replica = primary.createReplica(ReplicaOptions.sync("standby1"))) { ... }
 * }</pre>
 *
 * @since 0.1
 */
public final class ReplicaOptions {

    /** Default time to copy the data and reach the streaming state: 120 seconds. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    private final String name;
    private final ReplicationMode mode;
    private final BaseBackupMethod method;
    private final int port;
    private final Map<String, String> settings;
    private final Duration timeout;

    private ReplicaOptions(Builder b) {
        this.name = b.name;
        this.mode = b.mode;
        this.method = b.method;
        this.port = b.port;
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(b.settings));
        this.timeout = b.timeout;
    }

    /**
     * A builder for a replica called {@code name}, asynchronous, copied by {@link BaseBackupMethod#AUTO}.
     *
     * @throws IllegalArgumentException unless {@code name} is 1 to 30 lowercase letters, digits, {@code _} or
     *                                  {@code -}, starting with a letter
     * @since 0.1
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * A synchronous replica called {@code name}, with the other defaults.
     *
     * @since 0.1
     */
    public static ReplicaOptions sync(String name) {
        return builder(name).mode(ReplicationMode.SYNC).build();
    }

    /**
     * An asynchronous replica called {@code name}, with the other defaults.
     *
     * @since 0.1
     */
    public static ReplicaOptions async(String name) {
        return builder(name).mode(ReplicationMode.ASYNC).build();
    }

    /**
     * A builder that starts from these options.
     *
     * @since 0.1
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * The replica's name, {@code application_name} and (with {@code -} as {@code _}) replication slot.
     *
     * @since 0.1
     */
    public String name() {
        return name;
    }

    /**
     * Synchronous or asynchronous.
     *
     * @since 0.1
     */
    public ReplicationMode mode() {
        return mode;
    }

    /**
     * How the data directory is copied.
     *
     * @since 0.1
     */
    public BaseBackupMethod method() {
        return method;
    }

    /**
     * The replica's port, or 0 for a free one.
     *
     * @since 0.1
     */
    public int port() {
        return port;
    }

    /**
     * Extra settings for the replica, applied over the primary's configuration.
     *
     * @since 0.1
     */
    public Map<String, String> settings() {
        return settings;
    }

    /**
     * How long copying the data and reaching the streaming state may take.
     *
     * @since 0.1
     */
    public Duration timeout() {
        return timeout;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ReplicaOptions)) {
            return false;
        }
        ReplicaOptions r = (ReplicaOptions) o;
        return name.equals(r.name) && mode == r.mode && method == r.method && port == r.port
            && settings.equals(r.settings) && timeout.equals(r.timeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, mode, method, port, settings, timeout);
    }

    @Override
    public String toString() {
        return "ReplicaOptions[name=" + name + ", mode=" + mode + ", method=" + method + ", port="
            + (port == 0 ? "free" : port) + ", settings=" + settings + ", timeout=" + timeout + "]";
    }

    /**
     * Builds {@link ReplicaOptions}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private String name;
        private ReplicationMode mode = ReplicationMode.ASYNC;
        private BaseBackupMethod method = BaseBackupMethod.AUTO;
        private int port;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private Duration timeout = DEFAULT_TIMEOUT;

        private Builder(String name) {
            this.name = PgClusterConfig.checkName(name, "name");
        }

        private Builder(ReplicaOptions base) {
            this.name = base.name;
            this.mode = base.mode;
            this.method = base.method;
            this.port = base.port;
            this.settings.putAll(base.settings);
            this.timeout = base.timeout;
        }

        /**
         * Synchronous or asynchronous. Default {@link ReplicationMode#ASYNC}.
         *
         * @since 0.1
         */
        public Builder mode(ReplicationMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * How the data directory is copied. Default {@link BaseBackupMethod#AUTO}.
         *
         * @since 0.1
         */
        public Builder method(BaseBackupMethod method) {
            this.method = Objects.requireNonNull(method, "method");
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
         * Adds a server setting for the replica only.
         *
         * @throws IllegalArgumentException as {@link PgClusterConfig.Builder#setting(String, String)} does
         * @since 0.1
         */
        public Builder setting(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            Checks.argument(PgConf.SETTING_NAME.matcher(name).matches(),
                "setting name must be a PostgreSQL setting name, but was \"%s\"", name);
            Checks.argument(!PgClusterConfig.RESERVED_SETTINGS.contains(name.toLowerCase(java.util.Locale.ROOT)),
                "setting %s is managed by PgCluster and cannot be set, but was \"%s\"", name, value);
            PgConf.quote(value);
            settings.put(name, value);
            return this;
        }

        /**
         * @throws IllegalArgumentException unless {@code timeout} is positive
         * @since 0.1
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Checks.positive(timeout, "timeout");
            return this;
        }

        /**
         * @since 0.1
         */
        public ReplicaOptions build() {
            return new ReplicaOptions(this);
        }
    }
}
