package dev.drkit.core.internal;

import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Describes a failure for logs, reports and history without its message. Messages of foreign exceptions may
 * hold connection strings, hosts with credentials, or the data being written; their types and SQL states do
 * not. Internal: no compatibility guarantees.
 */
public final class Failures {

    private Failures() {
    }

    /**
     * The failure's class name, followed by the SQL state of the first {@link SQLException} in its cause chain
     * that has one: {@code "org.postgresql.util.PSQLException (SQLState 08006)"}. Never the message.
     */
    public static String describe(Throwable failure) {
        String description = failure.getClass().getName();
        String sqlState = sqlState(failure);
        return sqlState == null ? description : description + " (SQLState " + Text.oneLine(sqlState, 10) + ")";
    }

    private static String sqlState(Throwable failure) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable t = failure; t != null && seen.put(t, Boolean.TRUE) == null; t = t.getCause()) {
            if (t instanceof SQLException) {
                String state = ((SQLException) t).getSQLState();
                if (state != null && !state.isEmpty()) {
                    return state;
                }
            }
        }
        return null;
    }
}
