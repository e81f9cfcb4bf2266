package dev.drkit.failover;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A caller's unit of work on a connection, run in one transaction by
 * {@link FailoverDataSource#inTransaction(Retry, SqlWork)}.
 *
 * @param <T> what the work returns
 * @since 0.1
 */
@FunctionalInterface
public interface SqlWork<T> {

    /**
     * Does the work. Must not commit, roll back or close the connection: the caller of this method does.
     *
     * @throws SQLException on any database failure
     */
    T apply(Connection connection) throws SQLException;
}
