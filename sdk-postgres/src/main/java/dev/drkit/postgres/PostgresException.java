package dev.drkit.postgres;

import dev.drkit.core.EnvironmentException;

import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A local PostgreSQL cluster did not do what was asked: a statement failed, a program exited with an error, a
 * replica did not start streaming in time. Carries the cluster's name, host, port and data directory (and the
 * SQLSTATE when a statement failed), never a password. Exit code 3 from the CLI.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public class PostgresException extends EnvironmentException {

    private static final long serialVersionUID = 1L;

    private final String cluster;
    private final String host;
    private final int port;
    private final String dataDirectory;
    private final @Nullable String sqlState;

    /**
     * @param message       what happened; never a secret
     * @param cluster       the cluster's name
     * @param host          the host it listens on
     * @param port          the port it listens on
     * @param dataDirectory its data directory
     * @param sqlState      the SQLSTATE of a failed statement, or {@code null}
     * @param cause         the underlying failure, or {@code null}
     * @since 0.1
     */
    public PostgresException(String message, String cluster, String host, int port, Path dataDirectory,
                             @Nullable String sqlState, @Nullable Throwable cause) {
        super(message, context(cluster, host, port, dataDirectory, sqlState), cause);
        this.cluster = cluster;
        this.host = host;
        this.port = port;
        this.dataDirectory = dataDirectory.toString();
        this.sqlState = sqlState;
    }

    /**
     * The cluster's name.
     *
     * @since 0.1
     */
    public String cluster() {
        return cluster;
    }

    /**
     * The host the cluster listens on (always {@code 127.0.0.1}).
     *
     * @since 0.1
     */
    public String host() {
        return host;
    }

    /**
     * The port the cluster listens (or tried to listen) on.
     *
     * @since 0.1
     */
    public int port() {
        return port;
    }

    /**
     * The cluster's data directory.
     *
     * @since 0.1
     */
    public Path dataDirectory() {
        return Path.of(dataDirectory);
    }

    /**
     * The SQLSTATE of the failed statement, when a statement failed.
     *
     * @since 0.1
     */
    public Optional<String> sqlState() {
        return Optional.ofNullable(sqlState);
    }

    private static Map<String, String> context(String cluster, String host, int port, Path dataDirectory,
                                               @Nullable String sqlState) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("cluster", cluster);
        context.put("host", host);
        context.put("port", Integer.toString(port));
        context.put("dataDirectory", dataDirectory.toString());
        if (sqlState != null) {
            context.put("sqlState", sqlState);
        }
        return context;
    }
}
