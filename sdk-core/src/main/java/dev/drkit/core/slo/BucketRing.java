package dev.drkit.core.slo;

import java.util.Arrays;

/**
 * Good and total event counts in fixed time buckets, in a ring that reuses the oldest bucket: memory is fixed
 * by the number of buckets, whatever the traffic. Not thread-safe: {@link SloTracker} guards it.
 *
 * <p>Bucket {@code k} holds the events recorded in {@code (k × resolution, (k + 1) × resolution]}: an event
 * recorded at time {@code t} stands for the traffic up to {@code t}, so one recorded exactly on a boundary
 * belongs to the bucket that ends there, and windows {@code (now - w, now]} line up with buckets.
 */
final class BucketRing {

    private final long resolutionMillis;
    private final long[] index;
    private final long[] good;
    private final long[] total;

    BucketRing(long resolutionMillis, int buckets) {
        this.resolutionMillis = resolutionMillis;
        this.index = new long[buckets];
        this.good = new long[buckets];
        this.total = new long[buckets];
        Arrays.fill(index, Long.MIN_VALUE);
    }

    /** The longest window {@link #sum} can cover. */
    long spanMillis() {
        return resolutionMillis * (index.length - 1);
    }

    long resolutionMillis() {
        return resolutionMillis;
    }

    private long bucketOf(long millis) {
        return Math.floorDiv(millis - 1, resolutionMillis);
    }

    void add(long nowMillis, long goodEvents, long totalEvents) {
        long bucket = bucketOf(nowMillis);
        int slot = (int) Math.floorMod(bucket, (long) index.length);
        if (index[slot] != bucket) {
            index[slot] = bucket;
            good[slot] = 0;
            total[slot] = 0;
        }
        good[slot] += goodEvents;
        total[slot] += totalEvents;
    }

    /**
     * Good and total events in {@code (now - window, now]}: every bucket from the one holding {@code now} back
     * to the one after the window's start, plus the share of the bucket holding the start that lies inside
     * the window (as if its events were spread evenly over it). Needs {@code resolution <= window <= span}.
     */
    void sum(long nowMillis, long windowMillis, double[] goodAndTotal) {
        long last = bucketOf(nowMillis);
        long start = nowMillis - windowMillis;
        // The bucket holding the first instant after the (excluded) start of the window.
        long first = bucketOf(start + 1);
        double share = ((first + 1) * resolutionMillis - start) / (double) resolutionMillis;
        long fullGood = 0;
        long fullTotal = 0;
        for (long bucket = first + 1; bucket <= last; bucket++) {
            int slot = (int) Math.floorMod(bucket, (long) index.length);
            if (index[slot] == bucket) {
                fullGood += good[slot];
                fullTotal += total[slot];
            }
        }
        int firstSlot = (int) Math.floorMod(first, (long) index.length);
        double partGood = 0;
        double partTotal = 0;
        if (index[firstSlot] == first) {
            partGood = share * good[firstSlot];
            partTotal = share * total[firstSlot];
        }
        goodAndTotal[0] = fullGood + partGood;
        goodAndTotal[1] = fullTotal + partTotal;
    }
}
