package dev.drkit.core.drill;

import org.jspecify.annotations.Nullable;

import java.util.List;
import java.util.Optional;

/**
 * What a {@link CanaryWriter} found after recovery: which acknowledged writes were lost, exactly, and the
 * measured RPO. Immutable and thread-safe.
 *
 * <p>The RPO is the time from the disruption back to the newest record that was acknowledged before the
 * disruption and survived: everything acknowledged up to that record is known to be safe. It is known to
 * within the canary interval, since the next write came one interval later. When no acknowledged record was
 * lost, no acknowledged data was lost at all, whatever the RPO figure; {@link DrillReport} judges targets so.
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
    private final @Nullable CanaryRecord newestSurvivingAcknowledged;
    private final @Nullable MeasuredDuration rpo;

    CanaryResult(long acknowledged, long acknowledgedBeforeDisruption, List<Long> lostSequences, long failedWrites,
                 long unacknowledgedSurvivors, long unexpectedRecords,
                 @Nullable CanaryRecord newestSurvivingAcknowledged, @Nullable MeasuredDuration rpo) {
        this.acknowledged = acknowledged;
        this.acknowledgedBeforeDisruption = acknowledgedBeforeDisruption;
        this.lostSequences = List.copyOf(lostSequences);
        this.failedWrites = failedWrites;
        this.unacknowledgedSurvivors = unacknowledgedSurvivors;
        this.unexpectedRecords = unexpectedRecords;
        this.newestSurvivingAcknowledged = newestSurvivingAcknowledged;
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
     * The newest record acknowledged before the disruption that survived, if any did.
     *
     * @since 0.1
     */
    public Optional<CanaryRecord> newestSurvivingAcknowledged() {
        return Optional.ofNullable(newestSurvivingAcknowledged);
    }

    /**
     * The measured RPO, with the canary interval as its uncertainty; empty if no record acknowledged before
     * the disruption survived (then everything written was lost, or nothing was written).
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
