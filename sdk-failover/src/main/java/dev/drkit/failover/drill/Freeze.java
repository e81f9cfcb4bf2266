package dev.drkit.failover.drill;

import dev.drkit.core.EnvironmentException;
import dev.drkit.postgres.PgCluster;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Freezes a local PostgreSQL server the way a hung host or a network partition looks to its clients: SIGSTOP to
 * the postmaster and every backend, so TCP connections are still accepted by the kernel and nothing answers,
 * and no connection is reset. {@link #thaw(PgCluster)} sends SIGCONT.
 *
 * @since 0.1
 */
public final class Freeze {

    private Freeze() {
    }

    /**
     * Sends SIGSTOP to the postmaster of {@code cluster} and all its descendants.
     *
     * @throws EnvironmentException if the server is not running or {@code kill} fails
     */
    public static void freeze(PgCluster cluster) {
        signal(cluster, "STOP");
    }

    /**
     * Sends SIGCONT to the postmaster of {@code cluster} and all its descendants.
     *
     * @throws EnvironmentException if the server is not running or {@code kill} fails
     */
    public static void thaw(PgCluster cluster) {
        signal(cluster, "CONT");
    }

    /**
     * Sends {@code signal} (a name {@code kill} knows: STOP, CONT, KILL) to the processes {@code pids}; processes
     * already gone are skipped.
     *
     * @throws EnvironmentException if {@code kill} fails
     */
    public static void signal(List<Long> pids, String signal) {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        for (long pid : pids) {
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                command.add(Long.toString(pid));
            }
        }
        if (command.size() == 2) {
            return;
        }
        run(command, signal, "processes " + pids, Map.of("pids", pids.toString()));
    }

    private static void signal(PgCluster cluster, String signal) {
        long pid = cluster.postmasterPid().orElseThrow(() -> new EnvironmentException(
            "PostgreSQL cluster '" + cluster.name() + "' is not running", Map.of("cluster", cluster.name()), null));
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal, Long.toString(pid)));
        ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> command.add(Long.toString(d.pid()))));
        run(command, signal, "PostgreSQL cluster '" + cluster.name() + "'",
            Map.of("cluster", cluster.name(), "pid", Long.toString(pid)));
    }

    private static void run(List<String> command, String signal, String what, Map<String, String> context) {
        try {
            Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new EnvironmentException("kill -" + signal + " failed for " + what, context, null);
            }
        } catch (IOException e) {
            throw new EnvironmentException("could not run kill", context, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnvironmentException("interrupted while signalling " + what, context, e);
        }
    }
}
