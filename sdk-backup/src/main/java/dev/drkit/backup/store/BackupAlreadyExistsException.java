package dev.drkit.backup.store;

import dev.drkit.backup.BackupException;

import java.util.Map;

/**
 * Thrown when a backup with the same id already exists in the store; ids never repeat, so this points to a copied store or a clock far off.
 *
 * @since 0.1
 */
public final class BackupAlreadyExistsException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened, naming the store and the backup; never a secret
     * @param context named facts such as {@code store} and {@code backup}
     */
    public BackupAlreadyExistsException(String message, Map<String, String> context) {
        super(message, Kind.DATA, context, null);
    }
}
