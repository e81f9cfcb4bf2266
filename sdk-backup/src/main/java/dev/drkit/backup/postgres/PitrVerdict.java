package dev.drkit.backup.postgres;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether a recovery target time can be reached with a base backup and a WAL archive, by PostgreSQL's own stop
 * rule: replay must first reach the end of the base backup (consistency), and then find a commit or abort record
 * with a time after the target (with the default {@code recovery_target_inclusive = on}, recovery stops before the
 * first such record). A target before the backup started, or before a transaction end the backup's own WAL
 * replays, cannot be reached from this backup.
 *
 * @param target    the target time asked about
 * @param reachable whether recovery to {@code target} stops at {@code target}'s state
 * @param reason    why, in one sentence
 * @param earliest  the earliest reachable target time, if the chain reaches consistency
 * @param newest    the newest reachable point: the last commit or abort time in the verified chain (targets must
 *                  be before it)
 * @since 0.1
 */
public record PitrVerdict(Instant target, boolean reachable, String reason, Optional<Instant> earliest,
                          Optional<Instant> newest) {

    public PitrVerdict {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(earliest, "earliest");
        Objects.requireNonNull(newest, "newest");
    }
}
