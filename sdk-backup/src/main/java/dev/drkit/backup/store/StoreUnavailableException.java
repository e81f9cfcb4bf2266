package dev.drkit.backup.store;

import dev.drkit.backup.BackupException;
import org.jspecify.annotations.Nullable;

import java.util.Map;

/**
 * Thrown when a store cannot be used at all: an S3 endpoint that cannot be reached, a missing bucket, refused
 * credentials or permissions, a store root that is not a writable directory.
 *
 * <p>The message names the store's location and what was being done, and never holds a credential; the cause,
 * when there is one, is the underlying failure.
 *
 * @since 0.1
 */
public final class StoreUnavailableException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened, naming the store and, where there is one, the backup; never a secret
     * @param context named facts such as {@code store} and {@code backup}
     * @param cause   the underlying failure, or {@code null}
     */
    public StoreUnavailableException(String message, Map<String, String> context, @Nullable Throwable cause) {
        super(message, Kind.ENVIRONMENT, context, cause);
    }
}
