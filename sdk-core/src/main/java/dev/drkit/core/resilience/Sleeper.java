package dev.drkit.core.resilience;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Waits between retry attempts. Production code uses {@link #system()}; tests pass a sleeper that advances a
 * {@code ManualTicker} instead, so that nothing really sleeps. Implementations are thread-safe.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface Sleeper {

    /**
     * Waits for {@code duration}.
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     * @since 0.1
     */
    void sleep(Duration duration) throws InterruptedException;

    /**
     * Sleeps the calling thread ({@link TimeUnit#sleep(long)}).
     *
     * @since 0.1
     */
    static Sleeper system() {
        return duration -> TimeUnit.NANOSECONDS.sleep(duration.toNanos());
    }
}
