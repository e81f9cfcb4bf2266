package dev.drkit.failover;

import org.jspecify.annotations.Nullable;

import java.sql.SQLTransientConnectionException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The root of the {@link java.sql.SQLException}s a {@link FailoverDataSource} throws itself: a connection-class
 * failure (SQLState class {@code 08}), so JDBC code and frameworks that look at SQL states treat it as a lost
 * connection. Like every drkit exception it names the data source and carries the facts an operator needs as
 * named values ({@link #context()}), never a secret.
 *
 * @since 0.1
 */
public class FailoverSQLException extends SQLTransientConnectionException {

    private static final long serialVersionUID = 1L;

    private final String dataSourceName;
    private final Map<String, String> context;

    /**
     * @param message        what happened; never a secret
     * @param sqlState       a class {@code 08} SQL state
     * @param dataSourceName the data source's name
     * @param context        named facts (hosts, waited time, ...); copied; never a secret
     * @param cause          the underlying failure, or {@code null}
     */
    public FailoverSQLException(String message, String sqlState, String dataSourceName, Map<String, String> context,
                                @Nullable Throwable cause) {
        super(Objects.requireNonNull(message, "message"), Objects.requireNonNull(sqlState, "sqlState"), cause);
        this.dataSourceName = Objects.requireNonNull(dataSourceName, "dataSourceName");
        this.context = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(context, "context")));
    }

    /** The name of the data source that threw it. @since 0.1 */
    public String dataSourceName() {
        return dataSourceName;
    }

    /** The named facts of this failure, in the order they were given. @since 0.1 */
    public Map<String, String> context() {
        return context;
    }
}
