package dev.drkit.core.drill;

import dev.drkit.core.time.Sleeper;
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
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Measures the recovery time (RTO) of a drill with a user-level {@link RecoveryProbe}: probes every
 * {@code probeInterval} from the moment it is started, and declares recovery only after
 * {@code consecutivePasses} probes in a row pass, so a service that answers once and falls over again does
 * not count as recovered.
 *
 * <p><b>What the RTO is.</b> The RTO is the time from the timeline's {@link Milestone#DISRUPTION} mark to the
 * moment the <em>first</em> of those consecutive passing probes <em>finished</em> (marked as
 * {@link Milestone#FIRST_SUCCESS}; the last one is marked {@link Milestone#VERIFIED_RECOVERY}): a probe that
 * blocks until the service answers only proves recovery when it returns. The later passes only confirm that
 * the recovery held; they do not add to the time users were without service. The service came back somewhere
 * between the start of the last failed probe and the end of that first passing probe, so the RTO is known to
 * within that gap, which is the uncertainty reported: about one probe interval, normally. When no probe
 * failed, the service may have been back at any time since the disruption, so the uncertainty is the whole
 * RTO. Slow probes widen it, because skipped probe slots are not made up.
 *
 * <p><b>Slow and hung probes.</b> Each probe runs on a daemon worker thread ({@code drkit-recovery-probe-<name>})
 * and is given up on after the {@linkplain Builder#probeTimeout(Duration) probe timeout}: its thread is
 * interrupted and it counts as failed. While it has not ended, no new probe starts; those slots count as failed
 * too. So a probe that hangs never hangs {@code verify}, which returns at most about one probe interval after
 * the overall timeout. A probe that ignores interrupts keeps its worker thread until it returns.
 *
 * <p><b>Failures</b> are described by the exception's type (and SQL state), never its message, which may hold
 * a connection string or data.
 *
 * <p>Probes run at a fixed rate on the timeline's {@link Ticker}; waiting between them goes through a
 * {@link Sleeper}, so tests drive a verifier with a {@link dev.drkit.core.time.ManualTicker} and never sleep.
 * The probe timeout is waited for in real time.
 *
 * <pre>{@code
 * RecoveryVerifier verifier = RecoveryVerifier.builder()
 *     .name("orders-db")
 *     .probeInterval(Duration.ofMillis(250))
 *     .consecutivePasses(3)
 *     .timeout(Duration.ofMinutes(5))
 *     .build();
 * cluster.stopPrimary();
 * timeline.mark(Milestone.DISRUPTION);
 * CompletableFuture<RecoveryResult> watching = verifier.start(timeline, canWrite);  // own thread
 * cluster.promoteReplica();
 * timeline.mark(Milestone.ACTION);
 * RecoveryResult result = watching.join();    // result.rto(): 2.500 s ± 0.250 s
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe; each {@code verify} or {@code start} is a separate measurement.
 *
 * @since 0.1
 */
public final class RecoveryVerifier {

    /**
     * Default probe interval: one second.
     *
     * @since 0.1
     */
    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(1);

    /**
     * Default number of consecutive passing probes that prove recovery: {@value}.
     *
     * @since 0.1
     */
    public static final int DEFAULT_CONSECUTIVE_PASSES = 3;

    /**
     * Default time after the disruption to give up: fifteen minutes.
     *
     * @since 0.1
     */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(15);

    /**
     * Default time one probe may take before it is given up on and counts as failed: five seconds.
     *
     * @since 0.1
     */
    public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(RecoveryVerifier.class);

    private final String name;
    private final Duration probeInterval;
    private final int consecutivePasses;
    private final Duration timeout;
    private final Duration probeTimeout;
    private final Sleeper sleeper;
    private final @Nullable ThreadFactory probeThreads;

    private RecoveryVerifier(Builder b) {
        this.name = b.name;
        this.probeInterval = b.probeInterval;
        this.consecutivePasses = b.consecutivePasses;
        this.timeout = b.timeout;
        this.probeTimeout = b.probeTimeout;
        this.sleeper = b.sleeper;
        this.probeThreads = b.probeThreads;
    }

    /**
     * A builder with the defaults.
     *
     * @since 0.1
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A verifier with every default.
     *
     * @since 0.1
     */
    public static RecoveryVerifier ofDefaults() {
        return builder().build();
    }

    /**
     * A builder holding this verifier's settings.
     *
     * @since 0.1
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * The name in log lines.
     *
     * @since 0.1
     */
    public String name() {
        return name;
    }

    /**
     * The time from the start of one probe to the start of the next.
     *
     * @since 0.1
     */
    public Duration probeInterval() {
        return probeInterval;
    }

    /**
     * How many probes in a row must pass.
     *
     * @since 0.1
     */
    public int consecutivePasses() {
        return consecutivePasses;
    }

    /**
     * How long after the disruption to keep probing.
     *
     * @since 0.1
     */
    public Duration timeout() {
        return timeout;
    }

    /**
     * How long one probe may take before it is given up on (its thread interrupted) and counts as failed.
     *
     * @since 0.1
     */
    public Duration probeTimeout() {
        return probeTimeout;
    }

    /**
     * Probes from the calling thread (each probe runs on a worker thread) until recovery is proved, the timeout passes or the thread is interrupted.
     *
     * @param timeline a timeline whose {@link Milestone#DISRUPTION} is marked; gets the
     *                 {@link Milestone#FIRST_SUCCESS} and {@link Milestone#VERIFIED_RECOVERY} marks unless it has them
     * @param probe    the user-level check
     * @return the measurement; never throws for a failing probe or a timeout
     * @throws IllegalStateException if the disruption is not marked
     * @since 0.1
     */
    public RecoveryResult verify(RecoveryTimeline timeline, RecoveryProbe probe) {
        Objects.requireNonNull(timeline, "timeline");
        Objects.requireNonNull(probe, "probe");
        long disruption = disruption(timeline);
        return run(timeline, probe, disruption, () -> Thread.currentThread().isInterrupted());
    }

    /**
     * Probes on a new daemon thread, as {@link #verify} does. Cancelling the future stops the probing.
     *
     * @throws IllegalStateException if the disruption is not marked
     * @since 0.1
     */
    public CompletableFuture<RecoveryResult> start(RecoveryTimeline timeline, RecoveryProbe probe) {
        Objects.requireNonNull(timeline, "timeline");
        Objects.requireNonNull(probe, "probe");
        long disruption = disruption(timeline);
        CompletableFuture<RecoveryResult> future = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                future.complete(run(timeline, probe, disruption, future::isDone));
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        }, "drkit-recovery-verifier-" + name);
        thread.setDaemon(true);
        // Cancelling a CompletableFuture does not interrupt anything by itself: wake the thread from its sleep.
        future.whenComplete((result, failure) -> {
            if (future.isCancelled()) {
                thread.interrupt();
            }
        });
        thread.start();
        return future;
    }

    private long disruption(RecoveryTimeline timeline) {
        return timeline.find(Milestone.DISRUPTION)
            .orElseThrow(() -> new IllegalStateException("Recovery verifier '" + name
                + "' measures from the disruption: mark Milestone.DISRUPTION on the timeline first"))
            .tickerNanos();
    }

    private RecoveryResult run(RecoveryTimeline timeline, RecoveryProbe probe, long disruption, BooleanSupplier stopped) {
        Ticker ticker = timeline.ticker();
        long deadline = disruption + timeout.toNanos();
        FixedRateLoop loop = new FixedRateLoop(ticker, probeInterval, sleeper);
        ProbeRunner runner = new ProbeRunner(probe);
        long lastFailedStart = disruption;
        long streakEnd = 0;
        int streak = 0;
        int probes = 0;
        int failed = 0;
        String lastFailure = null;
        try {
            while (true) {
                if (stopped.getAsBoolean()) {
                    return end(RecoveryResult.Outcome.CANCELLED, null, probes, failed, lastFailure, ticker, disruption);
                }
                long probeStart = ticker.nanos();
                // A hung probe is abandoned at its limit, and never holds verify() much past the overall timeout.
                long limit = Math.min(probeTimeout.toNanos(), Math.max(deadline - probeStart, 0) + probeInterval.toNanos());
                String failure = runner.run(limit);
                long probeEnd = ticker.nanos();
                probes++;
                if (failure == null) {
                    if (streak == 0) {
                        streakEnd = probeEnd;
                    }
                    streak++;
                    log.debug("Recovery verifier '{}': probe {} passed ({} of {} in a row)", name, probes, streak, consecutivePasses);
                    if (streak >= consecutivePasses) {
                        MeasuredDuration rto = MeasuredDuration.of(Duration.ofNanos(streakEnd - disruption),
                            Duration.ofNanos(streakEnd - lastFailedStart));
                        markIfAbsent(timeline, Milestone.FIRST_SUCCESS, streakEnd);
                        markIfAbsent(timeline, Milestone.VERIFIED_RECOVERY, ticker.nanos());
                        log.info("Recovery verifier '{}': recovered, RTO {} ({} probes in a row passed; {} of {} failed)",
                            name, rto, streak, failed, probes);
                        return end(RecoveryResult.Outcome.RECOVERED, rto, probes, failed, lastFailure, ticker, disruption);
                    }
                } else {
                    streak = 0;
                    failed++;
                    lastFailedStart = probeStart;
                    lastFailure = Text.oneLine(failure, 200);
                    log.debug("Recovery verifier '{}': probe {} failed: {}", name, probes, lastFailure);
                }

                if (loop.advance() - deadline > 0) {
                    log.info("Recovery verifier '{}': no recovery within {} of the disruption ({} probes, {} failed, last: {})",
                        name, Durations.seconds(timeout), probes, failed, lastFailure);
                    return end(RecoveryResult.Outcome.TIMED_OUT, null, probes, failed, lastFailure, ticker, disruption);
                }
                loop.sleepUntilNextSlot();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return end(RecoveryResult.Outcome.CANCELLED, null, probes, failed, lastFailure, ticker, disruption);
        } finally {
            runner.close();
        }
    }

    /**
     * Runs probes one at a time on a daemon worker thread, so that one that hangs can be given up on. Never
     * starts a probe while the previous one is still running (it ignored the interrupt): that slot fails.
     */
    private final class ProbeRunner {
        private final RecoveryProbe probe;
        private final AtomicBoolean running = new AtomicBoolean();
        private @Nullable ExecutorService worker;

        ProbeRunner(RecoveryProbe probe) {
            this.probe = probe;
        }

        /**
         * Runs the probe, waiting at most {@code limitNanos}.
         *
         * @return null if it passed, or why it failed
         * @throws InterruptedException if the calling thread is interrupted while waiting
         */
        @Nullable String run(long limitNanos) throws InterruptedException {
            if (running.get()) {
                return "probe still running from an earlier slot";
            }
            if (worker == null) {
                ThreadFactory threads = probeThreads;
                worker = Executors.newSingleThreadExecutor(threads != null ? threads : task -> {
                    Thread thread = new Thread(task, "drkit-recovery-probe-" + name);
                    thread.setDaemon(true);
                    return thread;
                });
            }
            running.set(true);
            // Whoever sets it first owns the probe's end: the task, which then runs the probe and clears `running`
            // when it returns, or a caller giving up before the worker took the task, which then never runs it.
            AtomicBoolean claimed = new AtomicBoolean();
            Future<Boolean> result = worker.submit(() -> {
                if (!claimed.compareAndSet(false, true)) {
                    return false;
                }
                try {
                    return probe.check();
                } finally {
                    running.set(false);
                }
            });
            try {
                return result.get(Math.max(limitNanos, 0), TimeUnit.NANOSECONDS) ? null : "probe returned false";
            } catch (TimeoutException e) {
                giveUp(result, claimed);
                return "probe timed out after " + Durations.seconds(Duration.ofNanos(Math.max(limitNanos, 0)));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                return Failures.describe(cause);
            } catch (InterruptedException e) {
                giveUp(result, claimed);
                throw e;
            }
        }

        /**
         * Interrupts a probe that runs; one the worker has not started yet (the wait ended first: a short probe
         * timeout, a slow thread start, a pause) never will, so it is not running: without this the flag stayed set
         * and every later slot failed as "still running", with no probe run, until the drill timed out.
         */
        private void giveUp(Future<Boolean> result, AtomicBoolean claimed) {
            result.cancel(true);
            if (claimed.compareAndSet(false, true)) {
                running.set(false);
            }
        }

        void close() {
            if (worker != null) {
                worker.shutdownNow();
            }
        }
    }

    private static RecoveryResult end(RecoveryResult.Outcome outcome, @Nullable MeasuredDuration rto, int probes,
                                      int failed, @Nullable String lastFailure, Ticker ticker, long disruption) {
        return new RecoveryResult(outcome, rto, probes, failed, lastFailure, Duration.ofNanos(ticker.nanos() - disruption));
    }

    private static void markIfAbsent(RecoveryTimeline timeline, Milestone milestone, long tickerNanos) {
        if (timeline.find(milestone).isEmpty()) {
            try {
                timeline.markAt(milestone, tickerNanos);
            } catch (IllegalStateException markedMeanwhile) {
                // the drill marked it itself a moment ago: its mark stands
            }
        }
    }

    @Override
    public String toString() {
        return "RecoveryVerifier[" + name + ", every " + Durations.seconds(probeInterval) + ", " + consecutivePasses
            + " in a row, timeout " + Durations.seconds(timeout) + ", probe timeout " + Durations.seconds(probeTimeout) + "]";
    }

    /**
     * Builds a {@link RecoveryVerifier}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private String name = "drill";
        private Duration probeInterval = DEFAULT_PROBE_INTERVAL;
        private int consecutivePasses = DEFAULT_CONSECUTIVE_PASSES;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration probeTimeout = DEFAULT_PROBE_TIMEOUT;
        private Sleeper sleeper = Sleeper.system();
        private @Nullable ThreadFactory probeThreads;

        private Builder() {
        }

        private Builder(RecoveryVerifier base) {
            this.name = base.name;
            this.probeInterval = base.probeInterval;
            this.consecutivePasses = base.consecutivePasses;
            this.timeout = base.timeout;
            this.probeTimeout = base.probeTimeout;
            this.sleeper = base.sleeper;
            this.probeThreads = base.probeThreads;
        }

        /** For tests: makes the probe's worker thread (a thread slow to start, say); null for the default. */
        Builder probeThreads(@Nullable ThreadFactory threads) {
            this.probeThreads = threads;
            return this;
        }

        /**
         * The name in log lines and the thread's name; default {@code drill}.
         *
         * @throws IllegalArgumentException unless 1 to 100 printable characters
         * @since 0.1
         */
        public Builder name(String name) {
            this.name = Names.printable(name, 100, "name");
            return this;
        }

        /**
         * The time from the start of one probe to the start of the next; default one second. It is the
         * resolution of the RTO.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder probeInterval(Duration probeInterval) {
            this.probeInterval = Checks.positive(probeInterval, "probeInterval");
            return this;
        }

        /**
         * How many probes in a row must pass; default {@value RecoveryVerifier#DEFAULT_CONSECUTIVE_PASSES}.
         *
         * @throws IllegalArgumentException unless {@code 1 <= passes <= 1000}
         * @since 0.1
         */
        public Builder consecutivePasses(int passes) {
            this.consecutivePasses = Checks.inRange(passes, 1, 1000, "consecutivePasses");
            return this;
        }

        /**
         * How long after the disruption to keep probing; default fifteen minutes.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Checks.positive(timeout, "timeout");
            return this;
        }

        /**
         * How long one probe may take; default five seconds. A probe still running then is interrupted and
         * counts as failed ({@code "probe timed out after 5.000 s"}); the next slot starts no new probe while it
         * has not ended. Near the overall timeout a probe gets less: never more than one probe interval past it.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder probeTimeout(Duration probeTimeout) {
            this.probeTimeout = Checks.positive(probeTimeout, "probeTimeout");
            return this;
        }

        /**
         * How to wait between probes; default {@link Sleeper#system()}.
         *
         * @since 0.1
         */
        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /**
         * The verifier.
         *
         * @throws IllegalStateException if the timeout is shorter than the probe interval
         * @since 0.1
         */
        public RecoveryVerifier build() {
            Checks.state(timeout.compareTo(probeInterval) >= 0,
                "timeout (%s) must not be shorter than probeInterval (%s)", timeout, probeInterval);
            return new RecoveryVerifier(this);
        }
    }
}
