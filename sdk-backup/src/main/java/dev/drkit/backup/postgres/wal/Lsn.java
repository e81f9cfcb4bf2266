package dev.drkit.backup.postgres.wal;

import java.util.Locale;

/**
 * Log sequence numbers: PostgreSQL's {@code X/X} text form and arithmetic on segment boundaries.
 *
 * @since 0.1
 */
public final class Lsn {

    private Lsn() {
    }

    /** {@code X/X} as PostgreSQL prints an LSN: upper and lower 32 bits in hexadecimal, upper case. */
    public static String format(long lsn) {
        return String.format(Locale.ROOT, "%X/%X", lsn >>> 32, lsn & 0xFFFF_FFFFL);
    }

    /**
     * Parses {@code X/X}.
     *
     * @throws IllegalArgumentException if {@code text} is not an LSN
     */
    public static long parse(String text) {
        String t = text.strip();
        int slash = t.indexOf('/');
        if (slash <= 0 || slash == t.length() - 1 || slash > 8 || t.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("not an LSN (X/X): \"" + shorten(t) + "\"");
        }
        try {
            long hi = Long.parseLong(t.substring(0, slash), 16);
            long lo = Long.parseLong(t.substring(slash + 1), 16);
            return (hi << 32) | lo;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an LSN (X/X): \"" + shorten(t) + "\"", e);
        }
    }

    /** Rounds up to a multiple of 8, as PostgreSQL aligns records ({@code MAXALIGN}). */
    public static long align8(long lsn) {
        return (lsn + 7) & ~7L;
    }

    static String shorten(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
}
