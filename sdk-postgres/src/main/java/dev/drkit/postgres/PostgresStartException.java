package dev.drkit.postgres;

import org.jspecify.annotations.Nullable;

import java.nio.file.Path;

/**
 * A cluster's server did not start: a bad setting, a port taken, a damaged data directory, a timeout. The
 * message ends with the last lines the server wrote to its log during this attempt (the server log holds no
 * passwords), also available as {@link #logTail()}.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public class PostgresStartException extends PostgresException {

    private static final long serialVersionUID = 1L;

    private final String logTail;
    private final String logFile;

    /**
     * @param message       what happened, including the log tail; never a secret
     * @param cluster       the cluster's name
     * @param host          the host it was to listen on
     * @param port          the port it was to listen on
     * @param dataDirectory its data directory
     * @param logFile       the server log
     * @param logTail       the last lines of the server log from this start attempt
     * @param cause         the underlying failure, or {@code null}
     * @since 0.1
     */
    public PostgresStartException(String message, String cluster, String host, int port, Path dataDirectory,
                                  Path logFile, String logTail, @Nullable Throwable cause) {
        super(message, cluster, host, port, dataDirectory, null, cause);
        this.logTail = logTail;
        this.logFile = logFile.toString();
    }

    /**
     * The last lines of the server log from the failed start attempt; empty if the server wrote none.
     *
     * @since 0.1
     */
    public String logTail() {
        return logTail;
    }

    /**
     * The server log. It is deleted with the cluster on {@code close()}.
     *
     * @since 0.1
     */
    public Path logFile() {
        return Path.of(logFile);
    }
}
