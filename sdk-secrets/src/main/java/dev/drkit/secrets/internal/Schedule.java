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
     * least {@code minNanos} and at most {@code maxNanos}; {@code minNanos} once nothing is left (where a retry
     * backs off instead: {@link #backoffDelay}).
     */
    public static long retryDelay(long leftNanos, long minNanos, long maxNanos) {
        if (leftNanos <= 0) {
            return minNanos;
        }
        return Math.max(minNanos, Math.min(maxNanos, leftNanos / 3));
    }

    /**
     * The delay before retry number {@code attempt} (0 for the first) of something that has already ended, so has
     * no end to aim for: exponential backoff with "equal jitter". The ceiling is {@code minNanos} for the first
     * retry (a short outage costs little) and doubles with each attempt up to {@code maxNanos}; the delay is drawn
     * evenly from the upper half of it, never below {@code minNanos}. A long outage costs few requests, and clients
     * that lost Vault together do not come back to it in step. Always in {@code [minNanos, maxNanos]}.
     */
    public static long backoffDelay(int attempt, long minNanos, long maxNanos, Random random) {
        long ceiling = minNanos;
        for (int i = 0; i < attempt && ceiling < maxNanos; i++) {
            ceiling = ceiling > maxNanos / 2 ? maxNanos : ceiling * 2;
        }
        ceiling = Math.min(ceiling, maxNanos);
        long floor = Math.max(minNanos, ceiling / 2);
        if (ceiling <= floor) {
            return floor;
        }
        long delay = floor + (long) ((ceiling - floor) * random.nextDouble());
        return Math.max(minNanos, Math.min(maxNanos, delay));
    }
}
