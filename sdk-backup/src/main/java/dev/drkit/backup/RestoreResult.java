package dev.drkit.backup;

import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a successful {@link BackupEngine#restore} did: where the data went, and where what it replaced was kept.
 * Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class RestoreResult {

    private final String backupId;
    private final Path target;
    private final @Nullable Path previous;
    private final long plaintextBytes;
    private final int entries;
    private final Duration duration;

    RestoreResult(String backupId, Path target, @Nullable Path previous, long plaintextBytes, int entries,
                  Duration duration) {
        this.backupId = Objects.requireNonNull(backupId, "backupId");
        this.target = Objects.requireNonNull(target, "target");
        this.previous = previous;
        this.plaintextBytes = plaintextBytes;
        this.entries = entries;
        this.duration = Objects.requireNonNull(duration, "duration");
    }

    /** The backup restored. */
    public String backupId() {
        return backupId;
    }

    /** The restored file or directory. */
    public Path target() {
        return target;
    }

    /** Where the file or directory that was at the target before was moved ({@code <target>.pre-restore-<time>}). */
    public Optional<Path> previous() {
        return Optional.ofNullable(previous);
    }

    /** Plaintext bytes restored (for directories, the tar stream's size). */
    public long plaintextBytes() {
        return plaintextBytes;
    }

    /** Directory entries restored (0 for files and streams). */
    public int entries() {
        return entries;
    }

    /** How long the restore took. */
    public Duration duration() {
        return duration;
    }

    @Override
    public String toString() {
        return "RestoreResult[" + backupId + " -> " + target + (previous == null ? "" : ", previous kept at "
            + previous) + "]";
    }
}
