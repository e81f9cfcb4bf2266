package dev.drkit.core.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Facts about processes read from Linux's {@code /proc/<pid>/stat}: whether a process lives, and when it started,
 * which together with its pid tells it apart from a later process that reused the pid. Stateless and thread-safe.
 * Internal: no compatibility guarantees.
 */
public final class Procfs {

    /** What {@code /proc} says about a process known by its pid and start time. */
    public enum Liveness {
        /** It runs (and is not a zombie) and started when it was said to. */
        ALIVE,
        /** It is gone: no such pid, a zombie, or another process that got its pid later. */
        GONE,
        /** {@code /proc} could not be read or understood: nothing is known. */
        UNKNOWN
    }

    private Procfs() {
    }

    /**
     * Whether process {@code pid} exists and is not a zombie. {@code kill(pid, 0)} and
     * {@link ProcessHandle#isAlive()} count zombies as alive, and where PID 1 does not reap orphans (some
     * containers), a dead process stays a zombie for a while. False when {@code /proc} cannot be read.
     */
    public static boolean isAlive(long pid) {
        try {
            return !isDead(stat(pid));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * When process {@code pid} started, in clock ticks since boot ({@code /proc/<pid>/stat}'s 22nd field), if it
     * exists: with the pid, it tells a process apart from a later one that reused its pid.
     */
    public static OptionalLong startTicks(long pid) {
        try {
            return OptionalLong.of(startTicks(stat(pid)));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** Whether process {@code pid}, started at {@code startTicks} ({@link #startTicks}), still runs. */
    public static Liveness liveness(long pid, long startTicks) {
        String stat;
        try {
            stat = stat(pid);
        } catch (NoSuchFileException e) {
            return Liveness.GONE;
        } catch (IOException | RuntimeException e) {
            return Liveness.UNKNOWN;
        }
        try {
            if (startTicks(stat) != startTicks) {
                return Liveness.GONE;
            }
            return isDead(stat) ? Liveness.GONE : Liveness.ALIVE;
        } catch (RuntimeException e) {
            return Liveness.UNKNOWN;
        }
    }

    private static String stat(long pid) throws IOException {
        if (pid <= 0) {
            throw new NoSuchFileException("/proc/" + pid + "/stat");
        }
        return Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
    }

    /** The state, the field after {@code "pid (comm) "}; comm may hold spaces and parentheses. */
    private static boolean isDead(String stat) {
        int end = stat.lastIndexOf(')');
        if (end < 0 || end + 2 >= stat.length()) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line");
        }
        char state = stat.charAt(end + 2);
        return state == 'Z' || state == 'X' || state == 'x';
    }

    private static long startTicks(String stat) {
        // after "pid (comm) ": state is field 3, starttime field 22
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        if (fields.length <= 19) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line");
        }
        return Long.parseLong(fields[19]);
    }
}
