package dev.drkit.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Work done with a JDBC connection that {@link PgCluster#withConnection(ConnectionCallback)} opens and closes.
 *
 * @param <T> what the work returns
 * @since 0.1
 */
@FunctionalInterface
public interface ConnectionCallback<T> {

    /**
     * Does the work. The connection is closed afterwards; do not keep it.
     *
     * @throws SQLException wrapped by the caller into a {@link PostgresException}
     * @since 0.1
     */
    T apply(Connection connection) throws SQLException;
}
