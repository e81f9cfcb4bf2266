package dev.drkit.backup.postgres;

import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a {@link PitrDrill}'s replay paused: the commit time of the last transaction replayed
 * ({@code pg_last_xact_replay_timestamp()}), the last WAL position replayed ({@code pg_last_wal_replay_lsn()}), the
 * timeline (of the last segment restored from the archive) and the server's own "recovery stopping before ..."
 * log line. Immutable.
 *
 * @since 0.1
 */
public final class ReplayPoint {

    private final @Nullable Instant lastCommit;
    private final String lsn;
    private final int timeline;
    private final String stopLine;

    ReplayPoint(@Nullable Instant lastCommit, String lsn, int timeline, String stopLine) {
        this.lastCommit = lastCommit;
        this.lsn = Objects.requireNonNull(lsn, "lsn");
        this.timeline = timeline;
        this.stopLine = Objects.requireNonNull(stopLine, "stopLine");
    }

    /**
     * The commit time of the last transaction replayed; empty if none was replayed after the backup.
     *
     * @since 0.1
     */
    public Optional<Instant> lastCommit() {
        return Optional.ofNullable(lastCommit);
    }

    /**
     * The last WAL position replayed, such as {@code 0/3000148}.
     *
     * @since 0.1
     */
    public String lsn() {
        return lsn;
    }

    /**
     * The timeline replay was on (0 if unknown).
     *
     * @since 0.1
     */
    public int timeline() {
        return timeline;
    }

    /**
     * PostgreSQL's log line saying where recovery stopped, such as
     * {@code recovery stopping before commit of transaction 745, time 2026-11-23 14:05:00.5+00}; empty if the log
     * has none.
     *
     * @since 0.1
     */
    public String stopLine() {
        return stopLine;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReplayPoint p && Objects.equals(lastCommit, p.lastCommit) && lsn.equals(p.lsn)
            && timeline == p.timeline && stopLine.equals(p.stopLine);
    }

    @Override
    public int hashCode() {
        return Objects.hash(lastCommit, lsn, timeline, stopLine);
    }

    @Override
    public String toString() {
        return "LSN " + lsn + " on timeline " + timeline + ", last commit "
            + (lastCommit == null ? "none replayed" : lastCommit.toString());
    }
}
