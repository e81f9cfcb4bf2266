package dev.drkit.core.drill;

import dev.drkit.core.internal.Durations;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.Optional;

/**
 * What a {@link RecoveryVerifier} found: whether the service recovered, its measured RTO, and how many probes
 * it took. Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class RecoveryResult {

    /**
     * How the verification ended.
     *
     * @since 0.1
     */
    public enum Outcome {
        /** Enough consecutive probes passed. */
        RECOVERED,
        /** The timeout after the disruption passed first. */
        TIMED_OUT,
        /** The verification was cancelled or its thread interrupted. */
        CANCELLED
    }

    private final Outcome outcome;
    private final @Nullable MeasuredDuration rto;
    private final int probes;
    private final int failedProbes;
    private final @Nullable String lastFailure;
    private final Duration elapsed;

    RecoveryResult(Outcome outcome, @Nullable MeasuredDuration rto, int probes, int failedProbes,
                   @Nullable String lastFailure, Duration elapsed) {
        this.outcome = outcome;
        this.rto = rto;
        this.probes = probes;
        this.failedProbes = failedProbes;
        this.lastFailure = lastFailure;
        this.elapsed = elapsed;
    }

    /**
     * How the verification ended.
     *
     * @since 0.1
     */
    public Outcome outcome() {
        return outcome;
    }

    /**
     * Whether the service was seen to recover.
     *
     * @since 0.1
     */
    public boolean recovered() {
        return outcome == Outcome.RECOVERED;
    }

    /**
     * The recovery time: from the disruption to the end of the first of the consecutive passing probes, known
     * to within the time since the start of the failed probe before it (about the probe interval, normally;
     * the whole RTO when no probe failed). Empty unless
     * {@link #recovered()}.
     *
     * @since 0.1
     */
    public Optional<MeasuredDuration> rto() {
        return Optional.ofNullable(rto);
    }

    /**
     * How many probes ran.
     *
     * @since 0.1
     */
    public int probes() {
        return probes;
    }

    /**
     * How many of them failed (returned {@code false} or threw).
     *
     * @since 0.1
     */
    public int failedProbes() {
        return failedProbes;
    }

    /**
     * The last failure: {@code "probe returned false"}, {@code "probe timed out after 5.000 s"}, or the type of
     * the exception the probe threw, with its SQL state if any ({@code "java.net.ConnectException"},
     * {@code "org.postgresql.util.PSQLException (SQLState 08006)"}); never the exception's message.
     *
     * @since 0.1
     */
    public Optional<String> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /**
     * The time from the disruption to the end of the verification.
     *
     * @since 0.1
     */
    public Duration elapsed() {
        return elapsed;
    }

    @Override
    public String toString() {
        return "RecoveryResult[" + outcome + (rto == null ? "" : ", RTO " + rto) + ", probes=" + probes
            + ", failed=" + failedProbes + ", elapsed " + Durations.seconds(elapsed) + "]";
    }
}
