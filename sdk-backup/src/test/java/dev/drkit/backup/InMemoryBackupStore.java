package dev.drkit.backup;

import dev.drkit.backup.store.BackupAlreadyExistsException;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.NoSuchBackupException;
import dev.drkit.backup.store.PendingBackup;
import dev.drkit.backup.store.StoreNames;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.UnaryOperator;

/**
 * A {@link BackupStore} in memory for tests: visible only after commit, with hooks to damage stored objects and
 * to make writes fail after a number of bytes.
 */
final class InMemoryBackupStore implements BackupStore {

    private final ConcurrentSkipListMap<String, Map<String, byte[]>> backups = new ConcurrentSkipListMap<>();
    /** Writes fail once this many bytes went into one object; negative: never. */
    volatile long failWritesAfter = -1;
    /** Commits fail after the backup became visible, as a failed directory sync after the rename would. */
    volatile boolean failAfterCommit;
    volatile int begun;
    volatile int discarded;

    @Override
    public String location() {
        return "memory:test";
    }

    /** Runs once right after the next {@link #list()} took its ids, as another process could act then. */
    volatile Runnable afterNextList = () -> { };

    @Override
    public List<String> list() {
        List<String> ids = new ArrayList<>(backups.keySet());
        Runnable after = afterNextList;
        afterNextList = () -> { };
        after.run();
        return ids;
    }

    @Override
    public List<String> objects(String backupId) {
        return new ArrayList<>(backup(backupId).keySet());
    }

    @Override
    public long size(String backupId, String objectName) {
        return object(backupId, objectName).length;
    }

    @Override
    public InputStream open(String backupId, String objectName) {
        return new ByteArrayInputStream(object(backupId, objectName));
    }

    /** Replaces an object's bytes, as damage or tampering would. */
    void edit(String backupId, String objectName, UnaryOperator<byte[]> change) {
        Map<String, byte[]> backup = backup(backupId);
        backup.put(objectName, change.apply(backup.get(objectName).clone()));
    }

    /** Removes an object of a complete backup, as a lost file would. */
    void remove(String backupId, String objectName) {
        backup(backupId).remove(objectName);
    }

    /** Adds an object to a complete backup, as a stray or planted file would. */
    void put(String backupId, String objectName, byte[] bytes) {
        backup(backupId).put(objectName, bytes.clone());
    }

    byte[] bytes(String backupId, String objectName) {
        return object(backupId, objectName).clone();
    }

    private Map<String, byte[]> backup(String backupId) {
        Map<String, byte[]> backup = backups.get(backupId);
        if (backup == null) {
            throw new NoSuchBackupException("no backup " + backupId, Map.of("backup", backupId));
        }
        return backup;
    }

    private byte[] object(String backupId, String objectName) {
        byte[] bytes = backup(backupId).get(objectName);
        if (bytes == null) {
            throw new NoSuchBackupException("no object " + objectName, Map.of("backup", backupId));
        }
        return bytes;
    }

    @Override
    public synchronized PendingBackup begin(String backupId) {
        StoreNames.check(backupId, "backup id");
        if (backups.containsKey(backupId)) {
            throw new BackupAlreadyExistsException("exists " + backupId, Map.of("backup", backupId));
        }
        begun++;
        Map<String, byte[]> objects = new TreeMap<>();
        return new PendingBackup() {
            boolean done;

            @Override
            public String backupId() {
                return backupId;
            }

            @Override
            public OutputStream create(String objectName) {
                StoreNames.check(objectName, "object name");
                ByteArrayOutputStream buffer = new ByteArrayOutputStream();
                return new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        if (failWritesAfter >= 0 && buffer.size() + len > failWritesAfter) {
                            throw new IOException("No space left on device");
                        }
                        buffer.write(b, off, len);
                    }

                    @Override
                    public void close() {
                        objects.put(objectName, buffer.toByteArray());
                    }
                };
            }

            @Override
            public void commit() throws IOException {
                if (done) {
                    throw new IllegalStateException("done");
                }
                done = true;
                backups.put(backupId, objects);
                if (failAfterCommit) {
                    throw new IOException("Input/output error");
                }
            }

            @Override
            public void close() {
                if (!done) {
                    done = true;
                    discarded++;
                }
            }
        };
    }

    @Override
    public long delete(String backupId) {
        Map<String, byte[]> removed = backups.remove(backupId);
        if (removed == null) {
            throw new NoSuchBackupException("no backup " + backupId, Map.of("backup", backupId));
        }
        return removed.values().stream().mapToLong(b -> b.length).sum();
    }

    @Override
    public void close() {
    }
}
