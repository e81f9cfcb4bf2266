package dev.drkit.postgres.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ServerWatchdog} against stand-in servers (plain processes): what it does when the pipe from the JVM ends
 * without {@code close}, as when the JVM is killed, and what it leaves alone. {@code ExitCleanupTest} kills real
 * JVMs with real clusters.
 */
class ServerWatchdogTest {

    private static final Duration WITHIN = Duration.ofSeconds(30);

    private final List<Process> started = new ArrayList<>();

    @TempDir
    Path temp;

    @AfterEach
    void killStandIns() {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private Process standIn(String script) throws IOException {
        Process p = new ProcessBuilder("sh", "-c", script).start();
        started.add(p);
        return p;
    }

    private Path clusterDirectory() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("cluster"));
        Files.writeString(Files.createDirectories(dir.resolve("data")).resolve("PG_VERSION"), "15\n");
        return dir;
    }

    private static long ticks(Process p) {
        return Postmasters.startTicks(p.pid()).orElseThrow();
    }

    @Test
    void stopsTheServerAndDeletesTheDirectoryWhenThePipeEndsWithoutClose() throws Exception {
        Path dir = clusterDirectory();
        // It sets its own signal mask and handlers, as a postmaster does: a JVM's children may start with SIGQUIT
        // blocked (HotSpot blocks it in most of its threads) or ignored (by whatever started the build).
        Process server = standIn("exec perl -MPOSIX -e 'sigprocmask(SIG_UNBLOCK, POSIX::SigSet->new(SIGQUIT));"
            + " $SIG{QUIT} = \"DEFAULT\"; sleep 300'");
        ServerWatchdog watchdog = ServerWatchdog.start("test", dir, true, temp.resolve("log")).orElseThrow();
        watchdog.launched(server.pid());
        watchdog.running(server.pid(), ticks(server));

        watchdog.abandon();

        assertThat(watchdog.awaitExit(WITHIN)).isTrue();
        assertThat(server.isAlive()).isFalse();
        assertThat(dir).doesNotExist();
        assertThat(Files.readString(temp.resolve("log")))
            .contains("stopping server process " + server.pid() + " (SIGQUIT)").doesNotContain("SIGKILL")
            .contains("deleting " + dir);
    }

    @Test
    void killsAServerThatIgnoresSigquitWithItsChildren() throws Exception {
        Path dir = clusterDirectory();
        Process server = standIn("trap '' QUIT; sleep 300; exit 0");
        ServerWatchdog watchdog = ServerWatchdog.start("test", dir, true, temp.resolve("log")).orElseThrow();
        watchdog.running(server.pid(), ticks(server));
        long deadline = System.nanoTime() + WITHIN.toNanos();
        List<ProcessHandle> children = server.children().toList();
        while (children.isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
            children = server.children().toList();
        }
        assertThat(children).isNotEmpty();

        watchdog.abandon();

        assertThat(watchdog.awaitExit(WITHIN)).isTrue();
        assertThat(server.isAlive()).isFalse();
        assertThat(children).noneMatch(h -> Postmasters.isAlive(h.pid())); // a zombie until init reaps it
        assertThat(dir).doesNotExist();
        assertThat(Files.readString(temp.resolve("log"))).contains("SIGKILL to it and its children");
    }

    @Test
    void leavesAProcessThatStartedAtAnotherTimeAloneAndKeepsTheDirectoryWhenAsked() throws Exception {
        Path dir = clusterDirectory();
        Process other = standIn("exec sleep 300");
        ServerWatchdog watchdog = ServerWatchdog.start("test", dir, false, temp.resolve("log")).orElseThrow();
        // As if the server had died and another process got its pid.
        watchdog.running(other.pid(), ticks(other) - 1);

        watchdog.abandon();

        assertThat(watchdog.awaitExit(WITHIN)).isTrue();
        assertThat(other.isAlive()).isTrue();
        assertThat(dir.resolve("data/PG_VERSION")).exists();
    }

    @Test
    void forgetsAServerThatStopped() throws Exception {
        Path dir = clusterDirectory();
        Process server = standIn("exec sleep 300");
        ServerWatchdog watchdog = ServerWatchdog.start("test", dir, false, temp.resolve("log")).orElseThrow();
        watchdog.launched(server.pid());
        watchdog.running(server.pid(), ticks(server));
        watchdog.stopped();

        watchdog.abandon();

        assertThat(watchdog.awaitExit(WITHIN)).isTrue();
        assertThat(server.isAlive()).isTrue();
    }

    @Test
    void exitsWithoutDoingAnythingWhenDismissed() throws Exception {
        Path dir = clusterDirectory();
        Process server = standIn("exec sleep 300");
        ServerWatchdog watchdog = ServerWatchdog.start("test", dir, true, temp.resolve("log")).orElseThrow();
        watchdog.running(server.pid(), ticks(server));

        watchdog.dismiss(WITHIN);

        assertThat(watchdog.awaitExit(Duration.ZERO)).isTrue();
        assertThat(server.isAlive()).isTrue();
        assertThat(dir.resolve("data/PG_VERSION")).exists();
        assertThat(temp.resolve("log")).isEmptyFile();
    }

    @Test
    void holdsNothingSecretInItsCommandLineOrEnvironment() throws Exception {
        Path dir = clusterDirectory();
        ServerWatchdog watchdog = ServerWatchdog.start("test", dir, true, temp.resolve("log")).orElseThrow();
        try {
            Path proc = Path.of("/proc", Long.toString(watchdog.pid()));
            long deadline = System.nanoTime() + WITHIN.toNanos();
            while (!new String(Files.readAllBytes(proc.resolve("cmdline"))).contains(ServerWatchdog.NAME)
                && System.nanoTime() - deadline < 0) {
                Thread.sleep(10); // until the exec
            }
            List<String> environment = List.of(new String(Files.readAllBytes(proc.resolve("environ"))).split("\0"));
            assertThat(environment).containsExactlyInAnyOrder("PATH=/usr/bin:/bin:/usr/sbin:/sbin", "LC_ALL=C");
            List<String> args = List.of(new String(Files.readAllBytes(proc.resolve("cmdline"))).split("\0"));
            assertThat(args).endsWith(ServerWatchdog.NAME, dir.toString(), "1");
        } finally {
            watchdog.dismiss(WITHIN);
        }
    }
}
