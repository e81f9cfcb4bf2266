package dev.drkit.failover.internal;

import com.zaxxer.hikari.util.ClockSource;

import org.jspecify.annotations.Nullable;
import org.postgresql.core.BaseConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;

/**
 * Tells, without a round trip, whether the server sent anything on a pooled connection while it sat idle in its
 * pool. A PostgreSQL server speaks only when asked, except for a {@code LISTEN} notification, an asynchronous
 * notice, and the last words of a backend that is going away: an {@code ErrorResponse} (FATAL 57P01) when the
 * postmaster died, a 57P01/57P02 warning on an immediate shutdown or a crash of another backend, or
 * {@code pg_terminate_backend}. So bytes waiting on an idle connection are rare, and the borrower should
 * validate it before sending anything.
 *
 * <p>How: the bytes waiting are pgjdbc's read buffer plus what the kernel holds for the socket
 * ({@code InputStream.available()}: one {@code ioctl(FIONREAD)}, no read, no write). pgjdbc has no public way to
 * ask: {@code PGConnection.getNotifications()} goes through {@code PGStream.hasMessagePending()}, which, when
 * nothing is waiting, reads with a 1 ms socket timeout, so every check would cost at least a millisecond. This
 * class reaches pgjdbc's stream, and HikariCP's time of the connection's return to its pool, through
 * method and variable handles. If either library changes those fields, the check turns itself off with one WARN and
 * connections are handed out as HikariCP gives them.
 *
 * <p>Cost: the system call is skipped for a connection that came back to its pool less than
 * {@link #MIN_IDLE_NANOS} ago (its last statement finished just now), so a tight borrow-and-return loop pays only
 * two field loads and a read of a {@link BorrowClock}, which reads no clock either. Over TLS (or GSS encryption)
 * only bytes already decrypted are visible, so the check finds nothing there; a backend killed without a word
 * (SIGKILL of the backend itself) leaves nothing to find either.
 */
public final class IdleConnectionCheck {

    /** A connection back in its pool for less than this is not checked: it was in use a moment ago. */
    public static final long MIN_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private static final Logger log = LoggerFactory.getLogger(IdleConnectionCheck.class);

    // Method handles typed (Object)Object and (Object)long, held in static finals: invokeExact on them compiles to
    // plain field loads, where a VarHandle called with other static types than its own pays an adaptation per call.
    private static final @Nullable MethodHandle POOL_ENTRY;
    private static final @Nullable MethodHandle LAST_ACCESSED;
    private static final @Nullable VarHandle PG_STREAM;
    private static final @Nullable VarHandle PG_INPUT;
    private static final @Nullable String DISABLED;

    static {
        MethodHandle poolEntry = null;
        MethodHandle lastAccessed = null;
        VarHandle pgStream = null;
        VarHandle pgInput = null;
        String disabled = null;
        try {
            Class<?> proxy = Class.forName("com.zaxxer.hikari.pool.ProxyConnection");
            Class<?> entry = Class.forName("com.zaxxer.hikari.pool.PoolEntry");
            poolEntry = MethodHandles.privateLookupIn(proxy, MethodHandles.lookup())
                .findGetter(proxy, "poolEntry", entry).asType(MethodType.methodType(Object.class, Object.class));
            lastAccessed = MethodHandles.privateLookupIn(entry, MethodHandles.lookup())
                .findGetter(entry, "lastAccessed", long.class).asType(MethodType.methodType(long.class, Object.class));
            Class<?> executor = Class.forName("org.postgresql.core.QueryExecutorBase");
            Class<?> stream = Class.forName("org.postgresql.core.PGStream");
            pgStream = MethodHandles.privateLookupIn(executor, MethodHandles.lookup())
                .findVarHandle(executor, "pgStream", stream);
            pgInput = MethodHandles.privateLookupIn(stream, MethodHandles.lookup())
                .findVarHandle(stream, "pgInput", Class.forName("org.postgresql.core.VisibleBufferedInputStream"));
        } catch (ReflectiveOperationException | RuntimeException e) {
            disabled = e.toString();
            log.warn("Failover data sources: cannot inspect pooled connections ({}); a connection whose server died"
                + " while it sat idle is only found when it is used", disabled);
        }
        POOL_ENTRY = poolEntry;
        LAST_ACCESSED = lastAccessed;
        PG_STREAM = pgStream;
        PG_INPUT = pgInput;
        DISABLED = disabled;
    }

    private IdleConnectionCheck() {
    }

    /** Whether the check works with the HikariCP and pgjdbc on the class path. */
    public static boolean enabled() {
        return DISABLED == null;
    }

    /**
     * Whether {@code pooled}, a HikariCP connection just borrowed, sat in its pool for at least
     * {@link #MIN_IDLE_NANOS} by {@code now} (HikariCP's clock, as {@link BorrowClock#now()} gives it) and its
     * server sent something meanwhile (or its socket is gone). Sends nothing.
     */
    public static boolean serverSpoke(Connection pooled, long now) {
        MethodHandle poolEntry = POOL_ENTRY;
        MethodHandle lastAccessed = LAST_ACCESSED;
        if (poolEntry == null || lastAccessed == null) {
            return false;
        }
        long returned;
        try {
            returned = (long) lastAccessed.invokeExact((Object) poolEntry.invokeExact((Object) pooled));
        } catch (RuntimeException e) {
            // A connection that is not HikariCP's (ClassCastException): nothing to tell.
            return false;
        } catch (Error e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError("a field getter threw " + e, e);
        }
        // HikariCP's clock: System.nanoTime(), or the milliseconds clock on macOS. Returned after now: just now.
        if (ClockSource.elapsedNanos(returned, now) < MIN_IDLE_NANOS) {
            return false;
        }
        return waitingBytes(pooled) != 0;
    }

    /**
     * Bytes from the server waiting to be read on {@code connection} (a pgjdbc connection, or a wrapper of one),
     * -1 if its socket is closed, 0 if it cannot be told.
     */
    public static int waitingBytes(Connection connection) {
        VarHandle pgStream = PG_STREAM;
        VarHandle pgInput = PG_INPUT;
        if (pgStream == null || pgInput == null) {
            return 0;
        }
        try {
            BaseConnection pg = connection.unwrap(BaseConnection.class);
            Object stream = pgStream.get(pg.getQueryExecutor());
            return ((InputStream) pgInput.get(stream)).available();
        } catch (IOException e) {
            return -1;
        } catch (SQLException | RuntimeException e) {
            return 0;
        }
    }
}
