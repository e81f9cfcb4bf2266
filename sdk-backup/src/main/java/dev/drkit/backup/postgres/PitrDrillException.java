package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupException;
import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.Objects;

/**
 * A {@link PitrDrill} could not bring a scratch copy to its target: the target lies before the base backup's end or
 * beyond what the archive reaches, the WAL stops before the backup is consistent, the base backup is unusable or
 * hostile, or the scratch server failed or timed out. {@link #reason()} says which; the message names the target,
 * the backup and the server's own log line.
 *
 * <p>Every reason but {@link Reason#SERVER_FAILED} and {@link Reason#TIMED_OUT} is {@link Kind#DATA} (the CLI exits
 * 1): the backup and archive cannot deliver the target. Those two are {@link Kind#ENVIRONMENT} (exit 3).
 *
 * @since 0.1
 */
public class PitrDrillException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * Why the drill did not reach its target.
     *
     * @since 0.1
     */
    public enum Reason {
        /** The target time is before the base backup ended: no recovery from this backup can stop there. */
        TARGET_BEFORE_BACKUP_END(Kind.DATA),
        /** Recovery ran out of WAL before the target ("recovery ended before configured recovery target was reached"). */
        TARGET_NOT_REACHED(Kind.DATA),
        /** The WAL ended before the base backup became consistent ("WAL ends before end of online backup"). */
        BACKUP_INCONSISTENT(Kind.DATA),
        /** The base backup is not usable: no {@code backup_label}, links, a hostile tar path, another major version. */
        BAD_BASE_BACKUP(Kind.DATA),
        /**
         * The {@code restore_command} failed hard fetching WAL ("could not restore file ... from archive"), as
         * {@code drkit wal-fetch --stop-recovery-on-error} does for a damaged segment or a wrong key, instead of
         * saying the file is not there; the message quotes what it wrote in the server's log.
         */
        RESTORE_COMMAND_FAILED(Kind.DATA),
        /**
         * The {@code restore_command} failed hard because the archive could not be used (a store that cannot be
         * reached or read, a full disk), as {@code drkit wal-fetch --stop-recovery-on-error} reports it: the data
         * was not judged.
         */
        RESTORE_COMMAND_UNAVAILABLE(Kind.ENVIRONMENT),
        /** The scratch server failed for another reason; the message has its log's last lines. */
        SERVER_FAILED(Kind.ENVIRONMENT),
        /** Replay did not pause at the target within the drill's timeout. */
        TIMED_OUT(Kind.ENVIRONMENT);

        private final Kind kind;

        Reason(Kind kind) {
            this.kind = kind;
        }

        /**
         * The exception kind (and CLI exit code) of this reason.
         *
         * @since 0.1
         */
        public Kind kind() {
            return kind;
        }
    }

    private final Reason reason;

    /**
     * @param reason  why the drill stopped
     * @param message what happened, naming the target and the backup; never a secret
     * @param cause   the underlying failure, or {@code null}
     * @since 0.1
     */
    public PitrDrillException(Reason reason, String message, @Nullable Throwable cause) {
        super(message, Objects.requireNonNull(reason, "reason").kind(), Map.of("reason", reason.name()), cause);
        this.reason = reason;
    }

    /**
     * Why the drill stopped.
     *
     * @since 0.1
     */
    public Reason reason() {
        return reason;
    }
}
