package dev.drkit.backup.postgres.wal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A timeline's history, as PostgreSQL writes it to {@code <tli>.history} when a server is promoted: one line per
 * ancestor, {@code parentTLI <tab> switchpoint <tab> reason}, oldest first. Read as recovery reads it (comments and
 * blank lines ignored, timelines strictly increasing), with the checks recovery makes plus switch points that
 * never go down.
 *
 * @param timeline the timeline this history belongs to
 * @param entries  the ancestors, oldest first: each timeline and the LSN where its child began
 *
 * @since 0.1
 */
public record TimelineHistory(int timeline, List<Entry> entries) {

    /** Larger history files are refused: a real one has one short line per promotion. */
    public static final int MAX_BYTES = 1 << 20;

    /**
     * One ancestor: {@code timeline} ended (its child began) at {@code switchPoint}.
     *
     * @param timeline    the ancestor's timeline
     * @param switchPoint where the next timeline of the history began
     */
    public record Entry(int timeline, long switchPoint) {
    }

    /** A history file that cannot be used, and why. */
    public static final class InvalidHistoryException extends Exception {
        private static final long serialVersionUID = 1L;

        public InvalidHistoryException(String message) {
            super(message);
        }
    }

    public TimelineHistory {
        entries = List.copyOf(entries);
    }

    /** The history of timeline 1, which has no ancestors. */
    public static TimelineHistory first() {
        return new TimelineHistory(1, List.of());
    }

    /**
     * Parses a history file's bytes.
     *
     * @throws InvalidHistoryException if a line is malformed, timelines do not increase, switch points go down, or
     *                                 the last ancestor is not older than {@code timeline}
     */
    public static TimelineHistory parse(int timeline, byte[] bytes) throws InvalidHistoryException {
        if (bytes.length > MAX_BYTES) {
            throw new InvalidHistoryException("is " + bytes.length + " bytes, more than a history file can be");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        List<Entry> entries = new ArrayList<>();
        int lineNumber = 0;
        int lastTli = 0;
        long lastSwitch = 0;
        for (String line : text.split("\n", -1)) {
            lineNumber++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] fields = t.split("\\s+", 3);
            if (fields.length < 2) {
                throw new InvalidHistoryException("line " + lineNumber + " has no switch point");
            }
            int tli;
            long switchPoint;
            try {
                long parsed = Long.parseLong(fields[0]);
                if (parsed <= 0 || parsed > 0xFFFF_FFFFL) {
                    throw new NumberFormatException();
                }
                tli = (int) parsed;
            } catch (NumberFormatException e) {
                throw new InvalidHistoryException("line " + lineNumber + " has no timeline number");
            }
            try {
                switchPoint = Lsn.parse(fields[1]);
            } catch (IllegalArgumentException e) {
                throw new InvalidHistoryException("line " + lineNumber + " has a switch point that is not an LSN");
            }
            if (Integer.compareUnsigned(tli, lastTli) <= 0) {
                throw new InvalidHistoryException("line " + lineNumber + ": timeline " + Integer.toUnsignedString(tli)
                    + " does not follow timeline " + lastTli + " (timelines must increase)");
            }
            if (Long.compareUnsigned(switchPoint, lastSwitch) < 0) {
                throw new InvalidHistoryException("line " + lineNumber + ": switch point " + Lsn.format(switchPoint)
                    + " is before the previous one, " + Lsn.format(lastSwitch));
            }
            entries.add(new Entry(tli, switchPoint));
            lastTli = tli;
            lastSwitch = switchPoint;
        }
        if (entries.isEmpty()) {
            throw new InvalidHistoryException("names no parent timeline");
        }
        if (Integer.compareUnsigned(lastTli, timeline) >= 0) {
            throw new InvalidHistoryException("names timeline " + Integer.toUnsignedString(lastTli)
                + " as an ancestor of timeline " + Integer.toUnsignedString(timeline));
        }
        return new TimelineHistory(timeline, entries);
    }

    /** The parent timeline (the last ancestor), or 0 for timeline 1. */
    public int parent() {
        return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).timeline();
    }

    /** Where this timeline began (its parent's switch point), or 0 for timeline 1. */
    public long begin() {
        return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).switchPoint();
    }

    /**
     * The timeline that holds {@code lsn} on the way to this timeline, as recovery with this timeline as its
     * target chooses it: the first ancestor whose switch point is after {@code lsn}, else this timeline.
     */
    public int timelineAt(long lsn) {
        for (Entry e : entries) {
            if (Long.compareUnsigned(lsn, e.switchPoint()) < 0) {
                return e.timeline();
            }
        }
        return timeline;
    }

    /** Where {@code tli} begins on the way to this timeline (0 for the first); -1 if it is not on the way. */
    public long beginOf(int tli) {
        long begin = 0;
        for (Entry e : entries) {
            if (e.timeline() == tli) {
                return begin;
            }
            begin = e.switchPoint();
        }
        return tli == timeline ? begin : -1;
    }

    /** Where {@code tli} ends on the way to this timeline; {@code Long.MAX_VALUE}-like -1 for this one or absent. */
    public long endOf(int tli) {
        for (Entry e : entries) {
            if (e.timeline() == tli) {
                return e.switchPoint();
            }
        }
        return -1;
    }

    /** Whether {@code tli} is this timeline or one of its ancestors. */
    public boolean contains(int tli) {
        return tli == timeline || entries.stream().anyMatch(e -> e.timeline() == tli);
    }
}
