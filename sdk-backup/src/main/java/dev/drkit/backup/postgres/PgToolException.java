package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupException;
import org.jspecify.annotations.Nullable;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A PostgreSQL client tool ({@code pg_dump}, {@code pg_dumpall}, {@code pg_basebackup}, {@code pg_restore},
 * {@code pg_verifybackup}) could not be started, exited with a non-zero code or was killed. A backup that sees
 * this keeps nothing. {@link Kind#ENVIRONMENT}: the CLI exits 3.
 *
 * <p>{@link #stderrTail()} has the last lines the tool wrote to standard error, which name the cause ("password
 * authentication failed", "could not connect", "permission denied"); the tools never print the password, and drkit
 * masks it should it appear.
 *
 * @since 0.1
 */
public class PgToolException extends BackupException {

    private static final long serialVersionUID = 1L;

    private final String tool;
    private final int exitCode;
    private final String stderrTail;

    /**
     * @param message    what failed; never a secret
     * @param tool       the tool's name, {@code pg_dump} say
     * @param exitCode   its exit code; 128 + n when killed by signal n; -1 if it did not start
     * @param stderrTail the last lines of its standard error (masked)
     * @param context    further named facts (host, database); never a secret
     * @param cause      the underlying failure, or {@code null}
     */
    public PgToolException(String message, String tool, int exitCode, String stderrTail, Map<String, String> context,
                           @Nullable Throwable cause) {
        super(message, Kind.ENVIRONMENT, with(context, tool, exitCode), cause);
        this.tool = tool;
        this.exitCode = exitCode;
        this.stderrTail = stderrTail;
    }

    private static Map<String, String> with(Map<String, String> context, String tool, int exitCode) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("tool", tool);
        all.put("exitCode", Integer.toString(exitCode));
        all.putAll(context);
        return all;
    }

    /** The tool's name. */
    public String tool() {
        return tool;
    }

    /** Its exit code: 128 + n when killed by signal n, -1 if it did not start. */
    public int exitCode() {
        return exitCode;
    }

    /** Whether it was killed by a signal. */
    public boolean killed() {
        return exitCode > 128;
    }

    /** The last lines it wrote to standard error, the password masked. */
    public String stderrTail() {
        return stderrTail;
    }
}
