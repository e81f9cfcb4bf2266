package dev.drkit.postgres.internal;

import dev.drkit.core.internal.Procfs;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Facts about server processes read from the operating system: {@code postmaster.pid}, {@code /proc}, free
 * ports. Stateless and thread-safe.
 */
public final class Postmasters {

    /** {@code postmaster.pid}'s status line (the 8th) when the server accepts connections. */
    public static final String STATUS_READY = "ready";
    /** The status of a standby that accepts no connections ({@code hot_standby = off}). */
    public static final String STATUS_STANDBY = "standby";

    private Postmasters() {
    }

    /** What {@code postmaster.pid} says, if it exists. */
    public record PidFile(long pid, String status) {
    }

    /**
     * Reads {@code <dataDirectory>/postmaster.pid}; a link in its place (the server's user owns the directory) is
     * not followed and counts as no file.
     */
    public static Optional<PidFile> readPidFile(Path dataDirectory) {
        try (InputStream in = Files.newInputStream(dataDirectory.resolve("postmaster.pid"), LinkOption.NOFOLLOW_LINKS)) {
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            long pid = Long.parseLong(lines.get(0).trim());
            String status = lines.size() >= 8 ? lines.get(7).trim() : "";
            return Optional.of(new PidFile(pid, status));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            // being written right now; the caller polls again
            return Optional.empty();
        }
    }

    /**
     * Whether process {@code pid} exists and is not a zombie. {@code kill(pid, 0)} and
     * {@link ProcessHandle#isAlive()} count zombies as alive, and where PID 1 does not reap orphans (some
     * containers), a dead postmaster stays a zombie for a while.
     */
    public static boolean isAlive(long pid) {
        return Procfs.isAlive(pid);
    }

    /**
     * When process {@code pid} started, in clock ticks since boot ({@code /proc/<pid>/stat}'s 22nd field), if it
     * exists: with the pid, it tells a process apart from a later one that reused its pid.
     */
    public static OptionalLong startTicks(long pid) {
        return Procfs.startTicks(pid);
    }

    /**
     * Whether process {@code pid}, started at {@code startTicks} ({@link #startTicks}), is alive and not a zombie:
     * false once it died, even if another process got its pid since (a root JVM must not kill that one).
     */
    public static boolean isAlive(long pid, long startTicks) {
        return Procfs.liveness(pid, startTicks) == Procfs.Liveness.ALIVE;
    }

    /** The process's command name ({@code /proc/<pid>/comm}), if it exists. */
    public static Optional<String> commandName(long pid) {
        try {
            return Optional.of(Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Sends SIGKILL to {@code pid} and, when asked, to every process below it (collected first: once the
     * parent dies, they are re-parented and no longer its descendants).
     *
     * @return whether {@code pid} is gone (or a zombie) within {@code wait}
     */
    public static boolean kill9(long pid, boolean withDescendants, Duration wait) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty()) {
            return true;
        }
        List<ProcessHandle> below = withDescendants ? handle.get().descendants().toList() : List.of();
        handle.get().destroyForcibly();
        below.forEach(ProcessHandle::destroyForcibly);
        return awaitDeath(pid, wait);
    }

    /** Waits until {@code pid} is gone or a zombie. */
    public static boolean awaitDeath(long pid, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (isAlive(pid)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            pause(10);
        }
        return true;
    }

    /** The processes below {@code pid} now. */
    public static List<Long> descendants(long pid) {
        return ProcessHandle.of(pid).map(h -> h.descendants().map(ProcessHandle::pid).toList()).orElse(List.of());
    }

    /** A TCP port on 127.0.0.1 that was free a moment ago. The caller retries if someone takes it meanwhile. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("cannot find a free port on 127.0.0.1: " + e.getMessage(), e);
        }
    }

    /** A pause in a loop that polls the operating system. */
    public static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for PostgreSQL", e);
        }
    }

    /** The pid in {@code postmaster.pid}, if the file exists. */
    public static OptionalLong pid(Path dataDirectory) {
        return readPidFile(dataDirectory).map(p -> OptionalLong.of(p.pid())).orElse(OptionalLong.empty());
    }
}
