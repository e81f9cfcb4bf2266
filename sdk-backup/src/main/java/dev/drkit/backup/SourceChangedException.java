package dev.drkit.backup;

import java.util.Map;

/**
 * A file changed (its size or modification time) while a backup was reading it, so the backup would hold a torn
 * copy. The backup is abandoned and nothing is listed in the store; run it again when the file is quiet, or back
 * up a snapshot (LVM, ZFS, a database dump) instead of live files.
 *
 * <p>{@link Kind#ENVIRONMENT} (exit code 3): the data source is busy, nothing stored is wrong.
 *
 * @since 0.1
 */
public class SourceChangedException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message which file changed and how
     * @param context named facts such as {@code path}
     */
    public SourceChangedException(String message, Map<String, String> context) {
        super(message, Kind.ENVIRONMENT, context, null);
    }
}
