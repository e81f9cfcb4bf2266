package dev.drkit.backup;

import java.util.Map;

/**
 * A backup was refused because its source holds something drkit cannot back up so that it restores as it was:
 * two names in one directory that read as the same path (names that are not valid UTF-8, each read with a
 * replacement character). Nothing was kept in the store; earlier backups are untouched. Rename them, or archive the
 * directory yourself ({@code tar -c DIR | ...}) and back that up as a stream.
 *
 * <p>{@link Kind#DATA} (exit code 1): the source cannot be backed up in this form.
 *
 * @since 0.1
 */
public class UnsupportedSourceException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what the source holds and what to do
     * @param context named facts such as {@code backup} and {@code path}
     */
    public UnsupportedSourceException(String message, Map<String, String> context) {
        super(message, Kind.DATA, context, null);
    }
}
