package dev.drkit.failover.internal;

import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverStats;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The numbers behind {@link FailoverStats}; thread-safe. */
public final class FailoverCounters {

    private final AtomicLong losses = new AtomicLong();
    private final AtomicLong failovers = new AtomicLong();
    private final AtomicLong fencings = new AtomicLong();
    private final AtomicLong lastDetectNanos = new AtomicLong(-1);
    private final AtomicLong lastRecoverNanos = new AtomicLong(-1);
    private final LongAdder delayed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder listenerFailures = new LongAdder();
    private final AtomicLong possibleDataLosses = new AtomicLong();
    private final AtomicLong lastUnreplicatedBytes = new AtomicLong();
    /** Per configured host, in the configured order; fixed at creation, so reads need no lock. */
    private final Map<Endpoint, LongAdder> evictedOnBorrow = new LinkedHashMap<>();
    private final Map<Endpoint, AtomicLong> handedOutForWrites = new LinkedHashMap<>();

    public FailoverCounters(List<Endpoint> endpoints) {
        for (Endpoint endpoint : endpoints) {
            evictedOnBorrow.put(endpoint, new LongAdder());
            handedOutForWrites.put(endpoint, new AtomicLong());
        }
    }

    /**
     * The count of connections to {@code endpoint} handed out as the primary's, for the data source to bump with
     * {@link #handedOut} without a lookup on each borrow. Read with {@link AtomicLong#getOpaque()}.
     */
    public AtomicLong handedOutForWrites(Endpoint endpoint) {
        AtomicLong count = handedOutForWrites.get(endpoint);
        if (count == null) {
            throw new IllegalArgumentException("not a configured host: " + endpoint.id());
        }
        return count;
    }

    /**
     * One more connection handed out, right after the borrow and before the caller gets it. Not atomic: an atomic
     * add costs a locked instruction on every borrow, and only "did it change since the mark" is ever asked. That
     * stays true: an increment is in flight only while its connection is in use, and a mark taken while any
     * connection is in use is -1 (see {@code TopologyMonitor.Actions.useMark}), so a lost or late update can never
     * bring the count back to a mark taken while none was in flight.
     */
    public static void handedOut(AtomicLong count) {
        count.setOpaque(count.getOpaque() + 1);
    }

    void primaryLost(Duration detect) {
        losses.incrementAndGet();
        lastDetectNanos.set(detect.toNanos());
    }

    void primaryElected(Duration recover, boolean failover) {
        lastRecoverNanos.set(recover.toNanos());
        if (failover) {
            failovers.incrementAndGet();
        }
    }

    /** A failover happened; {@code unreplicatedBytes} of the old primary's WAL were not on the new one. */
    void unreplicated(long unreplicatedBytes, boolean acknowledgedMayBeLost) {
        lastUnreplicatedBytes.set(unreplicatedBytes);
        if (acknowledgedMayBeLost) {
            possibleDataLosses.incrementAndGet();
        }
    }

    void fenced() {
        fencings.incrementAndGet();
    }

    public void delayed() {
        delayed.increment();
    }

    public void failed() {
        failed.increment();
    }

    /** A connection to {@code endpoint} was found closed by its server when borrowed, and evicted. */
    public void evictedOnBorrow(Endpoint endpoint) {
        LongAdder adder = evictedOnBorrow.get(endpoint);
        if (adder != null) {
            adder.increment();
        }
    }

    public void listenerFailed() {
        listenerFailures.increment();
    }

    public FailoverStats snapshot() {
        long detect = lastDetectNanos.get();
        long recover = lastRecoverNanos.get();
        Map<Endpoint, Long> evicted = new LinkedHashMap<>();
        evictedOnBorrow.forEach((endpoint, adder) -> evicted.put(endpoint, adder.sum()));
        return new FailoverStats(losses.get(), failovers.get(), fencings.get(),
            detect < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(detect)),
            recover < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(recover)),
            delayed.sum(), failed.sum(), listenerFailures.sum(), possibleDataLosses.get(), lastUnreplicatedBytes.get(),
            evicted);
    }
}
