package dev.drkit.backup.postgres.internal;

import dev.drkit.backup.postgres.PgConnectionException;
import dev.drkit.backup.postgres.PgServer;
import dev.drkit.core.internal.Text;
import org.jspecify.annotations.Nullable;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;

/**
 * A JDBC connection to the server being backed up, for what the tools do not say: versions, identifiers, the
 * exported snapshot a dump shares, row counts. The password goes to the driver in its properties, never in the URL.
 */
public final class SourceConnection implements AutoCloseable {

    private static final Driver DRIVER = new org.postgresql.Driver();

    /** libpq's variable and the driver's property of the same meaning. */
    private static final String[][] TLS_VARIABLES = {
        {"PGSSLMODE", "sslmode"}, {"PGSSLROOTCERT", "sslrootcert"}, {"PGSSLCERT", "sslcert"}, {"PGSSLKEY", "sslkey"},
    };

    private final PgServer server;
    private final String database;
    private final Connection connection;

    private SourceConnection(PgServer server, String database, Connection connection) {
        this.server = server;
        this.database = database;
        this.connection = connection;
    }

    /**
     * Connects to {@code database}.
     *
     * @throws PgConnectionException if the server is unreachable or refuses the login
     */
    public static SourceConnection open(PgServer server, String database) {
        return open(server, database, System::getenv);
    }

    /** As {@link #open(PgServer, String)}, with libpq's TLS settings read from {@code environment}. */
    static SourceConnection open(PgServer server, String database, UnaryOperator<@Nullable String> environment) {
        Properties properties = new Properties();
        tlsSettings(environment).forEach(properties::setProperty);
        properties.setProperty("user", server.user());
        server.password().ifPresent(p -> p.withChars(chars -> properties.setProperty("password", new String(chars))));
        long seconds = Math.max(1, server.connectTimeout().toSeconds());
        properties.setProperty("connectTimeout", Long.toString(seconds));
        properties.setProperty("loginTimeout", Long.toString(seconds));
        properties.setProperty("ApplicationName", "drkit backup");
        String url = "jdbc:postgresql://" + hostForUrl(server.host()) + ":" + server.port() + "/"
            + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
        try {
            Connection c = DRIVER.connect(url, properties);
            if (c == null) {
                throw new IllegalStateException("the PostgreSQL driver does not accept " + url);
            }
            return new SourceConnection(server, database, c);
        } catch (SQLException e) {
            throw failure(server, database, "cannot connect", e);
        }
    }

    /**
     * libpq's TLS variables as the JDBC driver's properties. The tools read {@code PGSSLMODE} and its kin themselves,
     * but the driver reads none of them: without this, an operator's {@code PGSSLMODE=verify-full} would hold for
     * {@code pg_dump} while this connection, which logs in with the same password, took its default ({@code prefer}:
     * no certificate check, and plain text if the server, or a man in the middle, declines TLS).
     */
    static Map<String, String> tlsSettings(UnaryOperator<@Nullable String> environment) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String[] pair : TLS_VARIABLES) {
            String value = environment.apply(pair[0]);
            if (value != null && !value.isEmpty()) {
                settings.put(pair[1], value);
            }
        }
        return settings;
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    static PgConnectionException failure(PgServer server, String database, String what, SQLException e) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("host", server.host());
        context.put("port", Integer.toString(server.port()));
        context.put("user", server.user());
        context.put("database", database);
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : Text.oneLine(e.getMessage(), 300);
        return new PgConnectionException("PostgreSQL " + server.user() + "@" + server.host() + ":" + server.port()
            + "/" + database + ": " + what + ": " + reason, e.getSQLState(), context, e);
    }

    /** Every row of {@code sql} as text columns (NULL as null). */
    public List<List<@Nullable String>> query(String sql) {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            List<List<@Nullable String>> rows = new ArrayList<>();
            while (rs.next()) {
                List<@Nullable String> row = new ArrayList<>(columns);
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw failure(server, database, "query failed", e);
        }
    }

    /** The first column of the first row, or null. */
    public @Nullable String value(String sql) {
        List<List<@Nullable String>> rows = query(sql);
        return rows.isEmpty() ? null : rows.get(0).get(0);
    }

    /** The first column of the first row, or null if the query fails (without ending a transaction: autocommit only). */
    public @Nullable String valueOrNull(String sql) {
        try {
            return value(sql);
        } catch (PgConnectionException e) {
            return null;
        }
    }

    /** Runs {@code sql}. */
    public void execute(String sql) {
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw failure(server, database, "statement failed", e);
        }
    }

    /** Begins a read-only repeatable-read transaction. */
    public void beginSnapshot() {
        try {
            connection.setAutoCommit(false);
            execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        } catch (SQLException e) {
            throw failure(server, database, "cannot begin a transaction", e);
        }
    }

    /** This database's facts (counts and schema), in the current transaction or snapshot. */
    public Catalog.Facts facts() {
        List<@Nullable String> counts = query(Catalog.COUNTS).get(0);
        String schema = value(Catalog.SCHEMA);
        return Catalog.facts(counts.stream().map(v -> v == null ? "0" : v).toList(), schema == null ? "" : schema);
    }

    /** Closes the connection, rolling back an open transaction. Never throws. */
    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }
}
