package dev.drkit.secrets.internal;

import java.util.Random;

/**
 * When to act on something that expires: pure functions of the time actually left (never the advertised TTL,
 * which was true only when it was sent), so a late renewal or a clock jump cannot push the next attempt past
 * the end.
 */
public final class Schedule {

    private Schedule() {
    }

    /**
     * The delay before renewing something with {@code leftNanos} to live: {@code fraction} of it, less up to
     * {@code jitter} of that, so many clients started together spread out. Always in {@code [0, leftNanos)}
     * (0 when nothing is left).
     */
    public static long renewDelay(long leftNanos, double fraction, double jitter, Random random) {
        if (leftNanos <= 0) {
            return 0;
        }
        double base = leftNanos * fraction;
        double delay = base - base * jitter * random.nextDouble();
        long d = (long) delay;
        return Math.max(0, Math.min(d, leftNanos - 1));
    }

    /**
     * The delay before retrying after a failure, with {@code leftNanos} to live: a third of what is left, but at
     * least {@code minNanos} and at most {@code maxNanos}; {@code minNanos} once nothing is left.
     */
    public static long retryDelay(long leftNanos, long minNanos, long maxNanos) {
        if (leftNanos <= 0) {
            return minNanos;
        }
        return Math.max(minNanos, Math.min(maxNanos, leftNanos / 3));
    }
}
