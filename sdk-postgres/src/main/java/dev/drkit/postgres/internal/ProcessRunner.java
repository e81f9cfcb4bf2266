package dev.drkit.postgres.internal;

import dev.drkit.core.EnvironmentException;
import dev.drkit.core.internal.Text;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Starts PostgreSQL's programs as children: as the {@link RunAs} user, with a small explicit environment
 * (never the JVM's, so no {@code PGPASSWORD} or {@code PGHOST} leaks in), and never with a secret in argv or
 * the environment: passwords travel in files named by {@code PGPASSFILE} or {@code --pwfile}. Thread-safe.
 */
public final class ProcessRunner {

    private static final Logger log = LoggerFactory.getLogger(ProcessRunner.class);
    private static final int MAX_OUTPUT = 64 * 1024;

    private final String component;
    private final RunAs runAs;
    private final Path binDirectory;
    private final Path home;

    /**
     * @param component    who runs the programs, for log lines ({@code PostgreSQL cluster 'primary'})
     * @param runAs        the user to run as
     * @param binDirectory put first on the children's {@code PATH}
     * @param home         the children's {@code HOME}, so no user's {@code ~/.pgpass} or {@code ~/.psqlrc} is read
     */
    public ProcessRunner(String component, RunAs runAs, Path binDirectory, Path home) {
        this.component = Objects.requireNonNull(component, "component");
        this.runAs = Objects.requireNonNull(runAs, "runAs");
        this.binDirectory = Objects.requireNonNull(binDirectory, "binDirectory");
        this.home = Objects.requireNonNull(home, "home");
    }

    /**
     * What a finished (or abandoned) child did: its output (the last 64 KiB), and, where {@link #runApart} kept them
     * apart, what it wrote on its standard error (the last 64 KiB; empty from {@link #run}, whose output has both).
     */
    public record Result(int exitCode, boolean timedOut, String output, String errors) {

        /** Whether the program exited with code 0 in time. */
        public boolean succeeded() {
            return !timedOut && exitCode == 0;
        }

        /** The last {@code lines} lines of the output, for exception messages. */
        public String tail(int lines) {
            return Text.tail(output, lines);
        }
    }

    /** The environment every child gets. */
    public static Map<String, String> environment(Path binDirectory, Path home) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", binDirectory + ":/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", home.toString());
        // C: stable, English messages that drkit can recognise; initdb gets --locale=C explicitly anyway.
        env.put("LANG", "C");
        env.put("LC_ALL", "C");
        String tz = System.getenv("TZ");
        if (tz != null && !tz.isBlank()) {
            env.put("TZ", tz);
        }
        return env;
    }

    /**
     * A process builder for {@code command}, wrapped for the {@link RunAs} user, with the explicit environment
     * plus {@code extraEnvironment} (file names only, never secret values).
     */
    public ProcessBuilder builder(List<String> command, Map<String, String> extraEnvironment) {
        ProcessBuilder pb = new ProcessBuilder(runAs.wrap(command));
        Map<String, String> env = pb.environment();
        env.clear();
        env.putAll(environment(binDirectory, home));
        env.putAll(extraEnvironment);
        pb.directory(home.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (log.isDebugEnabled()) {
            log.debug("{} runs {} with environment {}", component, pb.command(), env.keySet());
        }
        return pb;
    }

    /**
     * Runs {@code command} to completion, collecting its output (stdout and stderr together, the last 64 KiB).
     * A child still running after {@code timeout} is killed and reported as timed out.
     *
     * @throws EnvironmentException if the program cannot be started at all
     */
    public Result run(List<String> command, Map<String, String> extraEnvironment, Duration timeout) {
        return execute(command, extraEnvironment, timeout, false);
    }

    /**
     * As {@link #run}, with the standard output and the standard error kept apart: for a program whose output is
     * data (psql's rows), where a warning the server sends (a collation version mismatch on every connection) must
     * not read as a row.
     */
    public Result runApart(List<String> command, Map<String, String> extraEnvironment, Duration timeout) {
        return execute(command, extraEnvironment, timeout, true);
    }

    private Result execute(List<String> command, Map<String, String> extraEnvironment, Duration timeout,
                           boolean apart) {
        ProcessBuilder pb = builder(command, extraEnvironment).redirectErrorStream(!apart);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new EnvironmentException(component + " cannot start " + command.get(0) + ": " + e.getMessage(),
                Map.of("tool", command.get(0)), e);
        }
        OutputCollector output = collect(process.getInputStream(), "drkit-pg-output-" + process.pid());
        OutputCollector errors = apart ? collect(process.getErrorStream(), "drkit-pg-errors-" + process.pid()) : null;
        try {
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            output.thread.join(TimeUnit.SECONDS.toMillis(5));
            if (errors != null) {
                errors.thread.join(TimeUnit.SECONDS.toMillis(5));
            }
            int exit = finished ? process.exitValue() : -1;
            log.debug("{}: {} exited with {}{}", component, command.get(0), exit, finished ? "" : " (timed out)");
            return new Result(exit, !finished, output.text(), errors == null ? "" : errors.text());
        } catch (InterruptedException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new EnvironmentException(component + " was interrupted while waiting for " + command.get(0),
                Map.of("tool", command.get(0)), e);
        }
    }

    private static OutputCollector collect(InputStream in, String threadName) {
        OutputCollector collector = new OutputCollector(in, threadName);
        collector.thread.start();
        return collector;
    }

    private static final class OutputCollector implements Runnable {
        private final InputStream in;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        final Thread thread;

        OutputCollector(InputStream in, String threadName) {
            this.in = in;
            this.thread = new Thread(this, threadName);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            byte[] chunk = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(chunk)) >= 0) {
                    synchronized (buffer) {
                        buffer.write(chunk, 0, n);
                        if (buffer.size() > 2 * MAX_OUTPUT) {
                            byte[] all = buffer.toByteArray();
                            buffer.reset();
                            buffer.write(all, all.length - MAX_OUTPUT, MAX_OUTPUT);
                        }
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                // the child went away; what was read so far is the output
            }
        }

        String text() {
            synchronized (buffer) {
                byte[] all = buffer.toByteArray();
                int from = Math.max(0, all.length - MAX_OUTPUT);
                return new String(all, from, all.length - from, StandardCharsets.UTF_8);
            }
        }
    }
}
