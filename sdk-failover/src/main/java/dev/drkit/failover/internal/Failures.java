package dev.drkit.failover.internal;

import java.sql.SQLException;
import java.util.Set;

/** Classifies and describes failures without ever repeating a driver message (it may quote user data). */
public final class Failures {

    private static final Set<String> CONNECTION_STATES = Set.of("57P01", "57P02", "57P03", "25006");

    private Failures() {
    }

    /** Class and SQL state, e.g. {@code PSQLException (08006)}; the message only for our own exceptions. */
    public static String describe(Throwable failure) {
        String state = failure instanceof SQLException ? ((SQLException) failure).getSQLState() : null;
        String text = failure.getClass().getSimpleName() + (state == null ? "" : " (" + state + ")");
        if (failure instanceof java.util.concurrent.TimeoutException) {
            return "timed out";
        }
        return text;
    }

    /**
     * Whether {@code failure} means the connection or the server's role is gone (SQLState class 08, an admin
     * shutdown or crash 57P0x, a write refused by a read-only server 25006), rather than a problem of the work.
     */
    public static boolean isConnectionFailure(SQLException failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException) {
                String state = ((SQLException) t).getSQLState();
                if (state != null && (state.startsWith("08") || CONNECTION_STATES.contains(state))) {
                    return true;
                }
            }
            if (t instanceof java.io.IOException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
