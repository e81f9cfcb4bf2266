package dev.drkit.backup.postgres.wal;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of files in a WAL archive: segments ({@code 000000010000000000000003}), their {@code .partial}
 * variants, timeline history files ({@code 00000002.history}) and backup history files
 * ({@code 000000010000000000000002.00000028.backup}).
 *
 * @since 0.1
 */
public final class SegmentName {

    private static final Pattern SEGMENT = Pattern.compile("([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(\\.partial)?");
    private static final Pattern HISTORY = Pattern.compile("([0-9A-F]{8})\\.history");
    private static final Pattern BACKUP = Pattern.compile("([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\\.([0-9A-F]{8})\\.backup");

    /** A parsed segment name. */
    public record Segment(int timeline, long segno, boolean partial) {
    }

    private SegmentName() {
    }

    /** The segment file name for a timeline, segment number and segment size. */
    public static String of(int timeline, long segno, long segmentSize) {
        long perId = 0x1_0000_0000L / segmentSize;
        return String.format(Locale.ROOT, "%08X%08X%08X", timeline, segno / perId, segno % perId);
    }

    /** The history file name of a timeline. */
    public static String history(int timeline) {
        return String.format(Locale.ROOT, "%08X.history", timeline);
    }

    /** Parses a segment name (with or without {@code .partial}); empty if it is not one. */
    public static Optional<Segment> parseSegment(String name, long segmentSize) {
        Matcher m = SEGMENT.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        long perId = 0x1_0000_0000L / segmentSize;
        long log = Long.parseLong(m.group(2), 16);
        long seg = Long.parseLong(m.group(3), 16);
        if (seg >= perId) {
            return Optional.empty();
        }
        return Optional.of(new Segment((int) Long.parseLong(m.group(1), 16), log * perId + seg, m.group(4) != null));
    }

    /**
     * Whether the name is a segment's (with or without {@code .partial}) for some segment size: 24 hex digits and a
     * timeline other than 0. Which segment numbers exist depends on the segment size (on a 1 MiB cluster the last
     * eight digits run up to {@code 00000FFF}), which the name alone does not tell; {@link #parseSegment} checks it.
     */
    public static boolean isSegment(String name) {
        Matcher m = SEGMENT.matcher(name);
        return m.matches() && !m.group(1).equals("00000000");
    }

    /** The timeline of a history file name; empty if it is not one. */
    public static Optional<Integer> parseHistory(String name) {
        Matcher m = HISTORY.matcher(name);
        return m.matches() ? Optional.of((int) Long.parseLong(m.group(1), 16)) : Optional.empty();
    }

    /** Whether the name is a backup history file ({@code *.backup}). */
    public static boolean isBackupHistory(String name) {
        return BACKUP.matcher(name).matches();
    }
}
