package dev.drkit.backup;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A backup was refused because its manifest would be larger than {@link BackupManifest#MAX_BYTES}, the most any
 * drkit reads back: the source directory has too many entries (or too long names) for one backup. Nothing was
 * kept in the store; earlier backups are untouched.
 *
 * <p>Split the tree into several backups (one per subdirectory), or archive it yourself and back up the archive as
 * a file or stream ({@code tar -c DIR | ...}, {@link BackupSource#stream}), whose manifest lists no entries. See
 * {@code docs/backup.md} for the practical number of entries.
 *
 * <p>{@link Kind#DATA} (exit code 1): the source cannot be backed up in this form; nothing in the environment
 * would change that.
 *
 * @since 0.1
 */
public class ManifestTooLargeException extends BackupException {

    private static final long serialVersionUID = 1L;

    private final long entries;
    private final long limit;

    /**
     * @param backupId the refused backup's id
     * @param entries  how many entries had been read from the source when the backup was refused
     * @param limit    the largest manifest allowed, in bytes
     * @param message  what happened and what to do
     */
    public ManifestTooLargeException(String backupId, long entries, long limit, String message) {
        super(message, Kind.DATA, context(backupId, entries, limit), null);
        this.entries = entries;
        this.limit = limit;
    }

    private static Map<String, String> context(String backupId, long entries, long limit) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("operation", "backup");
        context.put("backup", backupId);
        context.put("entries", Long.toString(entries));
        context.put("limitBytes", Long.toString(limit));
        return context;
    }

    /** How many entries had been read from the source when the backup was refused (at least this many in all). */
    public long entries() {
        return entries;
    }

    /** The largest manifest allowed, in bytes. */
    public long limit() {
        return limit;
    }
}
