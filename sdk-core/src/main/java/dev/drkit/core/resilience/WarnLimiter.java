package dev.drkit.core.resilience;

import dev.drkit.core.time.Ticker;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets a warning that can repeat on every call (a rejection, a retry giving up) through at WARN at most once
 * per interval; the caller logs the others at DEBUG. Thread-safe.
 */
final class WarnLimiter {

    static final Duration INTERVAL = Duration.ofSeconds(30);

    private final Ticker ticker;
    private final long intervalNanos;
    private final AtomicLong nextWarnAt;
    private volatile boolean warned;

    WarnLimiter(Ticker ticker) {
        this.ticker = ticker;
        this.intervalNanos = INTERVAL.toNanos();
        this.nextWarnAt = new AtomicLong();
    }

    /** Whether this occurrence should be logged at WARN; at most one per interval is. */
    boolean tryWarn() {
        long now = ticker.nanos();
        if (!warned) {
            synchronized (this) {
                if (!warned) {
                    nextWarnAt.set(now + intervalNanos);
                    warned = true;
                    return true;
                }
            }
        }
        long next = nextWarnAt.get();
        return now - next >= 0 && nextWarnAt.compareAndSet(next, now + intervalNanos);
    }
}
