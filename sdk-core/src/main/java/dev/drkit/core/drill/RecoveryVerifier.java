package dev.drkit.core.drill;

import dev.drkit.core.time.Sleeper;
import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.Durations;
import dev.drkit.core.internal.Names;
import dev.drkit.core.internal.Text;
import dev.drkit.core.time.Ticker;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * Measures the recovery time (RTO) of a drill with a user-level {@link RecoveryProbe}: probes every
 * {@code probeInterval} from the moment it is started, and declares recovery only after
 * {@code consecutivePasses} probes in a row pass, so a service that answers once and falls over again does
 * not count as recovered.
 *
 * <p><b>What the RTO is.</b> The RTO is the time from the timeline's {@link Milestone#DISRUPTION} mark to the
 * start of the <em>first</em> of those consecutive passing probes (marked as {@link Milestone#FIRST_SUCCESS};
 * the last one is marked {@link Milestone#VERIFIED_RECOVERY}). The later passes only confirm that the
 * recovery held; they do not add to the time users were without service. The service came back somewhere
 * between the start of the last failed probe and that first passing probe, so the RTO is known to within
 * that gap: the probe interval, normally, or the time since the disruption when no probe failed. That is the
 * uncertainty reported. A probe that takes long widens it, because skipped probe slots are not made up.
 *
 * <p>Probes run at a fixed rate on the timeline's {@link Ticker}; waiting goes through a {@link Sleeper}, so
 * tests drive a verifier with a {@link dev.drkit.core.time.ManualTicker} and never sleep.
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

    private static final Logger log = LoggerFactory.getLogger(RecoveryVerifier.class);

    private final String name;
    private final Duration probeInterval;
    private final int consecutivePasses;
    private final Duration timeout;
    private final Sleeper sleeper;

    private RecoveryVerifier(Builder b) {
        this.name = b.name;
        this.probeInterval = b.probeInterval;
        this.consecutivePasses = b.consecutivePasses;
        this.timeout = b.timeout;
        this.sleeper = b.sleeper;
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
     * Probes on the calling thread until recovery is proved, the timeout passes or the thread is interrupted.
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
        long interval = probeInterval.toNanos();
        long deadline = disruption + timeout.toNanos();
        long next = ticker.nanos();
        long lastFailedStart = disruption;
        long streakStart = 0;
        int streak = 0;
        int probes = 0;
        int failed = 0;
        String lastFailure = null;
        while (true) {
            if (stopped.getAsBoolean()) {
                return end(RecoveryResult.Outcome.CANCELLED, null, probes, failed, lastFailure, ticker, disruption);
            }
            long probeStart = ticker.nanos();
            String failure;
            try {
                failure = probe.check() ? null : "probe returned false";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return end(RecoveryResult.Outcome.CANCELLED, null, probes, failed, lastFailure, ticker, disruption);
            } catch (Exception e) {
                failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            probes++;
            if (failure == null) {
                if (streak == 0) {
                    streakStart = probeStart;
                }
                streak++;
                log.debug("Recovery verifier '{}': probe {} passed ({} of {} in a row)", name, probes, streak, consecutivePasses);
                if (streak >= consecutivePasses) {
                    MeasuredDuration rto = MeasuredDuration.of(Duration.ofNanos(streakStart - disruption),
                        Duration.ofNanos(streakStart - lastFailedStart));
                    markIfAbsent(timeline, Milestone.FIRST_SUCCESS, streakStart);
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

            next += interval;
            long now = ticker.nanos();
            if (now - next > 0) {
                // The probe overran its slot: skip the slots already gone rather than probing in a burst.
                next += ((now - next) / interval + 1) * interval;
            }
            if (next - deadline > 0) {
                log.info("Recovery verifier '{}': no recovery within {} of the disruption ({} probes, {} failed, last: {})",
                    name, Durations.seconds(timeout), probes, failed, lastFailure);
                return end(RecoveryResult.Outcome.TIMED_OUT, null, probes, failed, lastFailure, ticker, disruption);
            }
            try {
                sleeper.sleep(Duration.ofNanos(next - now));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return end(RecoveryResult.Outcome.CANCELLED, null, probes, failed, lastFailure, ticker, disruption);
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
            + " in a row, timeout " + Durations.seconds(timeout) + "]";
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
        private Sleeper sleeper = Sleeper.system();

        private Builder() {
        }

        private Builder(RecoveryVerifier base) {
            this.name = base.name;
            this.probeInterval = base.probeInterval;
            this.consecutivePasses = base.consecutivePasses;
            this.timeout = base.timeout;
            this.sleeper = base.sleeper;
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
