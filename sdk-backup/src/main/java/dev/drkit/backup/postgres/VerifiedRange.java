package dev.drkit.backup.postgres;

import dev.drkit.backup.postgres.wal.Lsn;

/**
 * A stretch of WAL on one timeline whose records were walked and found intact.
 *
 * @param timeline the timeline
 * @param start    the first LSN walked
 * @param end      the LSN the walk reached on this timeline
 * @since 0.1
 */
public record VerifiedRange(int timeline, long start, long end) {

    @Override
    public String toString() {
        return "timeline " + timeline + " " + Lsn.format(start) + ".." + Lsn.format(end);
    }
}
