package dev.drkit.core.resilience;

import dev.drkit.core.internal.Checks;
import dev.drkit.core.time.Ticker;

import java.time.Duration;
import java.util.Objects;

/**
 * Caps retries at a fraction of recent calls, so that retries cannot multiply the load on a dependency that
 * is already failing. Resilience4j's retry caps attempts per call, never across calls; this is the
 * cross-call cap of Finagle's {@code RetryBudget} and gRPC's retry throttling.
 *
 * <p>Each call deposits {@link #ratio()} of a retry; each retry withdraws one. On top of that, a reserve of
 * {@link #minRetriesPerSecond()} × {@link #window()} retries lets callers with little traffic still retry.
 * Deposits and withdrawals count only while they are recent: a retry is granted when
 *
 * <pre>
 *   retries granted in the last window + 1  ≤  ratio × calls in the last window + minRetriesPerSecond × window
 * </pre>
 *
 * <p>Instances are thread-safe: one budget is meant to be shared by every caller of one dependency, across
 * threads and across {@link Resilience} instances. Time comes from a monotonic {@link Ticker}.
 *
 * <pre>{@code
 * RetryBudget budget = RetryBudget.builder().ratio(0.2).window(Duration.ofSeconds(10)).minRetriesPerSecond(1).build();
 * budget.recordCall();
 * if (failed && budget.tryAcquireRetry()) {
 *     // retry
 * }
 * }</pre>
 *
 * <h2>Resolution, and why it errs on the side of fewer retries</h2>
 * The window is kept as {@value #BUCKETS} buckets of {@code window / }{@value #BUCKETS} each, so memory does
 * not grow with traffic. Calls are counted over the buckets lying wholly inside the last window (the current,
 * partial bucket and the {@code BUCKETS - 1} before it), retries over one bucket more. The budget therefore
 * under-counts calls and over-counts retries, never the other way, and the inequality above holds exactly for
 * the true sliding window ending at every moment a retry is granted. For any window of length {@code window}
 * whatsoever, the retries granted inside it are at most {@code ratio × calls in it and in the window before
 * it + minRetriesPerSecond × window}. The cost: under steady traffic the budget grants about 20/21 of
 * {@code ratio × calls} (retries count for 21 buckets, calls for 20), and a caller with no traffic gets
 * {@code minRetriesPerSecond × window} retries per {@code window × 21/20}.
 *
 * <p>The ratio is applied in millionths, so {@code ratio × calls} is exact for ratios with at most six
 * decimals and off by at most {@code calls / 2 000 000} otherwise.
 *
 * @since 0.1
 */
public final class RetryBudget {

    /** Default fraction of calls that may be retried: {@value}. */
    public static final double DEFAULT_RATIO = 0.2;

    /** Default retries per second allowed whatever the traffic: {@value}, as in Finagle. */
    public static final int DEFAULT_MIN_RETRIES_PER_SECOND = 10;

    /** Default length of the sliding window, in seconds: {@value}. */
    public static final int DEFAULT_WINDOW_SECONDS = 10;

    /** Number of buckets the window is divided into: {@value}. */
    public static final int BUCKETS = 20;

    private static final long UNITS_PER_RETRY = 1_000_000L;

    private final double ratio;
    private final long ratioMillionths;
    private final Duration window;
    private final int minRetriesPerSecond;
    private final long reserveUnits;
    private final Ticker ticker;
    private final long origin;
    private final long bucketNanos;

    // Ring of BUCKETS + 1 slots; slotIndex says which bucket a slot currently holds. Guarded by this.
    private final long[] slotIndex = new long[BUCKETS + 1];
    private final long[] slotCalls = new long[BUCKETS + 1];
    private final long[] slotRetries = new long[BUCKETS + 1];
    private long totalCalls;
    private long totalRetries;
    private long totalRejected;

    private RetryBudget(Builder builder) {
        this.ratio = builder.ratio;
        this.ratioMillionths = Math.round(builder.ratio * UNITS_PER_RETRY);
        this.window = builder.window;
        this.minRetriesPerSecond = builder.minRetriesPerSecond;
        // minRetriesPerSecond × window in retry units (a millionth of a retry): × 1e6 units / 1e9 ns.
        this.reserveUnits = builder.minRetriesPerSecond * builder.window.toNanos() / 1000;
        this.ticker = builder.ticker;
        this.origin = builder.ticker.nanos();
        this.bucketNanos = builder.window.toNanos() / BUCKETS;
        java.util.Arrays.fill(slotIndex, Long.MIN_VALUE);
    }

    /**
     * A builder starting from the defaults: ratio {@value #DEFAULT_RATIO}, window
     * {@value #DEFAULT_WINDOW_SECONDS} s, {@value #DEFAULT_MIN_RETRIES_PER_SECOND} retries per second minimum,
     * the system ticker.
     *
     * @since 0.1
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A budget with the defaults of {@link #builder()}.
     *
     * @since 0.1
     */
    public static RetryBudget ofDefaults() {
        return builder().build();
    }

    /**
     * Records one call (a first attempt, not a retry); each deposits {@link #ratio()} of a retry.
     *
     * @since 0.1
     */
    public synchronized void recordCall() {
        long bucket = currentBucket();
        int slot = slotFor(bucket);
        slotCalls[slot]++;
        totalCalls++;
    }

    /**
     * Takes one retry from the budget if there is one.
     *
     * @return {@code true} if the caller may retry now; {@code false} if the budget is exhausted, in which
     *         case nothing was taken
     * @since 0.1
     */
    public synchronized boolean tryAcquireRetry() {
        long bucket = currentBucket();
        if (availableUnits(bucket) < UNITS_PER_RETRY) {
            totalRejected++;
            return false;
        }
        slotRetries[slotFor(bucket)]++;
        totalRetries++;
        return true;
    }

    /**
     * The counts as they are now: in the window, and since this budget was created.
     *
     * @since 0.1
     */
    public synchronized Snapshot snapshot() {
        long bucket = currentBucket();
        long available = Math.max(0, availableUnits(bucket)) / UNITS_PER_RETRY;
        return new Snapshot(sum(slotCalls, bucket - BUCKETS + 1, bucket), sum(slotRetries, bucket - BUCKETS, bucket),
            available, totalCalls, totalRetries, totalRejected);
    }

    /**
     * Fraction of calls that may be retried, between 0 and 1.
     *
     * @since 0.1
     */
    public double ratio() {
        return ratio;
    }

    /**
     * Length of the sliding window over which calls and retries count.
     *
     * @since 0.1
     */
    public Duration window() {
        return window;
    }

    /**
     * Retries per second allowed whatever the traffic, as a reserve of this many × {@link #window()} seconds.
     *
     * @since 0.1
     */
    public int minRetriesPerSecond() {
        return minRetriesPerSecond;
    }

    private long availableUnits(long bucket) {
        long calls = sum(slotCalls, bucket - BUCKETS + 1, bucket);
        long retries = sum(slotRetries, bucket - BUCKETS, bucket);
        return saturatedAdd(saturatedMultiply(ratioMillionths, calls), reserveUnits)
            - saturatedMultiply(retries, UNITS_PER_RETRY);
    }

    private long currentBucket() {
        // Difference of readings, so a ticker starting anywhere (even negative) works.
        return Math.floorDiv(ticker.nanos() - origin, bucketNanos);
    }

    private int slotFor(long bucket) {
        int slot = (int) Math.floorMod(bucket, (long) (BUCKETS + 1));
        if (slotIndex[slot] != bucket) {
            slotIndex[slot] = bucket;
            slotCalls[slot] = 0;
            slotRetries[slot] = 0;
        }
        return slot;
    }

    private long sum(long[] counts, long fromBucket, long toBucket) {
        long total = 0;
        for (int slot = 0; slot < slotIndex.length; slot++) {
            long index = slotIndex[slot];
            if (index >= fromBucket && index <= toBucket) {
                total += counts[slot];
            }
        }
        return total;
    }

    private static long saturatedMultiply(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        if ((high == 0 && low >= 0) || (high == -1 && low < 0)) {
            return low;
        }
        return Long.MAX_VALUE;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    @Override
    public String toString() {
        return "RetryBudget[ratio=" + ratio + ", window=" + window + ", minRetriesPerSecond=" + minRetriesPerSecond
            + "]";
    }

    /**
     * The counts of a {@link RetryBudget} at one moment. Immutable.
     *
     * @since 0.1
     */
    public static final class Snapshot {

        private final long callsInWindow;
        private final long retriesInWindow;
        private final long availableRetries;
        private final long totalCalls;
        private final long totalRetries;
        private final long totalRejected;

        Snapshot(long callsInWindow, long retriesInWindow, long availableRetries, long totalCalls, long totalRetries,
                 long totalRejected) {
            this.callsInWindow = callsInWindow;
            this.retriesInWindow = retriesInWindow;
            this.availableRetries = availableRetries;
            this.totalCalls = totalCalls;
            this.totalRetries = totalRetries;
            this.totalRejected = totalRejected;
        }

        /**
         * Calls counted in the current window.
         *
         * @since 0.1
         */
        public long callsInWindow() {
            return callsInWindow;
        }

        /**
         * Retries granted and still counted in the current window.
         *
         * @since 0.1
         */
        public long retriesInWindow() {
            return retriesInWindow;
        }

        /**
         * Retries that would be granted now, one after another, if no call came in meanwhile.
         *
         * @since 0.1
         */
        public long availableRetries() {
            return availableRetries;
        }

        /**
         * Calls recorded since the budget was created.
         *
         * @since 0.1
         */
        public long totalCalls() {
            return totalCalls;
        }

        /**
         * Retries granted since the budget was created.
         *
         * @since 0.1
         */
        public long totalRetries() {
            return totalRetries;
        }

        /**
         * Retries refused since the budget was created.
         *
         * @since 0.1
         */
        public long totalRejected() {
            return totalRejected;
        }

        @Override
        public String toString() {
            return "calls=" + callsInWindow + ", retries=" + retriesInWindow + " in window, available="
                + availableRetries + ", rejected=" + totalRejected + " in total";
        }
    }

    /**
     * Builds a {@link RetryBudget}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private double ratio = DEFAULT_RATIO;
        private Duration window = Duration.ofSeconds(DEFAULT_WINDOW_SECONDS);
        private int minRetriesPerSecond = DEFAULT_MIN_RETRIES_PER_SECOND;
        private Ticker ticker = Ticker.system();

        private Builder() {
        }

        /**
         * Fraction of calls that may be retried; default {@value RetryBudget#DEFAULT_RATIO}.
         *
         * @throws IllegalArgumentException unless {@code 0 <= ratio <= 1}
         * @since 0.1
         */
        public Builder ratio(double ratio) {
            this.ratio = Checks.inRange(ratio, 0.0, 1.0, "ratio");
            return this;
        }

        /**
         * Length of the sliding window; default {@value RetryBudget#DEFAULT_WINDOW_SECONDS} seconds.
         *
         * @throws IllegalArgumentException unless a whole number of milliseconds between 10 ms and 1 hour
         * @since 0.1
         */
        public Builder window(Duration window) {
            Objects.requireNonNull(window, "window");
            if (window.compareTo(Duration.ofMillis(10)) < 0 || window.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("window must be between PT0.01S and PT1H, but was " + window);
            }
            if (window.toNanos() % 1_000_000 != 0) {
                throw new IllegalArgumentException("window must be a whole number of milliseconds, but was " + window);
            }
            this.window = window;
            return this;
        }

        /**
         * Retries per second allowed whatever the traffic; default
         * {@value RetryBudget#DEFAULT_MIN_RETRIES_PER_SECOND}. Zero means retries only ever come from calls.
         *
         * @throws IllegalArgumentException unless {@code 0 <= minRetriesPerSecond <= 100000}
         * @since 0.1
         */
        public Builder minRetriesPerSecond(int minRetriesPerSecond) {
            this.minRetriesPerSecond = Checks.inRange(minRetriesPerSecond, 0, 100_000, "minRetriesPerSecond");
            return this;
        }

        /**
         * The monotonic time source; default {@link Ticker#system()}. Tests pass a {@code ManualTicker}.
         *
         * @since 0.1
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /**
         * A new, empty budget.
         *
         * @since 0.1
         */
        public RetryBudget build() {
            return new RetryBudget(this);
        }
    }
}
