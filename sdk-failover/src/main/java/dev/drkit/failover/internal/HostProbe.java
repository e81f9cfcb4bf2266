package dev.drkit.failover.internal;

import dev.drkit.core.secret.DatabaseCredentials;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;

import org.jspecify.annotations.Nullable;
import org.postgresql.Driver;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Probes one host on a dedicated connection of its own, never a pooled one, so a probe is never queued behind
 * the application's connections to a frozen host. The connection is kept between probes (a probe is then one
 * round trip) with a socket timeout of the probe timeout; it is dropped after any failure and opened again.
 *
 * <p>Each host has its own probe thread, so a host that hangs while we log in delays no other host's probe;
 * while a probe of a host is still running, later rounds report it as timed out instead of piling up.
 */
final class HostProbe implements AutoCloseable {

    /**
     * One round trip: role, WAL position, timeline, cluster identity, the durable WAL position (flushed on a
     * primary, received on a standby) and whether synchronous standbys are required. On a primary the timeline
     * comes from the name of the WAL file being written, which changes the moment a promotion ends (the
     * checkpoint's timeline only changes at the next checkpoint); on a standby from its last restartpoint, and
     * also the timeline its WAL receiver is receiving (NULL when none runs, and for a role without
     * {@code pg_read_all_stats}, which PostgreSQL 15 shows only the receiver's pid).
     */
    static final String PROBE_SQL = "SELECT r,"
        + " coalesce(pg_wal_lsn_diff(CASE WHEN r THEN coalesce(pg_last_wal_replay_lsn(), pg_last_wal_receive_lsn())"
        + " ELSE pg_current_wal_lsn() END, '0/0'), -1)::bigint,"
        + " CASE WHEN r THEN (SELECT timeline_id FROM pg_control_checkpoint())"
        + " ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,"
        + " (SELECT system_identifier FROM pg_control_system()),"
        + " coalesce(pg_wal_lsn_diff(CASE WHEN r THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_flush_lsn() END,"
        + " '0/0'), -1)::bigint,"
        + " current_setting('synchronous_standby_names') <> '',"
        + " CASE WHEN r THEN (SELECT received_tli FROM pg_stat_wal_receiver) END"
        + " FROM (SELECT pg_is_in_recovery() AS r) s";

    private static final Driver DRIVER = new Driver();

    private final Endpoint endpoint;
    private final FailoverConfig config;
    private final String url;
    private final ExecutorService thread;
    private @Nullable Connection connection;          // only touched on the probe thread
    private @Nullable Future<ProbeResult> inFlight;   // only touched on the monitor thread
    private volatile boolean reset;

    HostProbe(Endpoint endpoint, FailoverConfig config) {
        this.endpoint = endpoint;
        this.config = config;
        this.url = "jdbc:postgresql://" + endpoint.id() + "/" + config.database();
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "drkit-failover-probe-" + config.name() + "-" + endpoint.id());
            t.setDaemon(true);
            return t;
        });
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /**
     * Starts a probe; null when the previous one is still running (a login or query hanging on a host that
     * does not answer), which the round counts as failed at once rather than waiting for it again. Called on
     * the monitor thread only.
     */
    @Nullable Future<ProbeResult> start() {
        Future<ProbeResult> running = inFlight;
        if (running != null && !running.isDone()) {
            return null;
        }
        Future<ProbeResult> started = thread.submit(this::probe);
        inFlight = started;
        return started;
    }

    /** Drops the connection before the next probe (credentials rotated). */
    void reset() {
        reset = true;
    }

    private ProbeResult probe() {
        if (reset) {
            reset = false;
            closeConnection();
        }
        try {
            Connection open = connection;
            if (open == null) {
                open = connect();
                connection = open;
            }
            try (Statement statement = open.createStatement(); ResultSet row = statement.executeQuery(PROBE_SQL)) {
                row.next();
                // getInt gives 0 for NULL: no received timeline known.
                return new ProbeResult(endpoint, true, true, row.getBoolean(1), row.getLong(2), row.getInt(3),
                    row.getInt(7), row.getLong(4), row.getLong(5), row.getBoolean(6), "", System.nanoTime());
            }
        } catch (CredentialsUnavailable e) {
            // Nothing was asked of the host: no sign it is dead, so it counts as answering.
            return ProbeResult.failed(endpoint, true, "credentials source failed: " + Failures.describe(e.getCause()));
        } catch (SQLException | RuntimeException e) {
            closeConnection();
            String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : null;
            return ProbeResult.failed(endpoint, answered(state), Failures.describe(e));
        }
    }

    /**
     * Whether a failure with SQL state {@code state} still proves the host is up: it refused us (bad credentials,
     * no such database), or is short of resources (class 53: too many connections, for the server or the role; out
     * of memory or disk), which a busy primary is, not a dead one.
     */
    static boolean answered(@Nullable String state) {
        return state != null && (state.startsWith("28") || state.equals("3D000") || state.startsWith("53"));
    }

    /** The credentials source threw: the probe could not even try the host. */
    private static final class CredentialsUnavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CredentialsUnavailable(RuntimeException cause) {
            super(cause);
        }
    }

    /**
     * pgjdbc's connect, login and socket timeouts for a probe's connection, in whole seconds: the probe timeout
     * rounded up, the login twice that (it includes the connect). They only bound a connect or login left over
     * from a round that already gave up on it (the round itself waits at most the probe timeout), and must not
     * cut short one that the probe timeout allows.
     */
    static int timeoutSeconds(java.time.Duration probeTimeout) {
        long millis = probeTimeout.toMillis();
        return (int) Math.max(1, (millis + 999) / 1000);
    }

    private Connection connect() throws SQLException {
        DatabaseCredentials credentials;
        try {
            credentials = config.credentials().current();
        } catch (RuntimeException e) {
            throw new CredentialsUnavailable(e);
        }
        Properties properties = new Properties();
        // The user's properties (sslmode, certificates) apply to probes too; drkit's own timeouts win.
        config.connectionProperties().forEach(properties::setProperty);
        properties.setProperty("user", credentials.username());
        properties.setProperty("password", new String(credentials.password().reveal()));
        int seconds = timeoutSeconds(config.probeTimeout());
        properties.setProperty("connectTimeout", Integer.toString(seconds));
        properties.setProperty("loginTimeout", Integer.toString(2 * seconds));
        properties.setProperty("socketTimeout", Integer.toString(seconds));
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("ApplicationName", "drkit-probe " + config.name());
        properties.setProperty("assumeMinServerVersion", "13");
        Connection opened = DRIVER.connect(url, properties);
        if (opened == null) {
            throw new SQLException("pgjdbc did not accept " + url, "08001");
        }
        // Milliseconds, unlike the properties: the probe's own bound from now on.
        opened.setNetworkTimeout(Runnable::run, (int) Math.max(1, config.probeTimeout().toMillis()));
        opened.setAutoCommit(true);
        return opened;
    }

    private void closeConnection() {
        Connection open = connection;
        connection = null;
        if (open != null) {
            try {
                open.close();
            } catch (SQLException | RuntimeException ignored) {
                // Broken already; nothing to release.
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        // The probe thread may be inside a query; closing from here is safe with pgjdbc (it only closes the
        // socket), and the thread ends when its read fails.
        Connection open = connection;
        if (open != null) {
            try {
                open.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // Closing anyway.
            }
        }
    }
}
