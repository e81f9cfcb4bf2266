package dev.drkit.backup;

import dev.drkit.backup.retention.RetentionPlan;

import java.util.List;
import java.util.Objects;

/**
 * What {@link BackupEngine#rotate(dev.drkit.backup.retention.RetentionPolicy, RotationOptions, boolean)} decided and
 * did: the plan, with keep or delete and the reasons for every backup rotated and the series each was planned in,
 * and the backups actually deleted with the space freed.
 * Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class RotationResult {

    private final RetentionPlan plan;
    private final boolean dryRun;
    private final List<String> deleted;
    private final long bytesFreed;

    RotationResult(RetentionPlan plan, boolean dryRun, List<String> deleted, long bytesFreed) {
        this.plan = Objects.requireNonNull(plan, "plan");
        this.dryRun = dryRun;
        this.deleted = List.copyOf(deleted);
        this.bytesFreed = bytesFreed;
    }

    /**
     * The plan: every backup rotated (every backup in the store unless {@link RotationOptions#labels()} selected
     * some), newest first, with keep or delete and the reasons; each backup's
     * {@link dev.drkit.backup.retention.Backup#series() series} is the one it was planned in
     * ({@link RetentionPlan#series()} lists them; {@code ""} when not grouped).
     */
    public RetentionPlan plan() {
        return plan;
    }

    /** Whether this was a dry run, which deletes nothing. */
    public boolean dryRun() {
        return dryRun;
    }

    /** The ids of the backups deleted, in the order they were deleted (oldest first); empty for a dry run. */
    public List<String> deleted() {
        return deleted;
    }

    /** The bytes the deletions freed in the store. */
    public long bytesFreed() {
        return bytesFreed;
    }

    @Override
    public String toString() {
        return "RotationResult[dryRun=" + dryRun + ", kept=" + plan.toKeep().size() + ", deleted=" + deleted.size()
            + ", bytesFreed=" + bytesFreed + "]";
    }
}
