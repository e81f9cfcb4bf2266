package dev.drkit.cli;

import dev.drkit.core.DrkitException;

/**
 * The exit codes of the {@code drkit} command.
 *
 * @since 0.1
 */
public final class ExitCodes {

    /** Everything worked, and every check passed. */
    public static final int OK = 0;
    /** A verification failed, or something is wrong with the data. */
    public static final int DATA = 1;
    /** The command line was wrong. */
    public static final int USAGE = 2;
    /** The environment stopped the command: unreachable, permission, missing tool, timeout. */
    public static final int ENVIRONMENT = 3;
    /**
     * {@code drkit wal-fetch} only: the archive has no file of that name. PostgreSQL asks a {@code restore_command}
     * for files that do not exist (the next timeline's history, the segment after the newest), so this is quiet.
     */
    public static final int NOT_FOUND = 4;
    /** drkit hit a state it cannot handle (EX_SOFTWARE). */
    public static final int INTERNAL = 70;

    private ExitCodes() {
    }

    /**
     * The exit code for a failure: a usage error is 2, a drkit exception's kind decides, running out of memory is an
     * environment error (the heap is too small for the job), anything else is internal.
     */
    public static int of(Throwable failure) {
        if (failure instanceof picocli.CommandLine.ParameterException) {
            return USAGE;
        }
        if (failure instanceof OutOfMemoryError) {
            return ENVIRONMENT;
        }
        if (failure instanceof DrkitException) {
            return ((DrkitException) failure).kind().exitCode();
        }
        return INTERNAL;
    }
}
