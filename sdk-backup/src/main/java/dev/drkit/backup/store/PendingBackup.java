package dev.drkit.backup.store;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A backup being written: invisible until {@link #commit()} returns. Made by {@link BackupStore#begin(String)}.
 *
 * <p>Write each object through {@link #create(String)}, closing each stream before creating the next (or
 * committing). {@link #commit()} makes all objects durable (fsync, completed uploads) and then visible at once.
 * {@link #close()} without a commit discards everything written. Either way the writer lock is released.
 * An object whose {@code create}, a write or whose stream's {@code close} threw may be incomplete: the backup can then
 * no longer be committed, only discarded. Not thread-safe.
 *
 * <pre>{@code
 * try (PendingBackup pending = store.begin(id)) {
 *     try (OutputStream out = pending.create("data.pgp")) { ... }
 *     try (OutputStream out = pending.create("manifest.json")) { ... }
 *     pending.commit();
 * }
 * }</pre>
 *
 * @since 0.1
 */
public interface PendingBackup extends AutoCloseable {

    /** The id the backup will have. */
    String backupId();

    /**
     * Opens a new object for writing.
     *
     * @throws IllegalStateException    if another object's stream is still open, or after commit or close
     * @throws IllegalArgumentException if the name is not valid ({@link StoreNames}) or was already created
     * @throws IOException              if the store cannot be written
     */
    OutputStream create(String objectName) throws IOException;

    /**
     * Makes the backup durable and visible, then releases the writer lock.
     *
     * @throws IllegalStateException if an object's stream is still open, if an object was not written whole (its
     *                               {@code create}, a write or its stream's {@code close} threw), or after commit or
     *                               close; nothing is published then, and {@link #close()} discards the backup
     * @throws IOException           if the store cannot be written; the backup then stays invisible and is removed
     */
    void commit() throws IOException;

    /** Discards the backup unless it was committed, and releases the writer lock. Never throws for a commit. */
    @Override
    void close() throws IOException;
}
