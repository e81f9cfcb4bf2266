package dev.drkit.failover.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.SQLExceptionOverride;
import com.zaxxer.hikari.pool.HikariPool;
import com.zaxxer.hikari.util.Credentials;
import dev.drkit.core.secret.DatabaseCredentials;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One HikariCP pool per host, created when the host is first seen healthy and retired when it is lost or fenced.
 * Retiring shuts the pool down on a background thread: HikariCP aborts the connections in use (so callers
 * blocked on a frozen host get an error at once instead of waiting for TCP) and closes the idle ones; a host
 * that comes back gets a new pool.
 */
public final class HostPools implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HostPools.class);

    private final FailoverConfig config;
    private final Map<Endpoint, @Nullable HikariPool> pools = new LinkedHashMap<>();
    private final ExecutorService retirer;
    private final AtomicInteger serial = new AtomicInteger();
    private final Consumer<Endpoint> broken;
    private final Consumer<Endpoint> readOnlyRefusal;
    private boolean closed;

    /**
     * @throws IllegalArgumentException if HikariCP refuses the pool configuration the
     *                                  {@linkplain FailoverConfig#poolCustomizer() customizer} leaves
     * @param broken          told when a pooled connection to a host fails with a connection-class error, on the
     *                        thread that saw it
     * @param readOnlyRefusal told when a write on a pooled connection to a host is refused as read-only (25006),
     *                        which a demoted host does, and an application's own read-only transaction too
     */
    public HostPools(FailoverConfig config, Consumer<Endpoint> broken, Consumer<Endpoint> readOnlyRefusal) {
        this.config = config;
        this.broken = broken;
        this.readOnlyRefusal = readOnlyRefusal;
        for (Endpoint endpoint : config.endpoints()) {
            pools.put(endpoint, null);
        }
        // What the customizer did is checked now, so a configuration HikariCP refuses fails create() instead of
        // every pool the monitor opens, round after round.
        try {
            hikariConfig(config.endpoints().get(0), 0);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Failover data source '" + config.name() + "': the poolCustomizer left"
                + " a HikariCP configuration that is not valid: " + e.getMessage(), e);
        }
        this.retirer = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "drkit-failover-retire-" + config.name());
            t.setDaemon(true);
            return t;
        });
    }

    /** The pool of {@code endpoint}, created if it has none. */
    public synchronized HikariPool open(Endpoint endpoint) {
        if (closed) {
            throw new IllegalStateException("Failover data source '" + config.name() + "' is closed");
        }
        HikariPool pool = pools.get(endpoint);
        if (pool == null) {
            pool = new HikariPool(hikariConfig(endpoint, serial.incrementAndGet()));
            pools.put(endpoint, pool);
            log.debug("Failover data source '{}': opened a pool for {}", config.name(), endpoint.id());
        }
        return pool;
    }

    /** The pool of {@code endpoint} if it has one. */
    public synchronized @Nullable HikariPool get(Endpoint endpoint) {
        return pools.get(endpoint);
    }

    /** Shuts the pool of {@code endpoint} down in the background, aborting connections in use. */
    public synchronized void retire(Endpoint endpoint, String why) {
        HikariPool pool = pools.get(endpoint);
        if (pool == null) {
            return;
        }
        pools.put(endpoint, null);
        log.info("Failover data source '{}': closing the pool of {} ({}); connections in use are aborted",
            config.name(), endpoint.id(), why);
        retirer.execute(() -> shutdown(pool));
    }

    /** Retires every connection at its next return (credentials rotated). */
    public synchronized void softEvictAll() {
        pools.values().forEach(pool -> {
            if (pool != null) {
                pool.softEvictConnections();
            }
        });
    }

    /** Retires every idle connection of one host's pool now, and the others when they return. */
    public synchronized void softEvict(Endpoint endpoint) {
        HikariPool pool = pools.get(endpoint);
        if (pool != null) {
            pool.softEvictConnections();
        }
    }

    /** Counts of one host's pool: active, idle, total, waiting; all 0 without a pool. */
    public synchronized int[] counts(Endpoint endpoint) {
        HikariPool pool = pools.get(endpoint);
        if (pool == null) {
            return new int[4];
        }
        return new int[] {pool.getActiveConnections(), pool.getIdleConnections(), pool.getTotalConnections(),
            pool.getThreadsAwaitingConnection()};
    }

    private void shutdown(HikariPool pool) {
        try {
            pool.shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("Failover data source '{}': closing a pool failed: {}", config.name(), e.toString());
        }
    }

    private HikariConfig hikariConfig(Endpoint endpoint, int number) {
        HikariConfig hikari = new HikariConfig();
        // Callers wait for a primary in slices (see FailoverDataSource), so the pool's own wait only bounds a
        // pool that is exhausted, not a failover.
        hikari.setConnectionTimeout(Math.max(250, config.primaryWait().toMillis()));
        hikari.setMaximumPoolSize(config.maximumPoolSize());
        config.poolCustomizer().accept(hikari);
        hikari.setPoolName(jmxSafe(config.name() + "-" + endpoint.id() + "-" + number));
        hikari.setJdbcUrl("jdbc:postgresql://" + endpoint.id() + "/" + config.database());
        hikari.setDriverClassName("org.postgresql.Driver");
        hikari.setCredentialsProvider(() -> {
            DatabaseCredentials credentials = config.credentials().current();
            return Credentials.of(credentials.username(), new String(credentials.password().reveal()));
        });
        // Start even if the host cannot be reached yet; the monitor decides what the host is.
        hikari.setInitializationFailTimeout(-1);
        // Every SQLException on a pooled connection passes here: the earliest sign that a host died, long
        // before a probe could tell.
        SQLExceptionOverride theirs = hikari.getExceptionOverride();
        hikari.setExceptionOverride(new SQLExceptionOverride() {
            @java.lang.Override
            public SQLExceptionOverride.Override adjudicate(java.sql.SQLException failure) {
                SQLExceptionOverride.Override verdict = theirs == null ? SQLExceptionOverride.Override.CONTINUE_EVICT : theirs.adjudicate(failure);
                if (Failures.isConnectionFailure(failure)) {
                    broken.accept(endpoint);
                } else if (Failures.isReadOnlyRefusal(failure)) {
                    // A demoted host, or only the application's own read-only transaction: the exception cannot
                    // tell. A probe can, at once; a demoted host's pool is retired when the monitor loses it.
                    readOnlyRefusal.accept(endpoint);
                }
                return verdict;
            }
        });
        config.connectionProperties().forEach(hikari::addDataSourceProperty);
        hikari.addDataSourceProperty("connectTimeout", Integer.toString(config.connectTimeoutSeconds()));
        hikari.addDataSourceProperty("loginTimeout", Integer.toString(config.connectTimeoutSeconds()));
        hikari.addDataSourceProperty("tcpKeepAlive", "true");
        hikari.addDataSourceProperty("ApplicationName", "drkit " + config.name());
        hikari.validate();
        return hikari;
    }

    /**
     * {@code name} with {@code _} for what cannot stand in a JMX object name: HikariCP refuses a pool name with
     * {@code :} (as in {@code host:port}) when {@code registerMbeans} is on, and does not register its beans under
     * one with {@code , = * ? "}.
     */
    private static String jmxSafe(String name) {
        return name.replaceAll("[:,=*?\"]", "_");
    }

    @Override
    public void close() {
        Map<Endpoint, @Nullable HikariPool> open;
        synchronized (this) {
            closed = true;
            open = new LinkedHashMap<>(pools);
            pools.replaceAll((e, p) -> null);
        }
        open.values().forEach(pool -> {
            if (pool != null) {
                retirer.execute(() -> shutdown(pool));
            }
        });
        retirer.shutdown();
        try {
            if (!retirer.awaitTermination(15, TimeUnit.SECONDS)) {
                log.warn("Failover data source '{}': pools still closing after 15 s", config.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
