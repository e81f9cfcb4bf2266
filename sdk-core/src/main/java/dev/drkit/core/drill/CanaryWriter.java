package dev.drkit.core.drill;

import dev.drkit.core.time.Sleeper;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.Durations;
import dev.drkit.core.internal.Failures;
import dev.drkit.core.internal.Names;
import dev.drkit.core.internal.Text;
import dev.drkit.core.time.Ticker;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Measures data loss (RPO, and lost records exactly) in a drill: writes numbered, timestamped records through
 * a {@link CanaryStore} at a fixed interval before and through the disruption, remembers which the store
 * acknowledged, and after recovery compares that with what the store still holds.
 *
 * <pre>{@code
 * try (CanaryWriter canary = CanaryWriter.builder(table, timeline).interval(Duration.ofMillis(100)).build()) {
 *     canary.start();                      // writes every 100 ms on its own thread
 *     ...                                  // let it write for a while
 *     cluster.stopPrimary();
 *     timeline.mark(Milestone.DISRUPTION);
 *     cluster.promoteReplica();            // writes fail meanwhile, then succeed again
 *     canary.stop();
 *     CanaryResult loss = canary.assess(); // reads the promoted replica: 2 lost, RPO 0.250 s ± 0.100 s
 * }
 * }</pre>
 *
 * <p>The RPO is the disruption's mark (or the acknowledgement of the last lost record, if that came later) minus
 * the time the recovery point was written: the last record acknowledged before the disruption such that it and
 * every acknowledged record before it survived (see {@link CanaryResult}). Both are read on the timeline's monotonic {@link Ticker}; the records' {@link Instant}s (from the timeline's clock)
 * are for the store and for reports. Each write attempt takes the next sequence number, acknowledged or not.
 *
 * <p>Thread-safe: the writing thread and the drill's thread may use one writer. {@link #stop()} interrupts
 * the writing thread, which may fail a write in progress; such a write is not acknowledged and so never
 * counts as lost.
 *
 * @since 0.1
 */
public final class CanaryWriter implements AutoCloseable {

    /**
     * Default time from the start of one write to the start of the next: one second.
     *
     * @since 0.1
     */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);

    private static final Logger log = LoggerFactory.getLogger(CanaryWriter.class);

    private final String name;
    private final CanaryStore store;
    private final RecoveryTimeline timeline;
    private final Duration interval;
    private final Sleeper sleeper;

    private final Object writing = new Object();
    private final List<Ack> acks = new ArrayList<>();
    private long nextSequence = 1;
    private long failedWrites;
    private @Nullable String lastFailure;
    private @Nullable Thread thread;
    private volatile boolean stopRequested;

    private CanaryWriter(Builder b) {
        this.name = b.name;
        this.store = b.store;
        this.timeline = b.timeline;
        this.interval = b.interval;
        this.sleeper = b.sleeper;
    }

    /**
     * A builder for a canary writing to {@code store}, measuring on {@code timeline}'s ticker and clock.
     *
     * @since 0.1
     */
    public static Builder builder(CanaryStore store, RecoveryTimeline timeline) {
        return new Builder(Objects.requireNonNull(store, "store"), Objects.requireNonNull(timeline, "timeline"));
    }

    /**
     * The time from the start of one write to the start of the next; the resolution of the RPO.
     *
     * @since 0.1
     */
    public Duration interval() {
        return interval;
    }

    /**
     * Writes the next record now, on the calling thread.
     *
     * @return whether the store acknowledged it
     * @since 0.1
     */
    public boolean writeOnce() {
        synchronized (writing) {
            Ticker ticker = timeline.ticker();
            long sequence;
            synchronized (this) {
                sequence = nextSequence++;
            }
            long startNanos = ticker.nanos();
            Instant writtenAt = timeline.clock().instant();
            String failure;
            try {
                store.write(sequence, writtenAt);
                failure = null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = "interrupted";
            } catch (Exception e) {
                failure = Failures.describe(e);
            }
            long endNanos = ticker.nanos();
            synchronized (this) {
                if (failure == null) {
                    acks.add(new Ack(sequence, startNanos, writtenAt, endNanos));
                } else {
                    failedWrites++;
                    lastFailure = Text.oneLine(failure, 200);
                }
            }
            if (failure == null) {
                log.debug("Canary '{}': write {} acknowledged", name, sequence);
            } else {
                log.debug("Canary '{}': write {} failed: {}", name, sequence, lastFailure);
            }
            return failure == null;
        }
    }

    /**
     * Starts writing every {@link #interval()} on a new daemon thread.
     *
     * @throws IllegalStateException if it was started already
     * @since 0.1
     */
    public synchronized void start() {
        Checks.state(thread == null, "Canary '%s' was started already", name);
        Thread t = new Thread(() -> runUntil(() -> stopRequested), "drkit-canary-" + name);
        t.setDaemon(true);
        thread = t;
        t.start();
        log.info("Canary '{}': writing every {}", name, Durations.seconds(interval));
    }

    /**
     * Stops the writing thread and waits for it to end. Idempotent; does nothing if it was never started.
     *
     * @since 0.1
     */
    public void stop() {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t == null) {
            return;
        }
        stopRequested = true;
        t.interrupt();
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    /**
     * Writes every interval on the calling thread until {@code done} is true or the thread is interrupted.
     * Slots missed because a write took longer than the interval are skipped, not made up in a burst.
     */
    void runUntil(BooleanSupplier done) {
        FixedRateLoop loop = new FixedRateLoop(timeline.ticker(), interval, sleeper);
        while (!done.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
            writeOnce();
            loop.advance();
            if (done.getAsBoolean()) {
                return;
            }
            try {
                loop.sleepUntilNextSlot();
            } catch (InterruptedException e) {
                return;   // stop() interrupts; the flag is not needed after this
            }
        }
    }

    /**
     * How many writes the store has acknowledged so far.
     *
     * @since 0.1
     */
    public synchronized long acknowledged() {
        return acks.size();
    }

    /**
     * How many writes failed so far.
     *
     * @since 0.1
     */
    public synchronized long failedWrites() {
        return failedWrites;
    }

    /**
     * The last write failure: the exception's type and, for SQL exceptions, its SQL state, as
     * {@code "org.postgresql.util.PSQLException (SQLState 08006)"}; never its message, which may hold a
     * connection string or data.
     *
     * @since 0.1
     */
    public synchronized Optional<String> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /**
     * Reads every record back from the store ({@link CanaryStore#readAll()}) and compares them with the
     * acknowledged writes.
     *
     * @throws IllegalStateException if the writing thread still runs, or the timeline has no disruption mark
     * @throws EnvironmentException  if the store cannot be read
     * @since 0.1
     */
    public CanaryResult assess() {
        checkNotRunning();
        Collection<CanaryRecord> survivors;
        try {
            survivors = store.readAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnvironmentException("Canary '" + name + "' was interrupted reading its records back", e);
        } catch (Exception e) {
            throw new EnvironmentException("Canary '" + name + "' cannot read its records back after recovery: "
                + Failures.describe(e), Map.of("canary", name), e);
        }
        return assess(Objects.requireNonNull(survivors, "readAll() returned null"));
    }

    /**
     * Compares records read back by the caller with the acknowledged writes.
     *
     * @param survivors every record the store holds after recovery, in any order
     * @throws IllegalStateException if the writing thread still runs, or the timeline has no disruption mark
     * @since 0.1
     */
    public CanaryResult assess(Collection<CanaryRecord> survivors) {
        Objects.requireNonNull(survivors, "survivors");
        checkNotRunning();
        long disruption = timeline.find(Milestone.DISRUPTION)
            .orElseThrow(() -> new IllegalStateException("Canary '" + name
                + "' measures data loss at the disruption: mark Milestone.DISRUPTION on the timeline first"))
            .tickerNanos();
        Set<Long> surviving = new HashSet<>();
        for (CanaryRecord record : survivors) {
            surviving.add(record.sequence());
        }
        List<Ack> acked;
        long written;
        synchronized (this) {
            acked = List.copyOf(acks);
            written = nextSequence - 1;
        }

        List<Long> lost = new ArrayList<>();
        Set<Long> ackedSequences = new HashSet<>();
        long beforeDisruption = 0;
        Ack recoveryPoint = null;
        long lossEnds = disruption;
        for (Ack ack : acked) {   // ascending by sequence
            ackedSequences.add(ack.sequence);
            boolean survived = surviving.contains(ack.sequence);
            if (!survived) {
                lost.add(ack.sequence);
                if (ack.ackNanos - lossEnds > 0) {
                    lossEnds = ack.ackNanos;
                }
            }
            if (ack.ackNanos - disruption <= 0) {
                beforeDisruption++;
                // Only what came before the first lost write is known to be safe: a later survivor does not
                // bring back what was lost before it.
                if (survived && lost.isEmpty()) {
                    recoveryPoint = ack;
                }
            }
        }
        long unacknowledgedSurvivors = 0;
        long unexpected = 0;
        for (long sequence : surviving) {
            if (sequence > written) {
                unexpected++;
            } else if (!ackedSequences.contains(sequence)) {
                unacknowledgedSurvivors++;
            }
        }
        // Acknowledged writes lost after the mark (it came before the failure struck, or a cut-off primary kept
        // answering) widen the loss: the RPO runs to the last of them, or a target would pass over them.
        MeasuredDuration rpo = recoveryPoint == null ? null
            : MeasuredDuration.of(Duration.ofNanos(lossEnds - recoveryPoint.startNanos), interval);
        CanaryRecord newest = recoveryPoint == null ? null
            : new CanaryRecord(recoveryPoint.sequence, recoveryPoint.writtenAt);
        CanaryResult result = new CanaryResult(acked.size(), beforeDisruption, lost, failedWrites(),
            unacknowledgedSurvivors, unexpected, newest, rpo);
        log.info("Canary '{}': {} of {} acknowledged writes lost, RPO {}", name, lost.size(), acked.size(),
            rpo == null ? "not measured" : rpo);
        return result;
    }

    private synchronized void checkNotRunning() {
        Checks.state(thread == null || !thread.isAlive(), "Canary '%s' is still writing: stop() it before assessing", name);
    }

    @Override
    public synchronized String toString() {
        return "CanaryWriter[" + name + ", every " + Durations.seconds(interval) + ", acknowledged=" + acks.size()
            + ", failed=" + failedWrites + "]";
    }

    private static final class Ack {
        final long sequence;
        final long startNanos;
        final Instant writtenAt;
        final long ackNanos;

        Ack(long sequence, long startNanos, Instant writtenAt, long ackNanos) {
            this.sequence = sequence;
            this.startNanos = startNanos;
            this.writtenAt = writtenAt;
            this.ackNanos = ackNanos;
        }
    }

    /**
     * Builds a {@link CanaryWriter}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final CanaryStore store;
        private final RecoveryTimeline timeline;
        private String name = "canary";
        private Duration interval = DEFAULT_INTERVAL;
        private Sleeper sleeper = Sleeper.system();

        private Builder(CanaryStore store, RecoveryTimeline timeline) {
            this.store = store;
            this.timeline = timeline;
        }

        /**
         * The name in log lines and the thread's name; default {@code canary}.
         *
         * @throws IllegalArgumentException unless 1 to 100 printable characters
         * @since 0.1
         */
        public Builder name(String name) {
            this.name = Names.printable(name, 100, "name");
            return this;
        }

        /**
         * The time from the start of one write to the start of the next; default one second.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder interval(Duration interval) {
            this.interval = Checks.positive(interval, "interval");
            return this;
        }

        /**
         * How to wait between writes; default {@link Sleeper#system()}.
         *
         * @since 0.1
         */
        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /**
         * The writer; it writes nothing until {@link CanaryWriter#start()} or {@link CanaryWriter#writeOnce()}.
         *
         * @since 0.1
         */
        public CanaryWriter build() {
            return new CanaryWriter(this);
        }
    }
}
