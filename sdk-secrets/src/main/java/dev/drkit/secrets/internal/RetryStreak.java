package dev.drkit.secrets.internal;

import dev.drkit.core.time.Ticker;
import org.slf4j.Logger;

import java.util.Arrays;
import java.util.Random;

/**
 * The failures in a row of one background job (keeping a token, or a lease, alive): how long to wait before the
 * next attempt, and at which level to log a failure.
 *
 * <p>While the token or lease has time left, a retry waits a third of it, within the configured bounds
 * ({@link Schedule#retryDelay}). Once it has ended there is no end to aim for, and waiting the shortest delay for
 * ever would hammer a Vault that is down (or coming back, together with every other client that lost it): retries
 * back off exponentially, with jitter, from the shortest delay to the longest ({@link Schedule#backoffDelay}).
 *
 * <p>The first failure of a streak is logged at WARN; after that at most one WARN per {@link #WARN_INTERVAL_NANOS},
 * which says how many failures in between went to DEBUG. A success ends the streak, and the next failure is at WARN
 * again. Thread-safe: a request thread may report a failed login while a background task runs.
 */
final class RetryStreak {

    /** At most one WARN per this while a streak lasts: one minute. */
    static final long WARN_INTERVAL_NANOS = 60_000_000_000L;

    private final Ticker ticker;
    private final long minNanos;
    private final long maxNanos;
    private final Random random;
    private int failures;
    /** Failures in a row once nothing was left: the exponent of the backoff. */
    private int failuresAfterEnd;
    private boolean warned;
    private long lastWarnNanos;
    private int debugSinceWarn;

    RetryStreak(Ticker ticker, long minNanos, long maxNanos, Random random) {
        this.ticker = ticker;
        this.minNanos = minNanos;
        this.maxNanos = maxNanos;
        this.random = random;
    }

    /** Counts a failure of something with {@code leftNanos} to live, and returns the delay before the next attempt. */
    synchronized long failed(long leftNanos) {
        failures++;
        if (leftNanos > 0) {
            return Schedule.retryDelay(leftNanos, minNanos, maxNanos);
        }
        return Schedule.backoffDelay(failuresAfterEnd++, minNanos, maxNanos, random);
    }

    /**
     * Logs a failure counted by {@link #failed}: at WARN if it is the first warning of the streak or the last one is
     * {@link #WARN_INTERVAL_NANOS} old, else at DEBUG. A WARN after others went to DEBUG ends with how many did.
     */
    synchronized void log(Logger log, String format, Object... args) {
        long now = ticker.nanos();
        if (!warned || now - lastWarnNanos >= WARN_INTERVAL_NANOS) {
            if (debugSinceWarn > 0) {
                Object[] more = Arrays.copyOf(args, args.length + 2);
                more[args.length] = failures;
                more[args.length + 1] = debugSinceWarn;
                log.warn(format + " (failure {} in a row; {} since the last warning logged at DEBUG)", more);
            } else {
                log.warn(format, args);
            }
            warned = true;
            lastWarnNanos = now;
            debugSinceWarn = 0;
        } else {
            debugSinceWarn++;
            log.debug(format, args);
        }
    }

    /** Ends the streak; returns how many failures it had. */
    synchronized int succeeded() {
        int had = failures;
        failures = 0;
        failuresAfterEnd = 0;
        warned = false;
        debugSinceWarn = 0;
        return had;
    }

    /** Failures in a row so far. */
    synchronized int failures() {
        return failures;
    }
}
