package dev.drkit.backup.postgres.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a scratch server's log ({@code lc_messages=C}) says about its recovery. Stateless. */
public final class ServerLog {

    /** PostgreSQL's FATAL when the WAL ran out before the recovery target. */
    public static final String TARGET_NOT_REACHED = "recovery ended before configured recovery target was reached";
    /** PostgreSQL's FATAL when the target is before the backup's consistent point. */
    public static final String BEFORE_CONSISTENT = "requested recovery stop point is before consistent recovery point";
    /** PostgreSQL's FATALs when the WAL ends before the base backup is consistent. */
    public static final String WAL_ENDS_BEFORE_BACKUP_END = "WAL ends before end of online backup";
    public static final String WAL_ENDS_BEFORE_CONSISTENT = "WAL ends before consistent recovery point";
    /**
     * PostgreSQL's FATAL when a {@code restore_command} failed hard (an exit status above 125, such as
     * {@code drkit wal-fetch --stop-recovery-on-error}'s 126, or a signal) instead of saying the file is not there.
     */
    public static final String RESTORE_FAILED = "could not restore file";
    /** How {@code drkit wal-fetch} begins the line it writes on standard error, which the server's log receives. */
    public static final String WAL_FETCH_ERROR = "drkit wal-fetch: ";
    /**
     * What {@code drkit wal-fetch --stop-recovery-on-error} adds to that line when the archive could not be used (an
     * unreachable store, a full disk), as against damage or a wrong key ("data error").
     */
    public static final String WAL_FETCH_ENVIRONMENT_ERROR = "(environment error, exit 126";
    /** PostgreSQL's LOG when replay paused at the target ({@code recovery_target_action = pause}). */
    public static final String PAUSED = "pausing at the end of recovery";

    private static final Pattern RESTORED = Pattern.compile("restored log file \"([0-9A-F]{8})[0-9A-F]{16}\"");
    private static final Pattern STOPPING = Pattern.compile("recovery stopping (before|after) [^\\n]*");
    private static final Pattern FATAL = Pattern.compile("(FATAL|PANIC):\\s+([^\\n]*)");

    private ServerLog() {
    }

    /** The whole log, or an empty string if it cannot be read. */
    public static String read(Path logFile) {
        try {
            return Files.readString(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The log from byte {@code from} on (an empty string if it cannot be read), for polling a growing log without
     * reading it all again; start the next read a line's length before this one's end so a line written in two
     * parts is still seen whole.
     */
    public static String readFrom(Path logFile, long from) {
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(logFile.toFile(), "r")) {
            long start = Math.max(0, Math.min(from, raf.length()));
            byte[] bytes = new byte[(int) Math.min(raf.length() - start, 16L << 20)];
            raf.seek(start);
            raf.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The timeline of the last segment restored from the archive, if any was. */
    public static OptionalInt lastRestoredTimeline(String log) {
        Matcher m = RESTORED.matcher(log);
        int timeline = -1;
        while (m.find()) {
            timeline = Integer.parseUnsignedInt(m.group(1), 16);
        }
        return timeline < 0 ? OptionalInt.empty() : OptionalInt.of(timeline);
    }

    /** The "recovery stopping before commit of transaction N, time T" line, if recovery stopped at its target. */
    public static Optional<String> stoppingLine(String log) {
        Matcher m = STOPPING.matcher(log);
        String found = null;
        while (m.find()) {
            found = m.group().trim();
        }
        return Optional.ofNullable(found);
    }

    /** The last line {@code drkit wal-fetch} wrote on standard error into the log, without its prefix, if any. */
    public static Optional<String> lastWalFetchError(String log) {
        int at = log.lastIndexOf(WAL_FETCH_ERROR);
        if (at < 0) {
            return Optional.empty();
        }
        int end = log.indexOf('\n', at);
        return Optional.of(log.substring(at + WAL_FETCH_ERROR.length(), end < 0 ? log.length() : end).trim());
    }

    /** The first FATAL or PANIC message, if any. */
    public static Optional<String> firstFatal(String log) {
        Matcher m = FATAL.matcher(log);
        return m.find() ? Optional.of(m.group(2).trim()) : Optional.empty();
    }
}
