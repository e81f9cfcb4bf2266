package dev.drkit.backup.store;

import dev.drkit.backup.BackupException;

import java.util.Map;

/**
 * Thrown when a backup or one of its objects does not exist in the store, or is not complete.
 *
 * @since 0.1
 */
public final class NoSuchBackupException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened, naming the store and the backup; never a secret
     * @param context named facts such as {@code store} and {@code backup}
     */
    public NoSuchBackupException(String message, Map<String, String> context) {
        super(message, Kind.DATA, context, null);
    }
}
