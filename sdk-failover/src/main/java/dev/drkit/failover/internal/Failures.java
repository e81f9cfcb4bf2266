package dev.drkit.failover.internal;

import org.postgresql.PGConnection;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.function.Predicate;

/** Classifies and describes failures without ever repeating a driver message (it may quote user data). */
public final class Failures {

    private static final Set<String> CONNECTION_STATES = Set.of("57P01", "57P02", "57P03");
    private static final String READ_ONLY_TRANSACTION = "25006";

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
     * Whether {@code failure} means the connection is gone (SQLState class 08, an admin shutdown or crash 57P0x, an
     * I/O failure), rather than a problem of the work. A write refused in a read-only transaction (25006) is not
     * one by itself: see {@link #isReadOnlyRefusal} and {@link #onHotStandby}.
     */
    public static boolean isConnectionFailure(SQLException failure) {
        return hasState(failure, state -> state.startsWith("08") || CONNECTION_STATES.contains(state), true);
    }

    /**
     * Whether {@code failure} is a write refused in a read-only transaction (25006): a server in recovery (a demoted
     * primary) refuses writes so, but so does any server inside {@code SET TRANSACTION READ ONLY} or on a connection
     * the application made read-only. Which one, only the connection can tell ({@link #onHotStandby}).
     */
    public static boolean isReadOnlyRefusal(SQLException failure) {
        return hasState(failure, READ_ONLY_TRANSACTION::equals, false);
    }

    /**
     * Whether the server behind {@code connection} is in recovery: PostgreSQL 14 and later report
     * {@code in_hot_standby} to the driver with no round trip; older ones are asked. A connection that cannot answer
     * counts as one whose server is gone, so as in recovery for the caller's purpose.
     */
    public static boolean onHotStandby(Connection connection) {
        try {
            String reported = connection.unwrap(PGConnection.class).getParameterStatus("in_hot_standby");
            if (reported != null) {
                return "on".equals(reported);
            }
            try (Statement statement = connection.createStatement();
                 ResultSet row = statement.executeQuery("SELECT pg_is_in_recovery()")) {
                return row.next() && row.getBoolean(1);
            }
        } catch (SQLException e) {
            return true;
        }
    }

    private static boolean hasState(SQLException failure, Predicate<String> wanted, boolean ioCounts) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException) {
                String state = ((SQLException) t).getSQLState();
                if (state != null && wanted.test(state)) {
                    return true;
                }
            }
            if (ioCounts && t instanceof java.io.IOException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
