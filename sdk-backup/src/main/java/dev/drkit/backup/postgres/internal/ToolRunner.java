package dev.drkit.backup.postgres.internal;

import dev.drkit.backup.postgres.PgToolException;
import dev.drkit.core.internal.Text;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a tool to completion, keeping its standard output and error (together, the last 256 KiB). */
public final class ToolRunner {

    private static final int MAX_OUTPUT = 256 * 1024;

    private ToolRunner() {
    }

    /** What a run did. */
    public record Result(int exitCode, String output) {
        /** Whether it exited with 0. */
        public boolean succeeded() {
            return exitCode == 0;
        }

        /** The last {@code lines} lines of its output. */
        public String tail(int lines) {
            return Text.tail(output, lines);
        }
    }

    /**
     * Runs {@code command} with {@code environment}; a run longer than {@code timeout} is killed (exit code -1).
     *
     * @throws PgToolException if the tool cannot be started
     */
    public static Result run(List<String> command, Map<String, String> environment, Duration timeout) {
        String tool = new File(command.get(0)).getName();
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(environment);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new PgToolException(tool + " could not be started (" + e.getMessage() + ")", tool, -1, "", Map.of(),
                e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread drain = new Thread(() -> {
            byte[] chunk = new byte[8192];
            try (InputStream in = process.getInputStream()) {
                int n;
                while ((n = in.read(chunk)) >= 0) {
                    synchronized (out) {
                        out.write(chunk, 0, n);
                        if (out.size() > 2 * MAX_OUTPUT) {
                            byte[] all = out.toByteArray();
                            out.reset();
                            out.write(all, all.length - MAX_OUTPUT, MAX_OUTPUT);
                        }
                    }
                }
            } catch (IOException e) {
                // the tool went away
            }
        }, "drkit-" + tool + "-output");
        drain.setDaemon(true);
        drain.start();
        try {
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            drain.join(TimeUnit.SECONDS.toMillis(10));
            synchronized (out) {
                byte[] all = out.toByteArray();
                int from = Math.max(0, all.length - MAX_OUTPUT);
                return new Result(finished ? process.exitValue() : -1,
                    new String(all, from, all.length - from, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new PgToolException(tool + " was interrupted", tool, -1, "", Map.of(), e);
        }
    }
}
