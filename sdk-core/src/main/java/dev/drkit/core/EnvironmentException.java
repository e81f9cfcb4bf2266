package dev.drkit.core;

import org.jspecify.annotations.Nullable;

import java.util.Map;

/**
 * The environment stopped an operation: an unreachable host, a refused permission, a missing tool, a full
 * disk. Exit code 3 from the CLI.
 *
 * @since 0.1
 */
public class EnvironmentException extends DrkitException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened; never a secret
     * @param context named facts such as {@code host}, {@code file}, {@code tool}; never a secret
     * @param cause   the underlying failure, or {@code null}
     */
    public EnvironmentException(String message, Map<String, String> context, @Nullable Throwable cause) {
        super(message, Kind.ENVIRONMENT, context, cause);
    }

    /** An environment failure with no further context. */
    public EnvironmentException(String message, @Nullable Throwable cause) {
        this(message, Map.of(), cause);
    }
}
