package dev.drkit.backup.postgres.internal;

import dev.drkit.backup.postgres.PgToolException;
import dev.drkit.core.internal.Text;
import dev.drkit.core.secret.Secret;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.File;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of a PostgreSQL client tool whose standard output is the data: started with an explicit environment
 * ({@link ChildEnvironment}), standard input from {@code /dev/null}, standard error drained by a thread into a
 * bounded tail. {@link #stdout()} reads the data; at its end it waits for the tool and throws
 * {@link PgToolException} unless the tool exited with 0, so a tool that fails or is killed never yields a stream
 * that merely looks complete. {@link #close()} kills a tool still running and runs the cleanup (the
 * {@code PGPASSFILE}, a connection) whatever happened.
 */
public final class ToolProcess implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ToolProcess.class);
    private static final int TAIL_LINES = 200;

    private final String tool;
    private final String what;
    private final Process process;
    private final Thread drain;
    private final Deque<String> stderr = new ArrayDeque<>();
    private final List<String> allMatching = new ArrayList<>();
    private final @Nullable Secret mask;
    private final Map<String, String> context;
    private final List<AutoCloseable> cleanup;
    private final InputStream stdout;
    private volatile boolean succeeded;
    private boolean closed;

    private ToolProcess(String tool, String what, Process process, @Nullable Secret mask, Map<String, String> context,
                        List<AutoCloseable> cleanup) {
        this.tool = tool;
        this.what = what;
        this.process = process;
        this.mask = mask;
        this.context = context;
        this.cleanup = cleanup;
        this.drain = new Thread(this::drainStderr, "drkit-" + tool + "-stderr-" + process.pid());
        this.drain.setDaemon(true);
        this.drain.start();
        this.stdout = new Checked(process.getInputStream());
    }

    /**
     * Starts {@code command}.
     *
     * @param what    what the run does, for messages ("pg_dump of database 'orders' on backup@db1:5432")
     * @param mask    a secret to mask should it appear in the tool's messages
     * @param cleanup closed by {@link #close()}, in order, also when starting fails
     * @throws PgToolException if the tool cannot be started (the cleanup has run)
     */
    public static ToolProcess start(List<String> command, Map<String, String> environment, String what,
                                    @Nullable Secret mask, Map<String, String> context, List<AutoCloseable> cleanup) {
        String tool = new File(command.get(0)).getName();
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().putAll(environment);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        try {
            Process process = pb.start();
            log.debug("{} started (pid {}) for {}", tool, process.pid(), what);
            return new ToolProcess(tool, what, process, mask, context, cleanup);
        } catch (IOException e) {
            closeAll(cleanup);
            throw new PgToolException(what + " failed: " + tool + " could not be started (" + e.getMessage() + ")",
                tool, -1, "", context, e);
        }
    }

    /** The tool's standard output; see the class comment for its end. */
    public InputStream stdout() {
        return stdout;
    }

    /** The process id, for tests and logs. */
    public long pid() {
        return process.pid();
    }

    /** Whether the tool exited with 0 and its output was read to the end. */
    public boolean succeeded() {
        return succeeded;
    }

    /** Every line of standard error that contains {@code text}, masked; complete once the tool exited. */
    public List<String> stderrLines(String text) {
        synchronized (stderr) {
            return allMatching.stream().filter(l -> l.contains(text)).toList();
        }
    }

    /** The last lines of standard error, masked. */
    public String stderrTail(int lines) {
        synchronized (stderr) {
            return Text.tail(String.join("\n", stderr), lines);
        }
    }

    private void drainStderr() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(),
            StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String masked = masked(line);
                synchronized (stderr) {
                    stderr.addLast(masked);
                    if (stderr.size() > TAIL_LINES) {
                        stderr.removeFirst();
                    }
                    if (masked.contains("write-ahead log") && allMatching.size() < 100) {
                        allMatching.add(masked);
                    }
                }
            }
        } catch (IOException e) {
            // the tool went away; what was read is the tail
        }
    }

    private String masked(String line) {
        if (mask == null || mask.isClosed() || mask.length() < 4) {
            return line;
        }
        return mask.withChars(chars -> {
            String secret = new String(chars);
            return line.contains(secret) ? line.replace(secret, "***") : line;
        });
    }

    /** Waits for the tool once its output ended; throws unless it exited with 0. */
    private void finish() throws IOException {
        int exit;
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw failure(-1, tool + " closed its output but did not exit within 60 s (killed)");
            }
            exit = process.exitValue();
            drain.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for " + tool);
        }
        if (exit != 0) {
            throw failure(exit, exit > 128 ? tool + " was killed by signal " + (exit - 128)
                : tool + " exited with code " + exit);
        }
        succeeded = true;
        log.debug("{} (pid {}) exited with 0 for {}", tool, process.pid(), what);
    }

    private PgToolException failure(int exit, String how) {
        String tail = stderrTail(20);
        String lastLines = Text.oneLine(Text.tail(tail, 3).replace('\n', ' '), 400);
        return new PgToolException(what + " failed: " + how + (lastLines.isBlank() ? "" : ": " + lastLines)
            + "; nothing was kept", tool, exit, tail, context, null);
    }

    /** Kills the tool if it still runs, then runs the cleanup. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            try {
                process.getInputStream().close();
            } catch (IOException ignored) {
                // closing a pipe to a dead child
            }
        } finally {
            closeAll(cleanup);
        }
    }

    private static void closeAll(List<AutoCloseable> cleanup) {
        for (AutoCloseable c : cleanup) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("Cleanup after a PostgreSQL tool failed: {}", e.getClass().getSimpleName());
            }
        }
    }

    /** The output, checked at its end. */
    private final class Checked extends FilterInputStream {
        private boolean ended;

        Checked(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
                end();
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n < 0) {
                end();
            }
            return n;
        }

        private void end() throws IOException {
            if (!ended) {
                ended = true;
                finish();
            }
        }

        @Override
        public void close() {
            ToolProcess.this.close();
        }
    }
}
