package dev.drkit.failover;

import org.jspecify.annotations.Nullable;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Work in a transaction failed because its connection to the primary was lost: the host crashed, stopped
 * answering, was demoted or fenced. SQLState {@value #SQL_STATE} (connection failure). The work was not run
 * again; {@link #commitOutcomeUnknown()} tells whether the transaction may nevertheless have committed (the
 * connection broke during {@code COMMIT}), in which case the caller must check before writing again.
 *
 * @since 0.1
 */
public final class PrimaryLostException extends FailoverSQLException {

    /** The SQL state: {@value}. */
    public static final String SQL_STATE = "08006";

    private static final long serialVersionUID = 1L;

    private final String host;
    private final boolean commitOutcomeUnknown;
    private final int attempts;

    /**
     * @param dataSourceName       the data source's name
     * @param host                 the id of the host the connection went to
     * @param commitOutcomeUnknown whether the connection broke during the commit
     * @param attempts             how many times the work ran
     * @param cause                the driver's failure
     */
    public PrimaryLostException(String dataSourceName, String host, boolean commitOutcomeUnknown, int attempts,
                                @Nullable Throwable cause) {
        super("Failover data source '" + dataSourceName + "': connection to primary " + host + " lost "
                + (commitOutcomeUnknown ? "during COMMIT: the transaction may or may not have committed"
                    : "before COMMIT: the transaction was rolled back")
                + " (" + attempts + (attempts == 1 ? " attempt" : " attempts") + ")",
            SQL_STATE, dataSourceName, context(host, commitOutcomeUnknown, attempts), cause);
        this.host = host;
        this.commitOutcomeUnknown = commitOutcomeUnknown;
        this.attempts = attempts;
    }

    private static Map<String, String> context(String host, boolean unknown, int attempts) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("host", host);
        context.put("commitOutcomeUnknown", Boolean.toString(unknown));
        context.put("attempts", Integer.toString(attempts));
        return context;
    }

    /** The id ({@code host:port}) of the host whose connection was lost. @since 0.1 */
    public String host() {
        return host;
    }

    /** Whether the connection broke during {@code COMMIT}, so the transaction may have committed. @since 0.1 */
    public boolean commitOutcomeUnknown() {
        return commitOutcomeUnknown;
    }

    /** How many times the work ran. @since 0.1 */
    public int attempts() {
        return attempts;
    }
}
