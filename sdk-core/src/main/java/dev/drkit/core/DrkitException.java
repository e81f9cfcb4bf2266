package dev.drkit.core;

import org.jspecify.annotations.Nullable;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The root of every exception drkit throws on purpose.
 *
 * <p>Each instance says what kind of failure it is ({@link Kind}, which the {@code drkit} command turns into
 * its exit code) and carries the context an operator needs to act on it as named values ({@code host},
 * {@code backupId}, {@code file}, {@code segment}, ...), readable through {@link #context()} so code does not
 * parse messages. Messages and context never hold secret values: subclasses take secrets as
 * {@code Secret}s, never as strings, precisely so they cannot be formatted into a message.
 *
 * <p>Invalid arguments and configuration are programmer errors and use {@link IllegalArgumentException}
 * and {@link IllegalStateException} instead.
 *
 * @since 0.1
 */
public abstract class DrkitException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * What went wrong, in the terms of the CLI's exit codes.
     *
     * @since 0.1
     */
    public enum Kind {
        /** The data is wrong: a verification failed, a checksum did not match, a segment is missing. Exit 1. */
        DATA(1),
        /** The environment is wrong: a host is unreachable, a permission is missing, a tool is absent. Exit 3. */
        ENVIRONMENT(3),
        /** An operation ran out of time or budget: a deadline passed, a retry budget ran out. Exit 3. */
        TIMEOUT(3),
        /** drkit itself hit a state it cannot handle; a bug report is welcome. Exit 70 (EX_SOFTWARE). */
        INTERNAL(70);

        private final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }

        /** The exit code the {@code drkit} command uses for this kind. */
        public int exitCode() {
            return exitCode;
        }
    }

    private final Kind kind;
    private final Map<String, String> context;

    /**
     * @param message what happened, naming the component and the numbers an operator needs; never a secret
     * @param kind    what kind of failure this is
     * @param context named facts (host, file, segment, ...); copied; never a secret
     * @param cause   the underlying failure, or {@code null}
     */
    protected DrkitException(String message, Kind kind, Map<String, String> context, @Nullable Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.context = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(context, "context")));
    }

    /** What kind of failure this is. */
    public Kind kind() {
        return kind;
    }

    /** The named facts of this failure (host, file, backupId, segment, ...), in the order they were given. */
    public Map<String, String> context() {
        return context;
    }
}
