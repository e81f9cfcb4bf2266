package dev.drkit.failover;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.pool.HikariPool;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.failover.event.FailoverEvent;
import dev.drkit.failover.event.FailoverListener;
import dev.drkit.failover.internal.BorrowClock;
import dev.drkit.failover.internal.FailoverCounters;
import dev.drkit.failover.internal.Failures;
import dev.drkit.failover.internal.HostPools;
import dev.drkit.failover.internal.IdleConnectionCheck;
import dev.drkit.failover.internal.RoutingConnection;
import dev.drkit.failover.internal.TopologyMonitor;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A PostgreSQL {@link DataSource} that follows the primary: give it every host of a primary and its streaming
 * replicas, in any order, and it routes writes to whichever host is the primary now, waits through a failover,
 * and never writes to a host in recovery or to an old primary that came back.
 *
 * <p><b>How.</b> One HikariCP pool per host. A topology monitor probes every host in parallel on dedicated
 * connections with short timeouts (never pooled ones, so a frozen host cannot hold a probe up) for
 * {@code pg_is_in_recovery()}, its timeline and WAL position, and the cluster's system identifier; it probes
 * faster while something is wrong. A primary that fails {@link FailoverConfig#failAfter()} probes in a row,
 * goes into recovery, or is overtaken by a primary on a newer timeline is <i>lost</i>: its pool is shut down at
 * once, which aborts the connections in use (work in flight fails with the driver's connection error instead of
 * hanging on a frozen host), and {@link #getConnection()} waits for a new primary for up to
 * {@link FailoverConfig#primaryWait()}, then throws {@link NoPrimaryException}. A host becomes the primary after
 * {@link FailoverConfig#confirmations()} probes in a row see it out of recovery on the newest timeline; a host
 * that claims to be primary on an older timeline (a zombie) is fenced and gets nothing. That holds from the first
 * probe round on, before any primary was known: the newest timeline is what any host of the cluster shows, a
 * primary or a standby. A lone old primary whose newer successor has not answered yet cannot be told apart: it is
 * elected with a warning naming the hosts that never answered, and fenced once one of them shows a newer timeline
 * (see docs/failover.md). A pooled connection
 * whose server sent something while it sat idle (a dying backend's last words) is validated before it is handed
 * out, and a dead one is evicted before anything was sent on it: the caller gets another connection or waits.
 *
 * <p><b>Reads.</b> {@link #readOnly()} is a view that hands out read-only connections to replicas on the
 * primary's timeline within {@link FailoverConfig#maxReplicaLag()} of the primary, or to the primary when none is.
 * {@link #routing()} is a view for code that marks read-only work with {@code setReadOnly(true)} instead, as
 * transaction managers do: its connections go where that flag says when first used.
 *
 * <p><b>Retries.</b> Nothing is retried behind the caller's back: a write whose connection breaks fails. To
 * run a transaction again on the new primary, mark it safe: {@link #inTransaction(Retry, SqlWork)}.
 *
 * <p>Instances are thread-safe. {@link #close()} stops the monitor and closes every pool.
 *
 * <pre>{@code
 * try (FailoverDataSource db = FailoverDataSource.create(FailoverConfig.builder()
 *         .name("orders-db")
 *         .endpoints(Endpoint.parse("db-a:5432"), Endpoint.parse("db-b:5432"))
 *         .database("orders")
 *         .credentials(credentials)
 *         .build())) {
 *     db.inTransaction(Retry.SAFE_TO_RETRY, c -> {
 *         try (var insert = c.prepareStatement("INSERT INTO orders (id, item) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
 *             insert.setLong(1, id);
 *             insert.setString(2, item);
 *             return insert.executeUpdate();
 *         }
 *     });
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class FailoverDataSource implements DataSource, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FailoverDataSource.class);
    /** A caller waits on a pool in slices, so a pool closed under it (a lost primary) costs at most one slice. */
    private static final long SLICE_MILLIS = 250;
    /** Bound on the round trip that validates a pooled connection its server spoke on while it was idle. */
    private static final int VALIDATION_SECONDS = 1;

    private final FailoverConfig config;
    /** The idle-connection check's clock; null when the check is off or cannot inspect connections. */
    private final @Nullable BorrowClock idleCheckClock;
    private final FailoverCounters counters;
    private final HostPools pools;
    private final TopologyMonitor monitor;
    private final List<FailoverListener> listeners = new CopyOnWriteArrayList<>();
    private final CredentialsSource.Registration rotation;
    private final AtomicInteger nextReader = new AtomicInteger();
    private final DataSource readOnlyView = new ReadOnlyView();
    private final DataSource routingView = new RoutingView();
    /** The pools' auto-commit setting, which a routing connection reports before it takes a pooled one. */
    private final boolean autoCommit;
    private volatile @Nullable Writer writer;
    private volatile List<Endpoint> readers = List.of();
    private volatile boolean closed;
    private volatile @Nullable PrintWriter logWriter;
    private volatile int loginTimeoutSeconds;

    /** The primary's pool, and the count of its connections handed out, which the monitor reads after a failover. */
    private record Writer(Endpoint endpoint, HikariPool pool, AtomicLong handedOut) {
    }

    private FailoverDataSource(FailoverConfig config) {
        this.config = config;
        this.counters = new FailoverCounters(config.endpoints());
        HikariConfig customized = new HikariConfig();
        config.poolCustomizer().accept(customized);
        this.autoCommit = customized.isAutoCommit();
        this.pools = new HostPools(config, this::brokenConnection, this::readOnlyRefusal);
        this.monitor = new TopologyMonitor(config, new Actions(), this::publish, counters);
        this.rotation = config.credentials().onRotation(() -> {
            log.info("Failover data source '{}': credentials rotated; pool connections are replaced as they return",
                config.name());
            pools.softEvictAll();
            monitor.resetProbes();
            // A connection that was logging in with the old credentials while they rotated joins its pool after
            // this eviction; a second one, once such logins are over, retires it too.
            java.util.concurrent.CompletableFuture.runAsync(() -> {
                if (!closed) {
                    pools.softEvictAll();
                }
            }, java.util.concurrent.CompletableFuture.delayedExecutor(config.connectTimeoutSeconds(), TimeUnit.SECONDS));
        });
        // Last: nothing after it can throw and leave its thread behind.
        this.idleCheckClock = config.idleConnectionCheck() && IdleConnectionCheck.enabled()
            ? new BorrowClock(config.name()) : null;
    }

    /**
     * Creates the data source and starts its topology monitor. Returns at once: the first
     * {@link #getConnection()} waits (up to {@link FailoverConfig#primaryWait()}) until the primary is known;
     * {@link #awaitPrimary(Duration)} waits explicitly.
     *
     * @since 0.1
     */
    public static FailoverDataSource create(FailoverConfig config) {
        return create(config, new FailoverListener[0]);
    }

    /**
     * As {@link #create(FailoverConfig)}, with {@code listeners} added before the topology monitor starts: they see
     * every event from its first probe round (a host fenced before any primary is elected, the first election),
     * which a listener added after {@code create} returns may miss.
     *
     * @since 0.1
     */
    public static FailoverDataSource create(FailoverConfig config, FailoverListener... listeners) {
        Objects.requireNonNull(config, "config");
        FailoverDataSource dataSource = new FailoverDataSource(config);
        try {
            for (FailoverListener listener : listeners) {
                dataSource.addListener(listener);
            }
            dataSource.monitor.start();
        } catch (RuntimeException | Error e) {
            try {
                dataSource.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        log.info("Failover data source '{}' started over {}", config.name(), config.endpoints());
        return dataSource;
    }

    /**
     * A connection to the primary. During a failover, waits for a new primary for up to
     * {@link FailoverConfig#primaryWait()}.
     *
     * @throws NoPrimaryException   if no primary was confirmed within the wait
     * @throws FailoverSQLException if the primary gave no connection within the wait (pool exhausted, or
     *                              it refused new connections)
     * @throws SQLException         if this data source is closed (SQLState 08003)
     * @since 0.1
     */
    @Override
    public Connection getConnection() throws SQLException {
        return connect(null);
    }

    private Connection connect(Endpoint @Nullable [] host) throws SQLException {
        // before the pools: close() stops the monitor (up to seconds) before it closes them, and a connection handed
        // out meanwhile would be aborted under its caller
        checkOpen();
        Writer w = writer;
        if (w != null) {
            try {
                Connection connection = borrow(w.endpoint, w.pool, SLICE_MILLIS);
                FailoverCounters.handedOut(w.handedOut);
                if (host != null) {
                    host[0] = w.endpoint;
                }
                return connection;
            } catch (SQLException e) {
                return awaitWriter(System.nanoTime(), e, host);
            }
        }
        return awaitWriter(System.nanoTime(), null, host);
    }

    private Connection awaitWriter(long start, @Nullable SQLException first, Endpoint @Nullable [] host)
        throws SQLException {
        checkOpen();
        long deadline = start + config.primaryWait().toNanos();
        SQLException last = first;
        boolean delayed = first != null;
        if (first != null) {
            suspectFor(first);
        }
        while (!closed) {
            Writer w = writer;
            long remaining = deadline - System.nanoTime();
            if (w != null) {
                try {
                    Connection connection = borrow(w.endpoint, w.pool,
                        Math.max(1, Math.min(SLICE_MILLIS, TimeUnit.NANOSECONDS.toMillis(remaining))));
                    FailoverCounters.handedOut(w.handedOut);
                    if (host != null) {
                        host[0] = w.endpoint;
                    }
                    if (delayed) {
                        counters.delayed();
                    }
                    return connection;
                } catch (SQLException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        // HikariCP gives up at once for an interrupted caller: waiting on would spin, and have the
                        // monitor probe round after round, for the whole primaryWait
                        counters.failed();
                        throw new FailoverSQLException("Failover data source '" + config.name()
                            + "': interrupted while waiting for a connection to the primary", "08001", config.name(),
                            Map.of(), e);
                    }
                    last = e;
                    delayed = true;
                    suspectFor(e);
                }
            } else {
                delayed = true;
                try {
                    monitor.awaitPrimary(deadline);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    counters.failed();
                    throw new FailoverSQLException("Failover data source '" + config.name()
                        + "': interrupted while waiting for a primary", "08001", config.name(), Map.of(), e);
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                break;
            }
        }
        checkOpen();
        counters.failed();
        Duration waited = Duration.ofNanos(System.nanoTime() - start);
        Writer w = writer;
        if (w == null) {
            throw new NoPrimaryException(config.name(), waited, monitor.topology().hosts(), monitor.rivalry(), last);
        }
        Map<String, String> context = new LinkedHashMap<>();
        context.put("host", w.endpoint.id());
        context.put("waitedMillis", Long.toString(waited.toMillis()));
        HikariPool pool = w.pool;
        throw new FailoverSQLException("Failover data source '" + config.name() + "': primary " + w.endpoint.id()
            + " gave no connection within " + waited.toMillis() + " ms (active=" + pool.getActiveConnections()
            + ", idle=" + pool.getIdleConnections() + ", total=" + pool.getTotalConnections() + ", waiting="
            + pool.getThreadsAwaitingConnection() + ")", "08001", config.name(), context, last);
    }

    /**
     * A connection from {@code pool}, never one whose server is known to have closed it: when the server sent
     * something while the connection sat idle in the pool (a dying backend's last words, see
     * {@link IdleConnectionCheck}), the connection is validated with a round trip before anything of the
     * caller's is sent. A dead one is evicted, counted, published as {@link FailoverEvent.Type#CONNECTION_EVICTED}
     * and treated as a connection failure of its host (idle connections retired, probe at once), and this throws: nothing was sent, so the caller borrows again or waits for the
     * new primary.
     */
    private Connection borrow(Endpoint endpoint, HikariPool pool, long timeoutMillis) throws SQLException {
        Connection connection = pool.getConnection(timeoutMillis);
        BorrowClock clock = idleCheckClock;
        if (clock == null || !IdleConnectionCheck.serverSpoke(connection, clock.now())) {
            return connection;
        }
        boolean valid;
        try {
            valid = connection.isValid(VALIDATION_SECONDS);
        } catch (SQLException e) {
            valid = false;
        }
        if (valid) {
            return connection;
        }
        pool.evictConnection(connection);
        counters.evictedOnBorrow(endpoint);
        log.info("Failover data source '{}': a pooled connection to {} was closed by its server while idle;"
            + " evicted before use", config.name(), endpoint.id());
        pools.softEvict(endpoint);
        monitor.evicted(endpoint, "a pooled connection was closed by its server while idle; evicted before use,"
            + " nothing was sent on it");
        throw new FailoverSQLException("Failover data source '" + config.name() + "': a pooled connection to "
            + endpoint.id() + " was closed by its server while idle (nothing was sent on it)", "08006",
            config.name(), Map.of("host", endpoint.id()), null);
    }

    /**
     * Not supported: the credentials come from the configured {@link CredentialsSource}.
     *
     * @throws SQLFeatureNotSupportedException always
     * @since 0.1
     */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("Failover data source '" + config.name()
            + "' takes its credentials from its CredentialsSource");
    }

    /**
     * A view of this data source for read-only work: its connections are read-only and go to a replica on the
     * primary's timeline whose replay is within {@link FailoverConfig#maxReplicaLag()} of the primary (round
     * robin), or to the primary when no replica is, waiting for one as {@link #getConnection()} does. Closing the
     * view does nothing.
     *
     * @since 0.1
     */
    public DataSource readOnly() {
        return readOnlyView;
    }

    /**
     * A view of this data source that routes by each connection's read-only flag: a connection takes a pooled one
     * only when first used, from {@link #readOnly()} if {@link Connection#setReadOnly setReadOnly(true)} was called
     * by then, else from {@link #getConnection()}. That is what transaction managers do before a read-only
     * transaction (Spring's {@code @Transactional(readOnly = true)} among them), so handing them this view sends
     * such transactions to replicas. Changing the flag between transactions gives the pooled connection back and
     * the next use takes one from the other side; inside a transaction the driver refuses the change. Waiting for a
     * primary, and its {@link NoPrimaryException}, come at the first use rather than at {@code getConnection()},
     * which never fails unless this data source is closed. Closing the view does nothing.
     *
     * @since 0.1
     */
    public DataSource routing() {
        return routingView;
    }

    /**
     * Runs {@code work} in one transaction on the primary and commits it. When the connection is lost (SQLState
     * class 08, 57P01-57P03, or a write refused as read-only (25006) by a host now in recovery), the transaction
     * is run again on the new primary only if {@code retry} is {@link Retry#SAFE_TO_RETRY}, up to
     * {@link FailoverConfig#maxAttempts()} attempts; otherwise the call fails with {@link PrimaryLostException}.
     * Any other failure rolls back and is thrown as it is.
     *
     * @throws PrimaryLostException if the connection was lost and the work may not (or may no longer) be retried
     * @throws NoPrimaryException   if no primary was found within {@link FailoverConfig#primaryWait()}
     * @throws SQLException         what {@code work} threw, after a rollback
     * @since 0.1
     */
    public <T> T inTransaction(Retry retry, SqlWork<T> work) throws SQLException {
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(work, "work");
        for (int attempt = 1; ; attempt++) {
            Endpoint[] host = new Endpoint[1];
            Connection connection = connect(host);
            boolean committing = false;
            boolean demoted = false;
            try (connection) {
                try {
                    connection.setAutoCommit(false);
                    T result = work.apply(connection);
                    committing = true;
                    connection.commit();
                    return result;
                } catch (SQLException e) {
                    // A write refused as read-only: the host was demoted, or the work itself is read-only (SET
                    // TRANSACTION READ ONLY), which is the caller's error and must not be retried. Asked while
                    // the connection is still open.
                    demoted = Failures.isReadOnlyRefusal(e) && Failures.onHotStandby(connection);
                    throw e;
                }
            } catch (SQLException e) {
                if (!committing) {
                    rollbackQuietly(connection);
                }
                if (!demoted && !Failures.isConnectionFailure(e)) {
                    throw e;
                }
                monitor.suspect();
                String id = host[0] == null ? "?" : host[0].id();
                if (retry == Retry.SAFE_TO_RETRY && attempt < config.maxAttempts()) {
                    log.debug("Failover data source '{}': connection to {} lost ({}); running the transaction again"
                        + " (attempt {})", config.name(), id, Failures.describe(e), attempt + 1);
                    continue;
                }
                counters.failed();
                throw new PrimaryLostException(config.name(), id, committing, attempt, e);
            }
        }
    }

    /** The same as {@link #inTransaction(Retry, SqlWork)} with {@link Retry#NEVER}. @since 0.1 */
    public <T> T inTransaction(SqlWork<T> work) throws SQLException {
        return inTransaction(Retry.NEVER, work);
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            if (!connection.isClosed()) {
                connection.rollback();
            }
        } catch (SQLException | RuntimeException ignored) {
            // The connection is gone; the server rolls back by itself.
        }
    }

    /**
     * Forgets the newest timeline this data source has seen, for an operator who <b>undid a promotion</b>: the
     * promoted host was stopped or rebuilt as a standby of the old primary, which is legitimately the primary
     * again on its older timeline. Without this call the old primary stays fenced for as long as the data source
     * lives, since drkit cannot tell an undone promotion from a zombie. Never called by drkit itself.
     *
     * <p>The next probe round runs at once and remembers only what the hosts show then: a host that still shows
     * the newer timeline (the promoted host still running as a primary, or a standby still on it) keeps the old
     * primary fenced, as it should. Otherwise the old primary is elected after
     * {@link FailoverConfig#confirmations()} probes, like any candidate. A WARN logs what was forgotten.
     *
     * <p>Call it only once no host of the cluster is on the newer timeline any more: after it, a host claiming
     * primary on an older timeline is refused only on what the next probes show.
     *
     * @since 0.1
     */
    public void forgetTimelines() {
        monitor.forgetTimelines();
    }

    /**
     * Waits until a primary is confirmed or {@code timeout} passes.
     *
     * @return whether a primary is known
     * @since 0.1
     */
    public boolean awaitPrimary(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        return monitor.awaitPrimary(System.nanoTime() + timeout.toNanos()) != null;
    }

    /** What the topology monitor knows now. @since 0.1 */
    public Topology topology() {
        return monitor.topology();
    }

    /** Counters since creation. @since 0.1 */
    public FailoverStats stats() {
        return counters.snapshot();
    }

    /** The configuration. @since 0.1 */
    public FailoverConfig config() {
        return config;
    }

    /** The name given in the configuration. @since 0.1 */
    public String name() {
        return config.name();
    }

    /** Adds a listener for topology changes. @since 0.1 */
    public void addListener(FailoverListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a listener; returns whether it was registered. @since 0.1 */
    public boolean removeListener(FailoverListener listener) {
        return listeners.remove(listener);
    }

    private void publish(FailoverEvent event) {
        for (FailoverListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException | Error e) {
                // Errors too (an AssertionError, a LinkageError): this runs on the monitor's thread, whose end would
                // leave the data source routing to whatever it knew last, a lost or fenced primary included.
                counters.listenerFailed();
                log.warn("Failover data source '{}': a listener failed on {}: {}", config.name(), event.type(),
                    e.toString());
            }
        }
    }

    /**
     * A pooled connection failed with a connection-class error: the host may have died. Its idle connections
     * are retired (the next borrower opens a fresh one, which fails fast or waits, instead of taking a dead
     * one and failing its work), and the monitor probes at once.
     */
    private void brokenConnection(Endpoint endpoint) {
        pools.softEvict(endpoint);
        monitor.suspect();
    }

    /**
     * A write on a pooled connection was refused as read-only: the host may have been demoted, or the application's
     * transaction was read-only. Nothing is evicted for it; the monitor probes at once and, if the host is in
     * recovery, loses it and retires its pool.
     */
    private void readOnlyRefusal(Endpoint endpoint) {
        // From a host already known as a standby it says nothing new (a write sent to a replica): no probe for it.
        boolean standby = monitor.topology().host(endpoint).map(h -> h.role() == HostRole.STANDBY).orElse(false);
        if (!standby) {
            monitor.suspect();
        }
    }

    /**
     * A borrow failed with {@code failure}: the monitor probes at once if it is a connection failure (the host may
     * be gone), not for a pool that is only exhausted (HikariCP's timeout, no connection failure behind it) or
     * anything else a probe cannot explain.
     */
    private void suspectFor(SQLException failure) {
        if (Failures.isConnectionFailure(failure)) {
            monitor.suspect();
        }
    }

    private void checkOpen() throws SQLException {
        if (closed) {
            throw new SQLException("Failover data source '" + config.name() + "' is closed", "08003");
        }
    }

    /**
     * Stops the monitor and closes every pool (connections in use are aborted). From the moment it starts, every
     * view refuses new connections (SQLState 08003), also while the monitor's thread is still ending. Idempotent.
     *
     * @since 0.1
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (idleCheckClock != null) {
            idleCheckClock.close();
        }
        rotation.close();
        monitor.close();
        writer = null;
        pools.close();
        log.info("Failover data source '{}' closed", config.name());
    }

    @Override
    public @Nullable PrintWriter getLogWriter() {
        return logWriter;
    }

    @Override
    public void setLogWriter(@Nullable PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public void setLoginTimeout(int seconds) {
        this.loginTimeoutSeconds = seconds;
    }

    @Override
    public int getLoginTimeout() {
        return loginTimeoutSeconds;
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("no java.util.logging; drkit logs through SLF4J");
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("Failover data source '" + config.name() + "' is not a " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }

    @Override
    public String toString() {
        return "FailoverDataSource[" + config.name() + ", primary=" + monitor.topology().primary().map(Endpoint::id)
            .orElse("none") + "]";
    }

    /** What the monitor's decisions do to the pools. Runs on the monitor thread. */
    private final class Actions implements TopologyMonitor.Actions {

        @Override
        public void primaryLost(Endpoint endpoint, String why) {
            Writer w = writer;
            if (w != null && w.endpoint.equals(endpoint)) {
                writer = null;
            }
            pools.retire(endpoint, "primary lost");
        }

        @Override
        public void primaryElected(Endpoint endpoint) {
            writer = new Writer(endpoint, pools.open(endpoint), counters.handedOutForWrites(endpoint));
        }

        @Override
        public long useMark(Endpoint endpoint) {
            // The count first: a borrow counted after this read is either still in use below (-1) or makes the
            // count differ from this mark later; read the other way round, one could slip between the two.
            long handedOut = counters.handedOutForWrites(endpoint).getAcquire();
            HikariPool pool = pools.get(endpoint);
            if (pool != null && pool.getActiveConnections() > 0) {
                return -1;
            }
            return handedOut;
        }

        @Override
        public void fenced(Endpoint endpoint, String why) {
            Writer w = writer;
            if (w != null && w.endpoint.equals(endpoint)) {
                writer = null;
            }
            pools.retire(endpoint, "fenced");
        }

        @Override
        public void healthy(Endpoint endpoint) {
            if (!closed) {
                pools.open(endpoint);
            }
        }

        @Override
        public void unreachable(Endpoint endpoint, String why) {
            Writer w = writer;
            if (w == null || !w.endpoint.equals(endpoint)) {
                pools.retire(endpoint, "unreachable");
            }
        }

        @Override
        public void readersChanged(List<Endpoint> now) {
            readers = now;
        }
    }

    /** What every view of this data source passes on to it. */
    private abstract class View implements DataSource {

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return FailoverDataSource.this.getConnection(username, password);
        }

        @Override
        public @Nullable PrintWriter getLogWriter() {
            return FailoverDataSource.this.getLogWriter();
        }

        @Override
        public void setLogWriter(@Nullable PrintWriter out) {
            FailoverDataSource.this.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) {
            FailoverDataSource.this.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() {
            return FailoverDataSource.this.getLoginTimeout();
        }

        @Override
        public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return FailoverDataSource.this.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            return FailoverDataSource.this.unwrap(type);
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return FailoverDataSource.this.isWrapperFor(type);
        }
    }

    /** The read-only view. */
    private final class ReadOnlyView extends View {

        @Override
        public Connection getConnection() throws SQLException {
            checkOpen();
            List<Endpoint> candidates = readers;
            int size = candidates.size();
            if (size > 0) {
                int first = nextReader.getAndIncrement();
                for (int i = 0; i < size; i++) {
                    Endpoint candidate = candidates.get(Math.floorMod(first + i, size));
                    HikariPool pool = pools.get(candidate);
                    if (pool == null) {
                        continue;
                    }
                    Connection connection;
                    try {
                        connection = borrow(candidate, pool, SLICE_MILLIS);
                    } catch (SQLException e) {
                        suspectFor(e);
                        continue;
                    }
                    try {
                        connection.setReadOnly(true);
                        return connection;
                    } catch (SQLException e) {
                        discard(candidate, connection, e);
                    }
                }
            }
            Endpoint[] host = new Endpoint[1];
            Connection connection = connect(host);
            try {
                connection.setReadOnly(true);
                return connection;
            } catch (SQLException e) {
                discard(host[0], connection, e);
                throw e;
            }
        }

        /**
         * A connection that refused {@code setReadOnly(true)} (a transaction left open on it, begun in SQL, which
         * HikariCP does not roll back; or a broken connection) is evicted from its pool, which closes it and so
         * ends that transaction on the server, instead of being leaked or handed out again.
         */
        private void discard(@Nullable Endpoint endpoint, Connection connection, SQLException failure) {
            HikariPool pool = endpoint == null ? null : pools.get(endpoint);
            try {
                if (pool != null) {
                    pool.evictConnection(connection);
                } else {
                    connection.close();
                }
            } catch (SQLException | RuntimeException closing) {
                failure.addSuppressed(closing);
            }
            log.debug("Failover data source '{}': a pooled connection to {} refused to become read-only ({});"
                + " evicted", config.name(), endpoint == null ? "?" : endpoint.id(), Failures.describe(failure));
            suspectFor(failure);
        }

        @Override
        public String toString() {
            return "FailoverDataSource.readOnly[" + config.name() + "]";
        }
    }

    /** The view that routes by the read-only flag. */
    private final class RoutingView extends View {

        @Override
        public Connection getConnection() throws SQLException {
            checkOpen();
            return new RoutingConnection(FailoverDataSource.this::getConnection, readOnlyView::getConnection,
                autoCommit);
        }

        @Override
        public String toString() {
            return "FailoverDataSource.routing[" + config.name() + "]";
        }
    }
}
