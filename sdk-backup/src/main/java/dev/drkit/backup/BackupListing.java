package dev.drkit.backup;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What {@link BackupEngine#listAll()} found in a store: the backups whose manifests could be read, and those whose
 * manifests could not, each with why. Unlike {@link BackupEngine#list()}, one damaged or foreign manifest does not
 * hide the others. Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class BackupListing {

    private final List<BackupInfo> backups;
    private final SortedMap<String, BackupException> unreadable;

    BackupListing(List<BackupInfo> backups, Map<String, BackupException> unreadable) {
        this.backups = List.copyOf(backups);
        this.unreadable = Collections.unmodifiableSortedMap(new TreeMap<>(unreadable));
    }

    /**
     * The backups whose manifests were read (and their checksums checked), oldest first.
     *
     * @since 0.1
     */
    public List<BackupInfo> backups() {
        return backups;
    }

    /**
     * The backups the store lists whose manifests could not be read, by id, each with the failure
     * (a {@link ManifestException} for a damaged, foreign or too large manifest; a
     * {@link dev.drkit.backup.store.NoSuchBackupException} for one that is missing); unmodifiable.
     *
     * @since 0.1
     */
    public SortedMap<String, BackupException> unreadable() {
        return unreadable;
    }

    /**
     * Whether every backup the store lists was read: {@link #unreadable()} is empty.
     *
     * @since 0.1
     */
    public boolean complete() {
        return unreadable.isEmpty();
    }

    @Override
    public String toString() {
        return "BackupListing[" + backups.size() + " backups"
            + (unreadable.isEmpty() ? "" : ", unreadable " + unreadable.keySet()) + "]";
    }
}
