package dev.drkit.core.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

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

    /**
     * A process as a name can carry it: its pid, its start time in clock ticks since boot (so that a later process
     * that reuses the pid is not taken for it), its pid namespace (the inode number of {@code /proc/self/ns/pid})
     * and its host (so that a process of another machine writing to the same shared file system is not judged by
     * this machine's process table; the host's pid namespace has the same inode number everywhere), written
     * {@code p<pid>s<start>n<namespace>h<host>} ({@link #tag()}). Files named after their writer this way can be
     * swept when the writer was killed (SIGKILL, a crash) and ran no clean-up.
     *
     * @param pid        the process id
     * @param startTicks when it started ({@link Procfs#startTicks})
     * @param namespace  its pid namespace's inode number
     * @param host       eight hex digits of CRC-32 of its machine's {@code /etc/machine-id} (stable across reboots),
     *                   or of its host name where there is none
     */
    public record Owner(long pid, long startTicks, String namespace, String host) {

        /** A regular expression matching a {@link #tag()}, with no groups of its own. */
        public static final String TAG_REGEX = "p[0-9]{1,10}s[0-9]{1,20}n[0-9]{1,20}h[0-9a-f]{8}";
        private static final Pattern TAG = Pattern.compile(
            "p([0-9]{1,10})s([0-9]{1,20})n([0-9]{1,20})h([0-9a-f]{8})");
        private static final Optional<Owner> SELF = self0();

        /** This process; empty where {@code /proc} cannot tell (then names carry no owner and nothing is swept). */
        public static Optional<Owner> self() {
            return SELF;
        }

        /** The owner a {@link #tag()} names, if {@code tag} is one. */
        public static Optional<Owner> parse(String tag) {
            Matcher m = TAG.matcher(tag);
            if (!m.matches()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Owner(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), m.group(3),
                    m.group(4)));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        /** {@code p<pid>s<start>n<namespace>h<host>}. */
        public String tag() {
            return "p" + pid + "s" + startTicks + "n" + namespace + "h" + host;
        }

        /**
         * Whether this process still runs, as seen from this process: {@link Liveness#UNKNOWN} when it is of
         * another host or pid namespace (its pid means nothing here) or this process's own owner is not known.
         */
        public Liveness liveness() {
            if (SELF.isEmpty() || !SELF.get().namespace.equals(namespace) || !SELF.get().host.equals(host)) {
                return Liveness.UNKNOWN;
            }
            return Procfs.liveness(pid, startTicks);
        }

        private static Optional<Owner> self0() {
            try {
                long pid = ProcessHandle.current().pid();
                OptionalLong start = Procfs.startTicks(pid);
                Optional<String> namespace = pidNamespace();
                Optional<String> host = thisMachine();
                if (start.isEmpty() || namespace.isEmpty() || host.isEmpty()) {
                    return Optional.empty();
                }
                return Optional.of(new Owner(pid, start.getAsLong(), namespace.get(), host.get()));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }

        /** This machine: its machine id, else its host name, as eight hex digits of CRC-32. */
        private static Optional<String> thisMachine() {
            for (String file : new String[] {"/etc/machine-id", "/var/lib/dbus/machine-id",
                "/proc/sys/kernel/hostname"}) {
                try {
                    String id = Files.readString(Path.of(file), StandardCharsets.US_ASCII).trim();
                    if (!id.isEmpty()) {
                        CRC32 crc = new CRC32();
                        crc.update(id.getBytes(StandardCharsets.US_ASCII));
                        return Optional.of(String.format(Locale.ROOT, "%08x", crc.getValue()));
                    }
                } catch (IOException | RuntimeException e) {
                    // not here: the next source
                }
            }
            return Optional.empty();
        }

        /** The inode number of this process's pid namespace: {@code pid:[4026531836]} gives {@code 4026531836}. */
        private static Optional<String> pidNamespace() {
            try {
                Matcher m = Pattern.compile("pid:\\[([0-9]{1,20})]")
                    .matcher(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString());
                return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }
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
