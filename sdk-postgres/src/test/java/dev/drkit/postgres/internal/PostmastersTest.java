package dev.drkit.postgres.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class PostmastersTest {

    @Test
    void readsThePidAndStatusFromPostmasterPid(@TempDir Path data) throws IOException {
        assertThat(Postmasters.readPidFile(data)).isEmpty();

        Files.writeString(data.resolve("postmaster.pid"),
            "4242\n/data\n1700000000\n5432\n/run\n127.0.0.1\n  5432001  1\nready   \n");

        assertThat(Postmasters.readPidFile(data)).contains(new Postmasters.PidFile(4242, "ready"));
        assertThat(Postmasters.pid(data)).hasValue(4242);
    }

    @Test
    void ignoresALinkInPlaceOfPostmasterPid(@TempDir Path data) throws IOException {
        Path elsewhere = Files.writeString(data.resolve("elsewhere"), "4242\n/data\n1\n5432\n/run\n*\n1 1\nready\n");
        Files.createSymbolicLink(data.resolve("postmaster.pid"), elsewhere);

        assertThat(Postmasters.readPidFile(data)).isEmpty();
    }

    @Test
    void tellsAProcessFromALaterOneWithTheSamePidByItsStartTime() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            long pid = sleeper.pid();
            long started = Postmasters.startTicks(pid).orElseThrow();

            assertThat(Postmasters.startTicks(pid)).as("stable while it lives").hasValue(started);
            assertThat(Postmasters.isAlive(pid, started)).isTrue();
            assertThat(Postmasters.isAlive(pid, started + 1)).as("another process with this pid").isFalse();
            sleeper.destroyForcibly().waitFor();
            assertThat(Postmasters.isAlive(pid, started)).isFalse();
            assertThat(Postmasters.startTicks(Long.MAX_VALUE)).isEmpty();
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void tellsLiveProcessesFromDeadOnes() throws Exception {
        assertThat(Postmasters.isAlive(ProcessHandle.current().pid())).isTrue();

        Process sleeper = new ProcessBuilder("sleep", "60").start();
        assertThat(Postmasters.isAlive(sleeper.pid())).isTrue();
        assertThat(Postmasters.kill9(sleeper.pid(), true, Duration.ofSeconds(10))).isTrue();
        sleeper.waitFor();
        assertThat(Postmasters.isAlive(sleeper.pid())).isFalse();
        assertThat(Postmasters.isAlive(Long.MAX_VALUE)).isFalse();
    }

    @Test
    void findsAPortFreeOnLoopback() throws IOException {
        int port = Postmasters.freePort();

        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(socket.getLocalPort()).isEqualTo(port);
        }
    }
}
