package dev.drkit.core.drill;

import org.jspecify.annotations.Nullable;

import java.util.List;
import java.util.Optional;

/**
 * What a {@link CanaryWriter} found after recovery: which acknowledged writes were lost, exactly, and the
 * measured RPO. Immutable and thread-safe.
 *
 * <p>The RPO is the time from the disruption back to the <em>recovery point</em>: the last record acknowledged
 * before the disruption that survived <em>and</em> came before the first lost acknowledged record, so that
 * everything acknowledged up to it is known to be safe. With writes 1 to 5 acknowledged, 4 lost and 5
 * surviving, the recovery point is 3, not 5: the store does not hold everything up to 5. The RPO is known to
 * within the canary interval, since the next write came one interval later. When records acknowledged after the
 * disruption were lost too (the mark came before the failure struck, or a cut-off primary kept acknowledging), the
 * loss reaches past the disruption, and the RPO runs from the last of their acknowledgements back to the recovery
 * point: the span of acknowledged data lost. When no acknowledged record was
 * lost, no acknowledged data was lost at all, whatever the RPO figure; {@link DrillReport} judges targets so,
 * and fails an RPO target of zero whenever any acknowledged record was lost.
 *
 * @since 0.1
 */
public final class CanaryResult {

    private final long acknowledged;
    private final long acknowledgedBeforeDisruption;
    private final List<Long> lostSequences;
    private final long failedWrites;
    private final long unacknowledgedSurvivors;
    private final long unexpectedRecords;
    private final @Nullable CanaryRecord recoveryPoint;
    private final @Nullable MeasuredDuration rpo;

    CanaryResult(long acknowledged, long acknowledgedBeforeDisruption, List<Long> lostSequences, long failedWrites,
                 long unacknowledgedSurvivors, long unexpectedRecords,
                 @Nullable CanaryRecord recoveryPoint, @Nullable MeasuredDuration rpo) {
        this.acknowledged = acknowledged;
        this.acknowledgedBeforeDisruption = acknowledgedBeforeDisruption;
        this.lostSequences = List.copyOf(lostSequences);
        this.failedWrites = failedWrites;
        this.unacknowledgedSurvivors = unacknowledgedSurvivors;
        this.unexpectedRecords = unexpectedRecords;
        this.recoveryPoint = recoveryPoint;
        this.rpo = rpo;
    }

    /**
     * How many writes the store acknowledged, before and after the disruption.
     *
     * @since 0.1
     */
    public long acknowledged() {
        return acknowledged;
    }

    /**
     * How many of them were acknowledged at or before the disruption.
     *
     * @since 0.1
     */
    public long acknowledgedBeforeDisruption() {
        return acknowledgedBeforeDisruption;
    }

    /**
     * How many acknowledged writes are missing from the store: exact, by sequence number.
     *
     * @since 0.1
     */
    public long lostRecords() {
        return lostSequences.size();
    }

    /**
     * The sequence numbers of the lost writes, ascending.
     *
     * @since 0.1
     */
    public List<Long> lostSequences() {
        return lostSequences;
    }

    /**
     * How many writes failed or timed out (not acknowledged; not counted as lost whether or not they survived).
     *
     * @since 0.1
     */
    public long failedWrites() {
        return failedWrites;
    }

    /**
     * How many writes that were not acknowledged are in the store anyway (committed, but the answer was lost).
     *
     * @since 0.1
     */
    public long unacknowledgedSurvivors() {
        return unacknowledgedSurvivors;
    }

    /**
     * How many records in the store this writer never wrote (left from an earlier drill, or written by
     * something else); a store should start empty.
     *
     * @since 0.1
     */
    public long unexpectedRecords() {
        return unexpectedRecords;
    }

    /**
     * The recovery point: the newest record acknowledged before the disruption such that it and every
     * acknowledged record before it survived. Empty if the first acknowledged record was lost, or none was
     * acknowledged before the disruption.
     *
     * @since 0.1
     */
    public Optional<CanaryRecord> recoveryPoint() {
        return Optional.ofNullable(recoveryPoint);
    }

    /**
     * The measured RPO, from the disruption back to the {@linkplain #recoveryPoint() recovery point}, with the
     * canary interval as its uncertainty; empty if there is no recovery point (the first acknowledged record
     * was lost, or nothing was acknowledged before the disruption).
     *
     * @since 0.1
     */
    public Optional<MeasuredDuration> rpo() {
        return Optional.ofNullable(rpo);
    }

    @Override
    public String toString() {
        return "CanaryResult[acknowledged=" + acknowledged + ", lost=" + lostSequences.size()
            + (rpo == null ? ", RPO not measured" : ", RPO " + rpo) + ", failedWrites=" + failedWrites + "]";
    }
}
