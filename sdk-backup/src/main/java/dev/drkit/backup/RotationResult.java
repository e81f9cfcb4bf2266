package dev.drkit.backup;

import dev.drkit.backup.retention.RetentionPlan;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link BackupEngine#rotate(dev.drkit.backup.retention.RetentionPolicy, RotationOptions, boolean)} decided and
 * did: the plan, with keep or delete and the reasons for every backup rotated and the series each was planned in,
 * the backups actually deleted with the space freed, the backups that could not be deleted and why, and the
 * warnings the rotation logged.
 * Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class RotationResult {

    private final RetentionPlan plan;
    private final boolean dryRun;
    private final List<String> deleted;
    private final Map<String, String> failed;
    private final long bytesFreed;
    private final List<String> warnings;

    RotationResult(RetentionPlan plan, boolean dryRun, List<String> deleted, Map<String, String> failed,
                   long bytesFreed, List<String> warnings) {
        this.plan = Objects.requireNonNull(plan, "plan");
        this.dryRun = dryRun;
        this.deleted = List.copyOf(deleted);
        this.failed = Collections.unmodifiableMap(new LinkedHashMap<>(failed));
        this.bytesFreed = bytesFreed;
        this.warnings = List.copyOf(warnings);
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

    /**
     * The backups the plan marked for deletion that could not be deleted, id to a one-line reason (the failure's
     * type and message, never a credential), in the order they were tried (oldest first); unmodifiable, and empty
     * when every deletion worked or for a dry run. They stay in the store, and the next rotation tries again.
     * A backup another rotation deleted first is in neither this nor {@link #deleted()}.
     *
     * @since 0.1
     */
    public Map<String, String> failed() {
        return failed;
    }

    /** The bytes the deletions freed in the store. */
    public long bytesFreed() {
        return bytesFreed;
    }

    /**
     * What the rotation warned about, one line each, as it logged them at WARN: backups dated after the current
     * time (a host with a wrong clock), a keep-tag rule no backup matches, labels that select no backup.
     * Unmodifiable; usually empty.
     *
     * @since 0.1
     */
    public List<String> warnings() {
        return warnings;
    }

    @Override
    public String toString() {
        return "RotationResult[dryRun=" + dryRun + ", kept=" + plan.toKeep().size() + ", deleted=" + deleted.size()
            + (failed.isEmpty() ? "" : ", failed=" + failed.size()) + ", bytesFreed=" + bytesFreed + "]";
    }

    /**
     * Thrown by {@link BackupEngine#rotate(dev.drkit.backup.retention.RetentionPolicy, RotationOptions, boolean)}
     * when some of the backups its plan marked could not be deleted (a store refusing, an immutable directory, an
     * S3 object lock). The rotation went on past each such backup, so everything else the plan marked was deleted;
     * {@link #result()} tells what was deleted and what failed, and why. The first failure is the cause, the others
     * are {@linkplain #getSuppressed() suppressed}.
     *
     * <p>A {@link BackupIoException}, as a failed deletion always was: always {@link Kind#ENVIRONMENT} (exit code
     * 3). {@link #context()} holds {@code operation} ({@code rotate}), {@code store}, {@code deleted} (how many)
     * and {@code failed} (the ids, comma-separated).
     *
     * @since 0.1
     */
    public static final class DeletionsFailedException extends BackupIoException {

        private static final long serialVersionUID = 1L;

        private final transient RotationResult result;

        DeletionsFailedException(String message, Map<String, String> context, Throwable cause,
                                 RotationResult result) {
            super(message, context, cause);
            this.result = Objects.requireNonNull(result, "result");
        }

        /**
         * What the rotation did: the plan, the backups deleted and the bytes freed, and the backups that could not
         * be deleted ({@link RotationResult#failed()}, never empty here).
         *
         * @since 0.1
         */
        public RotationResult result() {
            return result;
        }
    }
}
