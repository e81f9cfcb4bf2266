package dev.drkit.core.time;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when told to, for tests. Thread-safe.
 *
 * @since 0.1
 */
public final class ManualTicker implements Ticker {

    private final AtomicLong nanos = new AtomicLong();

    @Override
    public long nanos() {
        return nanos.get();
    }

    /**
     * Moves the ticker forward.
     *
     * @throws IllegalArgumentException if {@code by} is negative: a monotonic clock never goes back
     */
    public ManualTicker advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("by must not be negative, but was " + by);
        }
        nanos.addAndGet(by.toNanos());
        return this;
    }
}
