package dev.drkit.backup.postgres.internal;

import dev.drkit.backup.postgres.PgToolException;
import dev.drkit.core.internal.Text;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** Runs a tool to completion, keeping its standard output and error (together, the last 256 KiB). */
public final class ToolRunner {

    private static final int MAX_OUTPUT = 256 * 1024;

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "drkit-tool-timeout");
        thread.setDaemon(true);
        return thread;
    });

    private ToolRunner() {
    }

    /**
     * Passes writes to a tool's standard input until the tool stops reading (the pipe breaks), then drops them: the
     * writer learns of the tool's end from its exit code, not from an exception halfway through its own work. Once
     * the tool was killed at its timeout, though, a write throws: nothing is waiting for the rest, and writing it to
     * nowhere would read and decrypt a whole backup past the deadline.
     */
    private static final class UntilClosedOutputStream extends FilterOutputStream {
        private final String killedMessage;
        private final AtomicBoolean killed;
        private boolean broken;

        UntilClosedOutputStream(OutputStream out, AtomicBoolean killed, String killedMessage) {
            super(out);
            this.killed = killed;
            this.killedMessage = killedMessage;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (killed.get()) {
                throw new IOException(killedMessage);
            }
            if (broken) {
                return;
            }
            try {
                out.write(bytes, offset, length);
            } catch (IOException e) {
                broken = true;
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void flush() {
            if (!broken) {
                try {
                    out.flush();
                } catch (IOException e) {
                    broken = true;
                }
            }
        }

        @Override
        public void close() {
            flush();
            try {
                out.close();
            } catch (IOException e) {
                // the tool is gone: its exit code tells
            }
        }
    }

    /** What a run did. */
    public record Result(int exitCode, String output, @Nullable RuntimeException inputFailure) {
        /** A run without input. */
        public Result(int exitCode, String output) {
            this(exitCode, output, null);
        }

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
        return run(command, environment, timeout, null);
    }

    /** What writes a tool's standard input; it is closed afterwards. */
    @FunctionalInterface
    public interface Input {
        /** Writes the input; what it throws is kept for the caller ({@link Result#inputFailure()}). */
        void writeTo(OutputStream stdin) throws IOException;
    }

    /**
     * Runs {@code command} with {@code environment}, its standard input written by {@code input} on this thread (or
     * empty when {@code input} is null); a run longer than {@code timeout} is killed (exit code -1), also while its
     * input is being written. When the tool stops reading (it exited), the rest of the input is written to nowhere,
     * so {@code input} still runs to its end; once the tool was killed at the timeout, {@code input}'s next write
     * throws instead (its failure is the result's {@link Result#inputFailure()}).
     *
     * @throws PgToolException if the tool cannot be started
     */
    public static Result run(List<String> command, Map<String, String> environment, Duration timeout,
                             @Nullable Input input) {
        String tool = new File(command.get(0)).getName();
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(environment);
        if (input == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
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
        long deadline = System.nanoTime() + timeout.toNanos();
        @Nullable RuntimeException inputFailure = null;
        AtomicBoolean killed = new AtomicBoolean();
        if (input != null) {
            // the timeout holds while the input is written too: a tool that stops reading is killed at the deadline
            ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
                killed.set(true);
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
            try (OutputStream stdin = new UntilClosedOutputStream(process.getOutputStream(), killed, tool
                + " was killed at its timeout of " + timeout.toSeconds() + " s; the rest of its input was not written")) {
                input.writeTo(stdin);
            } catch (IOException | RuntimeException e) {
                inputFailure = e instanceof RuntimeException r ? r : new UncheckedIOException(e.getMessage(),
                    (IOException) e);
            } finally {
                watchdog.cancel(false);
            }
        }
        try {
            boolean finished = process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            drain.join(TimeUnit.SECONDS.toMillis(10));
            synchronized (out) {
                byte[] all = out.toByteArray();
                int from = Math.max(0, all.length - MAX_OUTPUT);
                return new Result(finished && !killed.get() ? process.exitValue() : -1,
                    new String(all, from, all.length - from, StandardCharsets.UTF_8), inputFailure);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new PgToolException(tool + " was interrupted", tool, -1, "", Map.of(), e);
        }
    }
}
