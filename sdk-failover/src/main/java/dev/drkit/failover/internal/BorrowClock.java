package dev.drkit.failover.internal;

import com.zaxxer.hikari.util.ClockSource;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * HikariCP's clock ({@link ClockSource#currentTime()}, the clock of a pooled connection's return time) as read a
 * moment ago by a thread of its own, so that a borrow can tell how long its connection sat idle without reading the
 * clock itself. A clock read is the one thing the idle-connection check adds to HikariCP's borrow, and on a virtual
 * machine it costs about 25 ns, some 15% of a borrow and return; reading this clock costs two loads.
 *
 * <p>The thread reads the clock every {@link #TICK_NANOS} while the clock is being read and goes to sleep after
 * {@link #IDLE_TICKS} ticks in which nobody read it, so an idle service pays no wake-ups. The first reader after
 * that reads the real clock and wakes the thread. So {@link #now()} is never ahead of the real clock and lags it
 * by about a tick (2.9 ms at worst measured on a quiet 2-core VM), and by tens of milliseconds when every core is
 * busy and the thread waits to be scheduled (about 25 ms with six busy threads on two cores). A lag only makes
 * connections look as if they had been idle for less time than they were: the check skips them, as it skips those
 * returned less than {@link IdleConnectionCheck#MIN_IDLE_NANOS} ago.
 */
public final class BorrowClock implements AutoCloseable {

    /** How often the clock is read while it is in use. */
    public static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * Ticks without a reader after which the thread sleeps until the next reader: 20 ms, so a pool borrowed from a
     * few times a second lets it sleep between borrows (each of which then reads the clock itself and wakes it).
     */
    static final int IDLE_TICKS = 20;

    /** The value of {@link #now} while the thread sleeps. The real clock may show it too, which costs a clock read. */
    private static final long ASLEEP = Long.MIN_VALUE;

    private static final VarHandle READ;

    static {
        try {
            READ = MethodHandles.lookup().findVarHandle(BorrowClock.class, "read", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Thread ticker;
    private volatile long now = ASLEEP;
    /**
     * Whether anybody read the clock since the last tick. Opaque accesses: a reader writes it only when it is
     * false, at most once per tick across all readers, so borrowing threads do not fight over its cache line.
     */
    @SuppressWarnings("unused") // through READ
    private boolean read;
    private volatile boolean closed;

    /** Starts the clock's thread, asleep until the first {@link #now()}. */
    public BorrowClock(String name) {
        ticker = new Thread(this::run, "drkit-failover-clock-" + name);
        ticker.setDaemon(true);
        ticker.start();
    }

    /** HikariCP's clock as of about a tick ago, never ahead of it. */
    public long now() {
        long t = now;
        if (t == ASLEEP) {
            LockSupport.unpark(ticker);
            return ClockSource.currentTime();
        }
        if (!(boolean) READ.getOpaque(this)) {
            READ.setOpaque(this, true);
        }
        return t;
    }

    /** The clock's thread, for tests. */
    Thread ticker() {
        return ticker;
    }

    private void run() {
        while (!closed) {
            // Asleep: a reader wakes us (an unpark before the park makes it return at once, so none is lost).
            LockSupport.park(this);
            int unread = 0;
            while (!closed && unread < IDLE_TICKS) {
                now = ClockSource.currentTime();
                LockSupport.parkNanos(this, TICK_NANOS);
                if ((boolean) READ.getOpaque(this)) {
                    READ.setOpaque(this, false);
                    unread = 0;
                } else {
                    unread++;
                }
            }
            // A reader that took the last value before this store used one at most a tick old; the next one wakes us.
            now = ASLEEP;
        }
    }

    /** Stops the clock's thread; {@link #now()} reads the real clock from then on. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(ticker);
    }
}
