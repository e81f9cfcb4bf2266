package dev.drkit.backup.store;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Where backups live: a directory ({@code FileSystemStore}) or an S3 bucket and prefix ({@code S3Store}).
 *
 * <p>A store holds backups, each named by an id and made of a few named objects (for example
 * {@code data.pgp} and {@code manifest.json}). A backup is written through a {@link PendingBackup} and becomes
 * visible to {@link #list()}, {@link #open} and {@link #delete} only when {@link PendingBackup#commit()} returns:
 * a backup interrupted at any point, even by {@code kill -9}, is never listed, and the next writer removes what it
 * left. One writer at a time: {@link #begin} and {@link #delete} take the store's writer lock, waiting a bounded
 * time for it. Readers take no lock. Files or keys in the store that do not belong to drkit are ignored, never
 * deleted.
 *
 * <p>Ids and object names are 1 to 128 characters of {@code [A-Za-z0-9._-]}, not starting with a dot or dash
 * ({@link StoreNames}). Implementations are thread-safe. {@link #location()} never holds credentials.
 *
 * @since 0.1
 */
public interface BackupStore extends AutoCloseable {

    /** Where the store is, for messages and manifests: a path or {@code s3://bucket/prefix}; never a credential. */
    String location();

    /**
     * The ids of complete backups, in ascending order. Leftovers of interrupted backups and foreign entries are
     * not listed.
     *
     * @throws IOException if the store cannot be read
     */
    List<String> list() throws IOException;

    /**
     * Whether the store holds no complete backup at all. A reader told "no such backup" by a store that holds
     * nothing is most likely looking in the wrong place (a mistyped path, a file system not mounted, another
     * bucket): this tells that apart. The default lists the backups; a store may look more cheaply.
     *
     * @throws IOException if the store cannot be read
     * @since 0.1
     */
    default boolean isEmpty() throws IOException {
        return list().isEmpty();
    }

    /**
     * The names of the objects of a complete backup, in ascending order.
     *
     * @throws NoSuchBackupException if no complete backup has this id
     * @throws IOException           if the store cannot be read
     */
    List<String> objects(String backupId) throws IOException;

    /**
     * The size in bytes of one object of a complete backup.
     *
     * @throws NoSuchBackupException if the backup or the object does not exist
     * @throws IOException           if the store cannot be read
     */
    long size(String backupId, String objectName) throws IOException;

    /**
     * Opens one object of a complete backup for reading. The caller closes the stream.
     *
     * @throws NoSuchBackupException if the backup or the object does not exist
     * @throws IOException           if the store cannot be read
     */
    InputStream open(String backupId, String objectName) throws IOException;

    /**
     * Makes sure a complete backup stays listed after a crash of the host: a commit cut short after the backup
     * became visible (a writer killed between its rename and the directory's fsync) leaves it listed but not yet
     * on disk. A caller that takes a backup it did not commit itself as proof that data is safe (the WAL archive,
     * answering a push of a file archived already) forces it first. The default does nothing: for stores where a
     * backup is durable once visible (S3).
     *
     * @throws NoSuchBackupException if no complete backup has this id
     * @throws IOException           if it cannot be forced to disk
     * @since 0.1
     */
    default void forceToDisk(String backupId) throws IOException {
    }

    /**
     * Starts writing a new backup. Takes the writer lock (held until the pending backup is committed or closed),
     * then removes leftovers of earlier interrupted backups, which no live writer can own while the lock is held.
     *
     * @throws StoreLockedException       if another writer holds the lock for longer than the store's lock timeout
     * @throws BackupAlreadyExistsException if a backup with this id exists
     * @throws IOException                if the store cannot be written
     */
    PendingBackup begin(String backupId) throws IOException;

    /**
     * Deletes a complete backup, under the writer lock. The backup disappears from {@link #list()} atomically
     * (or, where the store cannot do that, its manifest goes first, so it is never listed half-deleted).
     *
     * @return the bytes freed
     * @throws NoSuchBackupException if no complete backup has this id
     * @throws StoreLockedException  if another writer holds the lock for longer than the store's lock timeout
     * @throws IOException           if the store cannot be written
     */
    long delete(String backupId) throws IOException;

    /** Releases resources (clients, locks not yet released); the store cannot be used afterwards. */
    @Override
    void close() throws IOException;
}
