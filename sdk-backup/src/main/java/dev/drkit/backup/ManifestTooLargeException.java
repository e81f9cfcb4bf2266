package dev.drkit.backup;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A backup was refused because its source directory has more entries than {@link BackupManifest#MAX_ENTRIES}, the
 * most a restore holds in memory, or because its manifest would be larger than {@link BackupManifest#MAX_BYTES}
 * (the most any drkit reads back), which a backup of very many parts can reach. Nothing was kept in the store;
 * earlier backups are untouched.
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
     * @param limit    the limit passed: the most entries, or the largest manifest in bytes
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
        context.put("limit", Long.toString(limit));
        return context;
    }

    /** How many entries had been read from the source when the backup was refused (at least this many in all). */
    public long entries() {
        return entries;
    }

    /**
     * The limit passed: the most entries a directory backup may have ({@link BackupManifest#MAX_ENTRIES}), or for a
     * manifest that would have been too large to write, its largest size in bytes.
     */
    public long limit() {
        return limit;
    }
}
