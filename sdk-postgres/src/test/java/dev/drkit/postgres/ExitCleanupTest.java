package dev.drkit.postgres;

import dev.drkit.postgres.internal.Postmasters;
import dev.drkit.postgres.internal.ServerWatchdog;
import dev.drkit.postgres.internal.Trees;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JVM that exits without closing its cluster leaves neither a server nor files behind; nor does one killed with
 * SIGKILL, which runs no shutdown hook.
 */
class ExitCleanupTest {

    /** How long a killed JVM's servers may take to go: a bound on the wait, not a timing requirement. */
    private static final Duration GONE_WITHIN = Duration.ofSeconds(30);

    @Test
    void killsAndDeletesClustersLeftOpenWhenTheJvmExits() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
            UnclosedClusterMain.class.getName()).redirectErrorStream(true).start();
        child.getOutputStream().close();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();

        assertThat(child.exitValue()).as(output).isZero();
        Matcher directory = Pattern.compile("DIRECTORY=(\\S+)").matcher(output);
        Matcher pid = Pattern.compile("PID=(\\d+)").matcher(output);
        assertThat(directory.find() && pid.find()).as(output).isTrue();
        assertThat(Path.of(directory.group(1))).doesNotExist();
        assertThat(Postmasters.isAlive(Long.parseLong(pid.group(1)))).isFalse();
        assertThat(output).contains("WARN").contains("PostgreSQL cluster 'unclosed' was not closed before the JVM exit");
        // The hook dismissed the watchdog, which exits on its own once it has read that.
        assertThat(eventually(() -> watchdogsOf(Path.of(directory.group(1))).isEmpty())).isTrue();
    }

    @Test
    void stopsTheServersAndDeletesTheDirectoriesOfAJvmKilledWithSigkill() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
            KilledJvmClustersMain.class.getName()).redirectErrorStream(true).start();
        child.getOutputStream().close();
        StringBuffer output = new StringBuffer();
        Thread reader = drain(child.getInputStream(), output);
        List<Server> servers = new ArrayList<>();
        try {
            assertThat(eventually(Duration.ofMinutes(4), () -> output.indexOf("READY") >= 0 || !child.isAlive()))
                .as(output::toString).isTrue();
            assertThat(output.indexOf("READY")).as(output::toString).isNotNegative();
            Matcher m = Pattern.compile("CLUSTER (\\S+) PID=(\\d+) TICKS=(\\d+) DIRECTORY=(\\S+)").matcher(output);
            while (m.find()) {
                servers.add(new Server(m.group(1), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                    Path.of(m.group(4))));
            }
            assertThat(servers).extracting(Server::name).containsExactly("killed-primary", "killed-replica",
                "killed-restarted", "killed-restored", "killed-kept");
            for (Server s : servers) {
                assertThat(Postmasters.isAlive(s.pid(), s.ticks())).as(s.name()).isTrue();
            }

            child.destroyForcibly(); // SIGKILL, as kill -9: no shutdown hook runs
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            reader.join(TimeUnit.SECONDS.toMillis(5));

            assertThat(eventually(() -> servers.stream().allMatch(s -> gone(s)))).as(output::toString).isTrue();
            for (Server s : servers) {
                assertThat(Postmasters.isAlive(s.pid(), s.ticks())).as(s.name()).isFalse();
                assertThat(watchdogsOf(s.directory())).as(s.name()).isEmpty();
                if (s.name().equals("killed-kept")) {
                    assertThat(s.directory()).as(s.name()).isDirectory();
                    assertThat(Files.readString(s.directory().resolve("server.log")))
                        .contains("drkit watchdog: the JVM is gone; stopping server process " + s.pid())
                        .contains("received immediate shutdown request").doesNotContain("SIGKILL");
                } else {
                    assertThat(s.directory()).as(s.name()).doesNotExist();
                }
            }
        } finally {
            child.destroyForcibly();
            for (Server s : servers) {
                // What a failed run left: nothing of it may outlive the test.
                if (Postmasters.isAlive(s.pid(), s.ticks())) {
                    Postmasters.kill9(s.pid(), true, Duration.ofSeconds(10));
                }
                Trees.deleteQuietly(s.directory());
            }
        }
    }

    @Test
    void keepsOneWatchdogPerClusterUntilCloseAndNoneAfterwards() throws Exception {
        Path directory;
        long watchdog;
        try (PgCluster cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("watched").build())) {
            directory = cluster.directory();
            List<Long> watchdogs = watchdogsOf(directory);
            assertThat(watchdogs).hasSize(1);
            watchdog = watchdogs.get(0);

            cluster.restart();

            assertThat(watchdogsOf(directory)).containsExactly(watchdog);
        }
        assertThat(watchdogsOf(directory)).isEmpty();
        // Reaped, not left a zombie: the pid has no /proc entry at all.
        assertThat(Path.of("/proc", Long.toString(watchdog))).doesNotExist();
        assertThat(directory).doesNotExist();
    }

    private record Server(String name, long pid, long ticks, Path directory) {
    }

    private static boolean gone(Server s) {
        return !Postmasters.isAlive(s.pid(), s.ticks()) && watchdogsOf(s.directory()).isEmpty()
            && (s.name().equals("killed-kept") || !Files.exists(s.directory()));
    }

    /** The live processes whose command line names {@link ServerWatchdog#NAME} and {@code directory}. */
    private static List<Long> watchdogsOf(Path directory) {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                if (!name.matches("[0-9]+")) {
                    continue;
                }
                try {
                    List<String> args = List.of(new String(Files.readAllBytes(entry.resolve("cmdline")),
                        StandardCharsets.UTF_8).split("\0"));
                    if (args.contains(ServerWatchdog.NAME) && args.contains(directory.toString())) {
                        pids.add(Long.parseLong(name));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return pids;
    }

    private static boolean eventually(BooleanSupplier condition) throws InterruptedException {
        return eventually(GONE_WITHIN, condition);
    }

    private static boolean eventually(Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    private static Thread drain(InputStream in, StringBuffer into) {
        Thread thread = new Thread(() -> {
            byte[] chunk = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(chunk)) >= 0) {
                    into.append(new String(chunk, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // the child is gone
            }
        }, "killed-jvm-output");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
