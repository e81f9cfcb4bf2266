package dev.drkit.backup.postgres;

import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.PgBinaries;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.Objects;

/**
 * A PostgreSQL server to back up: where it is, who logs in, with which password, and which client tools
 * ({@code pg_dump}, {@code pg_dumpall}, {@code pg_basebackup}) to use.
 *
 * <pre>{@code
 * try (Secret password = Secrets.fromFile(Path.of("/etc/drkit/pg-backup.password"))) {
 *     PgServer server = PgServer.builder("db1.internal", 5432, "backup").password(password).build();
 *     engine.backup(PgBackupSource.dump(server, "orders").source());
 * }
 * }</pre>
 *
 * <p>The password is used through the {@link Secret} given, which the caller owns (and closes): drkit hands it to
 * the JDBC driver in its properties and to the tools in a 0600 {@code PGPASSFILE} removed after each run, never in a
 * command line or an environment variable. {@link #toString()} names host, port and user only.
 *
 * <p>Instances are immutable and thread-safe (as far as the caller leaves the secret open).
 *
 * @since 0.1
 */
public final class PgServer {

    /** The default time to wait for a connection: {@value} seconds. */
    public static final int DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

    private final String host;
    private final int port;
    private final String user;
    private final @Nullable Secret password;
    private final @Nullable PgBinaries binaries;
    private final Duration connectTimeout;

    private PgServer(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.user = b.user;
        this.password = b.password;
        this.binaries = b.binaries;
        this.connectTimeout = b.connectTimeout;
    }

    /**
     * A builder for the server at {@code host:port}, logging in as {@code user}.
     *
     * @param host a host name or address, reached over TCP (no connection string: a {@code =} or a URI is refused;
     *             no socket directory, which the JDBC connection drkit also opens cannot use)
     * @param port 1 to 65535
     * @param user the role to log in as; {@code pg_basebackup} needs the {@code REPLICATION} attribute
     * @throws IllegalArgumentException if a value breaks these rules
     */
    public static Builder builder(String host, int port, String user) {
        return new Builder(host, port, user);
    }

    /** The host. */
    public String host() {
        return host;
    }

    /** The port. */
    public int port() {
        return port;
    }

    /** The role to log in as. */
    public String user() {
        return user;
    }

    /** The password, if one was given; without one, the server must not ask for it (trust or peer, say). */
    public java.util.Optional<Secret> password() {
        return java.util.Optional.ofNullable(password);
    }

    /** How long a connection may take to open. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** The client tools: the ones given, else {@link PgBinaries#detect()}. */
    public PgBinaries binaries() {
        return binaries != null ? binaries : PgBinaries.detect();
    }

    @Override
    public String toString() {
        return "PgServer[" + user + "@" + host + ":" + port + "]";
    }

    /**
     * Builds a {@link PgServer}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {
        private final String host;
        private final int port;
        private final String user;
        private @Nullable Secret password;
        private @Nullable PgBinaries binaries;
        private Duration connectTimeout = Duration.ofSeconds(DEFAULT_CONNECT_TIMEOUT_SECONDS);

        private Builder(String host, int port, String user) {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(user, "user");
            if (host.isBlank() || host.length() > 255 || !host.matches("[A-Za-z0-9._:\\[\\]-]+")) {
                // no socket directory either: drkit also connects through JDBC, which speaks TCP only
                throw new IllegalArgumentException("host must be a host name or an address (TCP; not a socket"
                    + " directory: use 127.0.0.1 or localhost for a local server), but was \""
                    + dev.drkit.core.internal.Text.oneLine(host, 80) + "\"");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be between 1 and 65535, but was " + port);
            }
            if (user.isEmpty() || user.length() > 63 || user.chars().anyMatch(Character::isISOControl)
                || user.contains("=")) {
                throw new IllegalArgumentException("user must be 1 to 63 printable characters without '=', but was \""
                    + dev.drkit.core.internal.Text.oneLine(user, 80) + "\"");
            }
            this.host = host;
            this.port = port;
            this.user = user;
        }

        /** The password; the caller keeps owning the secret and must keep it open while drkit uses the server. */
        public Builder password(Secret password) {
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** The client tools to use; default {@link PgBinaries#detect()}. */
        public Builder binaries(PgBinaries binaries) {
            this.binaries = Objects.requireNonNull(binaries, "binaries");
            return this;
        }

        /**
         * How long a connection may take to open; default {@value PgServer#DEFAULT_CONNECT_TIMEOUT_SECONDS} s.
         *
         * @throws IllegalArgumentException unless between 1 s and 1 hour
         */
        public Builder connectTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("connectTimeout must be between 1 s and 1 h, but was " + timeout);
            }
            this.connectTimeout = timeout;
            return this;
        }

        /** The server. */
        public PgServer build() {
            return new PgServer(this);
        }
    }
}
