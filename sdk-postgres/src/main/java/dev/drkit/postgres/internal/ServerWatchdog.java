package dev.drkit.postgres.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Stops a cluster's server and deletes its directory when this JVM dies without closing the cluster (SIGKILL, the
 * OOM killer, a crash), which no shutdown hook survives: a small {@code sh} process, one per cluster for the
 * cluster's whole life, whose standard input is a pipe that only this JVM holds open. The JVM writes a line to it
 * whenever the server's process changes, and {@code close} when the cluster is closed, at which the watchdog exits
 * without doing anything. When the pipe ends without {@code close}, the JVM is gone: the watchdog sends the
 * postmaster SIGQUIT (an immediate shutdown), SIGKILL to it and its children if it is still there after 10
 * seconds, waits until it is gone and then, if asked, deletes the directory ({@code rm -rf --one-file-system},
 * which never follows a link).
 *
 * <p>Signals go only to the process that the JVM named, by its pid and start time ({@code /proc/PID/stat}), so a
 * later process that got the same pid is left alone. SIGQUIT reaches the postmaster although this JVM's children
 * may start with it blocked (HotSpot blocks it in most of its threads): the postmaster sets its own signal mask. The watchdog runs as the JVM's user, so a root JVM's watchdog
 * can stop a server that runs as another user and delete root's directory. It runs in a session of its own
 * ({@code setsid}, where there is one), so a signal to the JVM's process group or terminal does not take it along;
 * its argv holds only the script, the directory and whether to delete it, its environment only {@code PATH} and
 * {@code LC_ALL}, and it uses only {@code sh}, {@code kill}, {@code sleep} and {@code rm}. What it does is appended
 * to the server's log.
 *
 * <p>Thread-safe: a line is written under this object's lock, which is never held while waiting for anything else
 * (a shutdown hook may take it).
 */
public final class ServerWatchdog {

    /** The watchdog's {@code $0}, by which {@code ps} and tests can tell it: {@value}. */
    public static final String NAME = "drkit-pg-watchdog";

    private static final Logger log = LoggerFactory.getLogger(ServerWatchdog.class);
    private static final Path SH = Path.of("/bin/sh");
    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

    /*
     * $1 is the directory, $2 is 1 to delete it. Lines on stdin: "launch PID TICKS" (a server process was started:
     * the postmaster, or setpriv/runuser on the way to it), "run PID TICKS" (the postmaster runs), "down" (no server
     * runs), "close" (exit, doing nothing). TICKS is the start time from /proc/PID/stat (field 22). The end of stdin
     * without "close" means the JVM is gone. A launcher whose name is not postgres is runuser (or setpriv before its
     * exec): the postmaster is its child.
     */
    private static final String SCRIPT = """
        trap '' INT HUP
        dir=$1 delete=$2 lp= lt= pp= pt=
        readstat() {
            case $1 in ''|*[!0-9]*) return 1 ;; esac
            s=
            { read -r s < "/proc/$1/stat"; } 2>/dev/null
            [ -n "$s" ] || return 1
            set -- ${s##*) }
            [ $# -ge 20 ] || return 1
            st=$1 pa=$2
            shift 19
            t=$1
        }
        alive() {
            readstat "$1" || return 1
            case $st in Z|X|x) return 1 ;; esac
            [ "$t" = "$2" ]
        }
        children() {
            kids=
            for f in /proc/[0-9]*/stat; do
                f=${f#/proc/}
                f=${f%/stat}
                if readstat "$f" && [ "$pa" = "$1" ]; then
                    kids="$kids $f"
                fi
            done
        }
        gone() {
            i=0
            while alive "$1" "$2"; do
                [ "$i" -lt "$3" ] || return 1
                i=$((i + 1))
                sleep 0.1
            done
        }
        stop() {
            alive "$1" "$2" || return 0
            echo "drkit watchdog: the JVM is gone; stopping server process $1 (SIGQUIT)"
            kill -QUIT "$1" 2>/dev/null
            gone "$1" "$2" 100 && return 0
            children "$1"
            echo "drkit watchdog: process $1 is still running; SIGKILL to it and its children$kids"
            kill -KILL "$1" $kids 2>/dev/null
            gone "$1" "$2" 100
            for k in $kids; do
                readstat "$k" && gone "$k" "$t" 50
            done
        }
        while read -r cmd pid ticks; do
            case $cmd in
                launch) lp=$pid lt=$ticks pp= pt= ;;
                run) pp=$pid pt=$ticks ;;
                down) lp= lt= pp= pt= ;;
                close) exit 0 ;;
            esac
        done
        [ -z "$pp" ] || stop "$pp" "$pt"
        if [ -n "$lp" ] && alive "$lp" "$lt"; then
            c=
            { read -r c < "/proc/$lp/comm"; } 2>/dev/null
            if [ "$c" != postgres ]; then
                children "$lp"
                for k in $kids; do
                    readstat "$k" && stop "$k" "$t"
                done
            fi
            stop "$lp" "$lt"
        fi
        if [ "$delete" = 1 ] && [ -n "$dir" ]; then
            echo "drkit watchdog: deleting $dir"
            rm -rf --one-file-system -- "$dir"
        fi
        """;

    private final String component;
    private final Process process;
    private final OutputStream commands;
    /** Guarded by this. */
    private boolean dismissed;
    /** Guarded by this: a write failed (the watchdog is gone), said once at WARN. */
    private boolean broken;

    private ServerWatchdog(String component, Process process) {
        this.component = component;
        this.process = process;
        this.commands = process.getOutputStream();
    }

    /**
     * Starts the watchdog of a cluster whose files are all in {@code directory}.
     *
     * @param component         who it watches for, for log lines ({@code PostgreSQL cluster 'primary'})
     * @param directory         the cluster's directory
     * @param deleteDirectory   whether to delete the directory when the JVM is gone
     * @param output            where the watchdog writes what it does (appended; the server's log)
     * @return the watchdog; empty, after a WARN, if it cannot be started (the cluster then runs without one)
     */
    public static Optional<ServerWatchdog> start(String component, Path directory, boolean deleteDirectory,
                                                 Path output) {
        Objects.requireNonNull(component, "component");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(output, "output");
        List<String> command = new ArrayList<>();
        SETSID.stream().filter(Files::isExecutable).findFirst().ifPresent(setsid -> {
            command.add(setsid.toString());
            // Only if setsid had to fork (for a process-group leader, which the JVM's children are not): it then stays
            // until the watchdog exits, as the JVM closes a child's stdin when the child exits, which the watchdog
            // would take for the JVM's death.
            command.add("--wait");
        });
        command.addAll(List.of(SH.toString(), "-c", SCRIPT, NAME, directory.toAbsolutePath().toString(),
            deleteDirectory ? "1" : "0"));
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
        env.put("LC_ALL", "C");
        pb.directory(new File("/"));
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        try {
            ServerWatchdog watchdog = new ServerWatchdog(component, pb.start());
            log.debug("{}: watchdog {} started", component, watchdog.pid());
            return Optional.of(watchdog);
        } catch (IOException | RuntimeException e) {
            log.warn("{}: cannot start its watchdog ({}); if this JVM is killed, its server keeps running", component,
                e.toString());
            return Optional.empty();
        }
    }

    /** The watchdog's process id. */
    public long pid() {
        return process.pid();
    }

    /** A server process was started: the postmaster, or {@code setpriv}/{@code runuser} on the way to it. */
    public void launched(long pid) {
        OptionalLong ticks = Postmasters.startTicks(pid);
        if (ticks.isPresent()) {
            send("launch " + pid + " " + ticks.getAsLong());
        }
    }

    /** The postmaster {@code pid}, started at {@code startTicks} ({@link Postmasters#startTicks}), runs. */
    public void running(long pid, long startTicks) {
        send("run " + pid + " " + startTicks);
    }

    /** No server runs. */
    public void stopped() {
        send("down");
    }

    /**
     * Tells the watchdog to exit without doing anything, and waits up to {@code wait} until it has (so that it is
     * reaped); one still there after a wait longer than zero is killed. Idempotent; never throws.
     */
    public void dismiss(Duration wait) {
        synchronized (this) {
            if (dismissed) {
                return;
            }
            dismissed = true;
            try {
                commands.write("close\n".getBytes(StandardCharsets.US_ASCII));
                commands.flush();
            } catch (IOException e) {
                // gone already
            }
            try {
                commands.close();
            } catch (IOException e) {
                // gone already
            }
        }
        if (wait.isZero()) {
            return;
        }
        try {
            if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("{}: watchdog {} did not exit within {} ms; killing it", component, process.pid(),
                    wait.toMillis());
                process.destroyForcibly();
                process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** For tests: ends the pipe without {@code close}, as this JVM's death would. */
    synchronized void abandon() {
        dismissed = true;
        try {
            commands.close();
        } catch (IOException e) {
            // gone already
        }
    }

    /** For tests: waits until the watchdog has exited. */
    boolean awaitExit(Duration wait) throws InterruptedException {
        return process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void send(String line) {
        if (dismissed) {
            return;
        }
        try {
            // One write of a line shorter than PIPE_BUF: the watchdog never reads half of it.
            commands.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            commands.flush();
        } catch (IOException e) {
            if (!broken) {
                broken = true;
                log.warn("{}: its watchdog {} is gone ({}); if this JVM is killed, its server keeps running", component,
                    process.pid(), describeExit());
            }
        }
    }

    private String describeExit() {
        return process.isAlive() ? "still running, but not reading" : "exited with code " + process.exitValue();
    }

    @Override
    public String toString() {
        return "ServerWatchdog[" + component + ", pid " + process.pid() + "]";
    }
}
