package dev.drkit.backup.store;

import dev.drkit.backup.BackupException;

import java.util.Map;

/**
 * Thrown when another writer held the store's writer lock for longer than the lock timeout.
 *
 * @since 0.1
 */
public final class StoreLockedException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened, naming the store and the backup; never a secret
     * @param context named facts such as {@code store} and {@code backup}
     */
    public StoreLockedException(String message, Map<String, String> context) {
        super(message, Kind.ENVIRONMENT, context, null);
    }
}
