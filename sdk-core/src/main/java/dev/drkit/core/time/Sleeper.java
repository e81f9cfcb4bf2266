package dev.drkit.core.time;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Waits. Retries wait between attempts, and drills between probes and canary writes, through a
 * {@code Sleeper}, so tests can pass one that advances a {@link ManualTicker} instead of sleeping. Implementations are
 * thread-safe.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface Sleeper {

    /**
     * Waits for {@code duration}, or less if interrupted.
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     * @since 0.1
     */
    void sleep(Duration duration) throws InterruptedException;

    /**
     * Sleeps the current thread.
     *
     * @since 0.1
     */
    static Sleeper system() {
        return duration -> TimeUnit.NANOSECONDS.sleep(duration.toNanos());
    }
}
