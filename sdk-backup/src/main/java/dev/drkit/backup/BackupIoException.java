package dev.drkit.backup;

import org.jspecify.annotations.Nullable;

import java.util.Map;

/**
 * The environment stopped a backup operation: the source could not be read, the store could not be read or
 * written (a full disk, a refused permission, an unreachable bucket), or a restore target could not be written.
 * Nothing is wrong with the data; try again once the cause is fixed.
 *
 * <p>Always {@link Kind#ENVIRONMENT} (exit code 3). A failed backup leaves nothing listed in the store; a failed
 * restore leaves the target as it was. {@link #context()} holds {@code operation} ({@code backup},
 * {@code restore}, {@code verify}, {@code list}) and, where known, {@code backup}, {@code store} and
 * {@code target}.
 *
 * @since 0.1
 */
public class BackupIoException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what could not be done and where; never a secret
     * @param context named facts; never a secret
     * @param cause   the underlying failure
     */
    public BackupIoException(String message, Map<String, String> context, @Nullable Throwable cause) {
        super(message, Kind.ENVIRONMENT, context, cause);
    }
}
