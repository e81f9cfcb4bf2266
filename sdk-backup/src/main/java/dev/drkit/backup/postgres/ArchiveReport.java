package dev.drkit.backup.postgres;

import dev.drkit.backup.postgres.wal.Lsn;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link WalArchiveVerifier#verify()} found: the faults (empty when everything checked out), warnings, the
 * stretches of WAL verified per timeline, whether the base backup becomes consistent, the reachable window of
 * recovery target times, the honest RPO, and the verdict for a target time if one was asked about.
 *
 * <p>Immutable. {@link #toJson()} is for machines (format {@code drkit.wal-archive-report/1}), {@link #toText()}
 * for people.
 *
 * @since 0.1
 */
public final class ArchiveReport {

    /** The {@code format} field of {@link #toJson()}. */
    public static final String FORMAT = "drkit.wal-archive-report/1";

    private final Instant checkedAt;
    private final String archive;
    private final @Nullable String baseBackup;
    private final long systemIdentifier;
    private final int targetTimeline;
    private final long backupStart;
    private final long backupEnd;
    private final boolean consistent;
    private final long walkedTo;
    private final List<VerifiedRange> ranges;
    private final List<ArchiveFault> faults;
    private final List<String> warnings;
    private final @Nullable Instant earliestReachable;
    private final @Nullable Instant newestReachable;
    private final @Nullable Duration rpo;
    private final @Nullable PitrVerdict verdict;
    private final long segmentsRead;
    private final long walBytesRead;
    private final boolean resumed;
    private final Duration elapsed;

    ArchiveReport(Instant checkedAt, String archive, @Nullable String baseBackup, long systemIdentifier,
                  int targetTimeline, long backupStart, long backupEnd, boolean consistent, long walkedTo,
                  List<VerifiedRange> ranges, List<ArchiveFault> faults, List<String> warnings,
                  @Nullable Instant earliestReachable, @Nullable Instant newestReachable, @Nullable Duration rpo,
                  @Nullable PitrVerdict verdict, long segmentsRead, long walBytesRead, boolean resumed,
                  Duration elapsed) {
        this.checkedAt = Objects.requireNonNull(checkedAt);
        this.archive = Objects.requireNonNull(archive);
        this.baseBackup = baseBackup;
        this.systemIdentifier = systemIdentifier;
        this.targetTimeline = targetTimeline;
        this.backupStart = backupStart;
        this.backupEnd = backupEnd;
        this.consistent = consistent;
        this.walkedTo = walkedTo;
        this.ranges = List.copyOf(ranges);
        this.faults = List.copyOf(faults);
        this.warnings = List.copyOf(warnings);
        this.earliestReachable = earliestReachable;
        this.newestReachable = newestReachable;
        this.rpo = rpo;
        this.verdict = verdict;
        this.segmentsRead = segmentsRead;
        this.walBytesRead = walBytesRead;
        this.resumed = resumed;
        this.elapsed = Objects.requireNonNull(elapsed);
    }

    /** True when there is no fault (warnings do not count) and, if a target was asked about, it is reachable. */
    public boolean ok() {
        return faults.isEmpty() && (verdict == null || verdict.reachable());
    }

    /** The faults, in the order found. A failed verdict is also listed here as {@link ArchiveFault.Kind#TARGET_UNREACHABLE}. */
    public List<ArchiveFault> faults() {
        return faults;
    }

    /** Things worth knowing that are not faults (for example an {@code archive_timeout} that cannot meet the RPO). */
    public List<String> warnings() {
        return warnings;
    }

    /** When the check ran (the verifier's clock). */
    public Instant checkedAt() {
        return checkedAt;
    }

    /** The archive directory checked. */
    public String archive() {
        return archive;
    }

    /** The base backup directory checked, if one was given. */
    public Optional<String> baseBackup() {
        return Optional.ofNullable(baseBackup);
    }

    /** The database system identifier every segment was checked against. */
    public long systemIdentifier() {
        return systemIdentifier;
    }

    /** The timeline recovery to {@code latest} would follow, as chosen from the history files. */
    public int targetTimeline() {
        return targetTimeline;
    }

    /** Where the base backup's WAL starts, or -1 without a base backup. */
    public long backupStart() {
        return backupStart;
    }

    /** Where the base backup's WAL ends (consistency), or -1 if unknown. */
    public long backupEnd() {
        return backupEnd;
    }

    /** Whether the verified WAL reaches the base backup's end, so a restore becomes consistent. */
    public boolean consistent() {
        return consistent;
    }

    /** Where the continuous verified chain ends (the next record would start here). */
    public long walkedTo() {
        return walkedTo;
    }

    /** The stretches verified, per timeline, oldest first (including those verified by earlier incremental runs). */
    public List<VerifiedRange> ranges() {
        return ranges;
    }

    /** The earliest reachable recovery target time, if the chain reaches consistency. */
    public Optional<Instant> earliestReachable() {
        return Optional.ofNullable(earliestReachable);
    }

    /** The newest reachable point: the last commit or abort time in the verified chain after consistency. */
    public Optional<Instant> newestReachable() {
        return Optional.ofNullable(newestReachable);
    }

    /** Now minus the newest commit or abort time in the verified chain; empty if there is none. */
    public Optional<Duration> rpo() {
        return Optional.ofNullable(rpo);
    }

    /** The verdict for the target time asked about, if one was. */
    public Optional<PitrVerdict> verdict() {
        return Optional.ofNullable(verdict);
    }

    /** Segment files read in this run. */
    public long segmentsRead() {
        return segmentsRead;
    }

    /** WAL bytes read in this run (incremental runs read only new WAL). */
    public long walBytesRead() {
        return walBytesRead;
    }

    /** Whether this run continued from a state file instead of walking from the base backup's start. */
    public boolean resumed() {
        return resumed;
    }

    /** How long the check took (listing, base backup check and walk), measured with {@link System#nanoTime()}. */
    public Duration elapsed() {
        return elapsed;
    }

    /** The report as one JSON object. */
    public String toJson() {
        StringBuilder j = new StringBuilder(512);
        j.append("{\"format\":").append(q(FORMAT));
        j.append(",\"ok\":").append(ok());
        j.append(",\"checkedAt\":").append(q(checkedAt.toString()));
        j.append(",\"archive\":").append(q(archive));
        j.append(",\"baseBackup\":").append(baseBackup == null ? "null" : q(baseBackup));
        j.append(",\"systemIdentifier\":").append(q(Long.toUnsignedString(systemIdentifier)));
        j.append(",\"targetTimeline\":").append(targetTimeline);
        j.append(",\"backupStart\":").append(lsnOrNull(backupStart));
        j.append(",\"backupEnd\":").append(lsnOrNull(backupEnd));
        j.append(",\"consistent\":").append(consistent);
        j.append(",\"walkedTo\":").append(lsnOrNull(walkedTo));
        j.append(",\"ranges\":[");
        for (int i = 0; i < ranges.size(); i++) {
            VerifiedRange r = ranges.get(i);
            j.append(i == 0 ? "" : ",").append("{\"timeline\":").append(r.timeline())
                .append(",\"start\":").append(q(Lsn.format(r.start()))).append(",\"end\":")
                .append(q(Lsn.format(r.end()))).append('}');
        }
        j.append("],\"faults\":[");
        for (int i = 0; i < faults.size(); i++) {
            ArchiveFault f = faults.get(i);
            j.append(i == 0 ? "" : ",").append("{\"kind\":").append(q(f.kind().name()))
                .append(",\"file\":").append(f.file().map(ArchiveReport::q).orElse("null"))
                .append(",\"lsn\":").append(f.lsnText().map(ArchiveReport::q).orElse("null"))
                .append(",\"message\":").append(q(f.message())).append('}');
        }
        j.append("],\"warnings\":[");
        for (int i = 0; i < warnings.size(); i++) {
            j.append(i == 0 ? "" : ",").append(q(warnings.get(i)));
        }
        j.append("],\"earliestReachable\":").append(instantOrNull(earliestReachable));
        j.append(",\"newestReachable\":").append(instantOrNull(newestReachable));
        j.append(",\"rpoMillis\":").append(rpo == null ? "null" : Long.toString(rpo.toMillis()));
        j.append(",\"verdict\":");
        if (verdict == null) {
            j.append("null");
        } else {
            j.append("{\"target\":").append(q(verdict.target().toString()))
                .append(",\"reachable\":").append(verdict.reachable())
                .append(",\"reason\":").append(q(verdict.reason()))
                .append(",\"earliest\":").append(instantOrNull(verdict.earliest().orElse(null)))
                .append(",\"newest\":").append(instantOrNull(verdict.newest().orElse(null))).append('}');
        }
        j.append(",\"segmentsRead\":").append(segmentsRead);
        j.append(",\"walBytesRead\":").append(walBytesRead);
        j.append(",\"resumed\":").append(resumed);
        j.append(",\"elapsedMillis\":").append(elapsed.toMillis());
        return j.append('}').toString();
    }

    /** The report for people: a verdict line, then faults, warnings and figures, one per line. */
    public String toText() {
        StringBuilder t = new StringBuilder(512);
        t.append(ok() ? "OK" : "FAILED").append(": WAL archive ").append(archive);
        if (baseBackup != null) {
            t.append(" with base backup ").append(baseBackup);
        }
        t.append('\n');
        for (ArchiveFault f : faults) {
            t.append("  fault ").append(f.kind().name().toLowerCase(Locale.ROOT).replace('_', '-')).append(": ")
                .append(f.message()).append('\n');
        }
        for (String w : warnings) {
            t.append("  warning: ").append(w).append('\n');
        }
        t.append("  system identifier ").append(Long.toUnsignedString(systemIdentifier))
            .append(", timeline ").append(targetTimeline).append('\n');
        if (backupStart >= 0) {
            t.append("  base backup WAL ").append(Lsn.format(backupStart)).append("..")
                .append(backupEnd >= 0 ? Lsn.format(backupEnd) : "?")
                .append(consistent ? " (consistency reached)" : " (consistency NOT reached)").append('\n');
        }
        for (VerifiedRange r : ranges) {
            t.append("  verified ").append(r).append('\n');
        }
        t.append("  reachable targets: ")
            .append(earliestReachable == null || newestReachable == null ? "none"
                : "after " + earliestReachable + ", before " + newestReachable).append('\n');
        t.append("  RPO now: ").append(rpo == null ? "unknown (no commit in the verified chain)" : human(rpo))
            .append('\n');
        if (verdict != null) {
            t.append("  target ").append(verdict.target()).append(": ")
                .append(verdict.reachable() ? "reachable" : "NOT reachable").append(" (").append(verdict.reason())
                .append(")\n");
        }
        t.append("  read ").append(segmentsRead).append(" segments, ").append(walBytesRead).append(" bytes")
            .append(resumed ? " (incremental)" : "").append(" in ").append(human(elapsed)).append('\n');
        return t.toString();
    }

    @Override
    public String toString() {
        return "ArchiveReport[ok=" + ok() + ", faults=" + faults + "]";
    }

    static String human(Duration d) {
        long s = d.getSeconds();
        if (s < 120) {
            return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
        }
        if (s < 7200) {
            return (s / 60) + "m" + (s % 60) + "s";
        }
        return (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }

    private static String lsnOrNull(long lsn) {
        return lsn < 0 ? "null" : q(Lsn.format(lsn));
    }

    private static String instantOrNull(@Nullable Instant instant) {
        return instant == null ? "null" : q(instant.toString());
    }

    static String q(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
