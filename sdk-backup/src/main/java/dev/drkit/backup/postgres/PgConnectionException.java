package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupException;
import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.Optional;

/**
 * drkit could not connect to, log in to, or query the PostgreSQL server it backs up (an unreachable host, a wrong
 * password, a missing privilege). A backup that sees this keeps nothing. {@link Kind#ENVIRONMENT}: the CLI exits 3.
 *
 * @since 0.1
 */
public class PgConnectionException extends BackupException {

    private static final long serialVersionUID = 1L;

    private final @Nullable String sqlState;

    /**
     * @param message  what failed, naming the server; never a secret
     * @param sqlState the server's or driver's SQLSTATE, or {@code null}
     * @param context  named facts (host, port, user, database); never a secret
     * @param cause    the underlying failure, or {@code null}
     */
    public PgConnectionException(String message, @Nullable String sqlState, Map<String, String> context,
                                 @Nullable Throwable cause) {
        super(message, Kind.ENVIRONMENT, context, cause);
        this.sqlState = sqlState;
    }

    /** The SQLSTATE: {@code 28P01} for a wrong password, {@code 08001} for an unreachable server. */
    public Optional<String> sqlState() {
        return Optional.ofNullable(sqlState);
    }

    /** Whether the server refused the password (or the user). */
    public boolean authenticationFailed() {
        return "28P01".equals(sqlState) || "28000".equals(sqlState);
    }
}
