package dev.drkit.failover.internal;

import org.jspecify.annotations.Nullable;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * A connection that takes a pooled one only when first used, from the replicas if {@link #setReadOnly} made it
 * read-only by then, else from the primary: so {@code setReadOnly(true)} before the first statement, which is what
 * Spring's {@code @Transactional(readOnly = true)} and other transaction managers do, routes the work. Changing
 * {@code readOnly} between transactions gives the pooled connection back; the next use takes one from the other
 * side. Inside a transaction it is passed on, and the driver refuses it as it would anyway.
 *
 * <p>Settings made before the first use (auto-commit, read-only, isolation, schema, network timeout) are applied to
 * the pooled connection when it is taken. Not thread-safe, as JDBC connections are not meant to be shared.
 */
public final class RoutingConnection implements Connection {

    /** Where a pooled connection comes from. */
    @FunctionalInterface
    public interface Source {
        Connection get() throws SQLException;
    }

    private final Source primary;
    private final Source replica;
    private @Nullable Connection bound;
    private boolean closed;
    private boolean readOnly;
    private boolean autoCommit;
    private @Nullable Integer isolation;
    private @Nullable String schema;
    private @Nullable Integer networkTimeoutMillis;
    private @Nullable Executor networkTimeoutExecutor;

    /**
     * @param primary         read-write connections
     * @param replica         read-only connections
     * @param autoCommit      what {@link #getAutoCommit()} answers before the first use: the pools' setting
     */
    public RoutingConnection(Source primary, Source replica, boolean autoCommit) {
        this.primary = primary;
        this.replica = replica;
        this.autoCommit = autoCommit;
    }

    /** Whether a pooled connection is held now; for tests and diagnostics. */
    public boolean holdsPooledConnection() {
        return bound != null;
    }

    private Connection bound() throws SQLException {
        if (closed) {
            throw new SQLException("Connection is closed", "08003");
        }
        Connection c = bound;
        if (c != null) {
            return c;
        }
        c = readOnly ? replica.get() : primary.get();
        try {
            if (c.getAutoCommit() != autoCommit) {
                c.setAutoCommit(autoCommit);
            }
            if (c.isReadOnly() != readOnly) {
                c.setReadOnly(readOnly);
            }
            if (isolation != null) {
                c.setTransactionIsolation(isolation);
            }
            if (schema != null) {
                c.setSchema(schema);
            }
            if (networkTimeoutMillis != null) {
                c.setNetworkTimeout(networkTimeoutExecutor, networkTimeoutMillis);
            }
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        bound = c;
        return c;
    }

    /**
     * Whether the held connection is between transactions, so it can be given back without losing anything. Asked
     * of the driver, which follows the server's own state, whatever auto-commit says: a transaction begun in SQL
     * ({@code BEGIN}) runs with auto-commit on.
     */
    private static boolean idle(Connection c) throws SQLException {
        return c.unwrap(BaseConnection.class).getTransactionState() == TransactionState.IDLE;
    }

    @Override
    public void setReadOnly(boolean readOnly) throws SQLException {
        if (closed) {
            throw new SQLException("Connection is closed", "08003");
        }
        Connection c = bound;
        if (c != null && readOnly != this.readOnly) {
            if (!idle(c)) {
                c.setReadOnly(readOnly); // the driver's refusal, in the middle of a transaction
                this.readOnly = readOnly;
                return;
            }
            bound = null;
            c.close();
        }
        this.readOnly = readOnly;
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        Connection c = bound;
        return c != null ? c.isReadOnly() : readOnly;
    }

    @Override
    public void setAutoCommit(boolean autoCommit) throws SQLException {
        if (closed) {
            throw new SQLException("Connection is closed", "08003");
        }
        Connection c = bound;
        if (c != null) {
            c.setAutoCommit(autoCommit);
        }
        this.autoCommit = autoCommit;
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        Connection c = bound;
        return c != null ? c.getAutoCommit() : autoCommit;
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        Connection c = bound;
        if (c != null) {
            c.setTransactionIsolation(level);
        }
        isolation = level;
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        return bound().getTransactionIsolation();
    }

    @Override
    public void setSchema(String schema) throws SQLException {
        Connection c = bound;
        if (c != null) {
            c.setSchema(schema);
        }
        this.schema = schema;
    }

    @Override
    public String getSchema() throws SQLException {
        return bound().getSchema();
    }

    @Override
    public void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
        Connection c = bound;
        if (c != null) {
            c.setNetworkTimeout(executor, milliseconds);
        }
        networkTimeoutExecutor = executor;
        networkTimeoutMillis = milliseconds;
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        return bound().getNetworkTimeout();
    }

    /** Nothing was done on a connection not yet taken, so there is nothing to commit. */
    @Override
    public void commit() throws SQLException {
        Connection c = bound;
        if (c != null) {
            c.commit();
        } else if (closed) {
            throw new SQLException("Connection is closed", "08003");
        }
    }

    /** Nothing was done on a connection not yet taken, so there is nothing to roll back. */
    @Override
    public void rollback() throws SQLException {
        Connection c = bound;
        if (c != null) {
            c.rollback();
        } else if (closed) {
            throw new SQLException("Connection is closed", "08003");
        }
    }

    @Override
    public void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        Connection c = bound;
        bound = null;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public boolean isClosed() throws SQLException {
        Connection c = bound;
        return closed || (c != null && c.isClosed());
    }

    @Override
    public void abort(Executor executor) throws SQLException {
        closed = true;
        Connection c = bound;
        bound = null;
        if (c != null) {
            c.abort(executor);
        }
    }

    @Override
    public @Nullable SQLWarning getWarnings() throws SQLException {
        Connection c = bound;
        return c != null ? c.getWarnings() : null;
    }

    @Override
    public void clearWarnings() throws SQLException {
        Connection c = bound;
        if (c != null) {
            c.clearWarnings();
        }
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        return bound().unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || bound().isWrapperFor(type);
    }

    // Everything else needs the pooled connection.

    @Override
    public Statement createStatement() throws SQLException {
        return bound().createStatement();
    }

    @Override
    public PreparedStatement prepareStatement(String sql) throws SQLException {
        return bound().prepareStatement(sql);
    }

    @Override
    public CallableStatement prepareCall(String sql) throws SQLException {
        return bound().prepareCall(sql);
    }

    @Override
    public String nativeSQL(String sql) throws SQLException {
        return bound().nativeSQL(sql);
    }

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        return bound().getMetaData();
    }

    @Override
    public void setCatalog(String catalog) throws SQLException {
        bound().setCatalog(catalog);
    }

    @Override
    public String getCatalog() throws SQLException {
        return bound().getCatalog();
    }

    @Override
    public Statement createStatement(int resultSetType, int resultSetConcurrency) throws SQLException {
        return bound().createStatement(resultSetType, resultSetConcurrency);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency)
        throws SQLException {
        return bound().prepareStatement(sql, resultSetType, resultSetConcurrency);
    }

    @Override
    public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency) throws SQLException {
        return bound().prepareCall(sql, resultSetType, resultSetConcurrency);
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        return bound().getTypeMap();
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> map) throws SQLException {
        bound().setTypeMap(map);
    }

    @Override
    public void setHoldability(int holdability) throws SQLException {
        bound().setHoldability(holdability);
    }

    @Override
    public int getHoldability() throws SQLException {
        return bound().getHoldability();
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        return bound().setSavepoint();
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        return bound().setSavepoint(name);
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
        bound().rollback(savepoint);
    }

    @Override
    public void releaseSavepoint(Savepoint savepoint) throws SQLException {
        bound().releaseSavepoint(savepoint);
    }

    @Override
    public Statement createStatement(int resultSetType, int resultSetConcurrency, int resultSetHoldability)
        throws SQLException {
        return bound().createStatement(resultSetType, resultSetConcurrency, resultSetHoldability);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency,
                                              int resultSetHoldability) throws SQLException {
        return bound().prepareStatement(sql, resultSetType, resultSetConcurrency, resultSetHoldability);
    }

    @Override
    public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency,
                                         int resultSetHoldability) throws SQLException {
        return bound().prepareCall(sql, resultSetType, resultSetConcurrency, resultSetHoldability);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int autoGeneratedKeys) throws SQLException {
        return bound().prepareStatement(sql, autoGeneratedKeys);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int[] columnIndexes) throws SQLException {
        return bound().prepareStatement(sql, columnIndexes);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, String[] columnNames) throws SQLException {
        return bound().prepareStatement(sql, columnNames);
    }

    @Override
    public Clob createClob() throws SQLException {
        return bound().createClob();
    }

    @Override
    public Blob createBlob() throws SQLException {
        return bound().createBlob();
    }

    @Override
    public NClob createNClob() throws SQLException {
        return bound().createNClob();
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        return bound().createSQLXML();
    }

    @Override
    public boolean isValid(int timeout) throws SQLException {
        if (closed) {
            return false;
        }
        return bound().isValid(timeout);
    }

    @Override
    public void setClientInfo(String name, String value) throws SQLClientInfoException {
        try {
            bound().setClientInfo(name, value);
        } catch (SQLClientInfoException e) {
            throw e;
        } catch (SQLException e) {
            throw new SQLClientInfoException(e.getMessage(), e.getSQLState(), Map.of(), e);
        }
    }

    @Override
    public void setClientInfo(Properties properties) throws SQLClientInfoException {
        try {
            bound().setClientInfo(properties);
        } catch (SQLClientInfoException e) {
            throw e;
        } catch (SQLException e) {
            throw new SQLClientInfoException(e.getMessage(), e.getSQLState(), Map.of(), e);
        }
    }

    @Override
    public String getClientInfo(String name) throws SQLException {
        return bound().getClientInfo(name);
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        return bound().getClientInfo();
    }

    @Override
    public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
        return bound().createArrayOf(typeName, elements);
    }

    @Override
    public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
        return bound().createStruct(typeName, attributes);
    }

    @Override
    public String toString() {
        Connection c = bound;
        return "RoutingConnection[" + (closed ? "closed" : c == null ? "not yet taken, " + (readOnly ? "read-only"
            : "read-write") : c.toString()) + "]";
    }
}
