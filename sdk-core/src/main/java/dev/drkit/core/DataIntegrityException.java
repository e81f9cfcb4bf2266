package dev.drkit.core;

import org.jspecify.annotations.Nullable;

import java.util.Map;

/**
 * Data failed a check: a checksum or signature did not match, a file is truncated, a segment is missing.
 * Exit code 1 from the CLI. Whatever the failed operation would have replaced is left untouched.
 *
 * @since 0.1
 */
public class DataIntegrityException extends DrkitException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed and where; never a secret
     * @param context named facts such as {@code backupId}, {@code file}, {@code segment}; never a secret
     * @param cause   the underlying failure, or {@code null}
     */
    public DataIntegrityException(String message, Map<String, String> context, @Nullable Throwable cause) {
        super(message, Kind.DATA, context, cause);
    }
}
