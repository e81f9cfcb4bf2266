package dev.drkit.backup.store;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** A store that passes every call to another: tests override the calls they watch or break. */
public abstract class ForwardingStore implements BackupStore {

    protected final BackupStore store;

    protected ForwardingStore(BackupStore store) {
        this.store = store;
    }

    @Override
    public String location() {
        return store.location();
    }

    @Override
    public List<String> list() throws IOException {
        return store.list();
    }

    @Override
    public boolean isEmpty() throws IOException {
        return store.isEmpty();
    }

    @Override
    public void forceToDisk(String backupId) throws IOException {
        store.forceToDisk(backupId);
    }

    @Override
    public List<String> objects(String backupId) throws IOException {
        return store.objects(backupId);
    }

    @Override
    public long size(String backupId, String objectName) throws IOException {
        return store.size(backupId, objectName);
    }

    @Override
    public InputStream open(String backupId, String objectName) throws IOException {
        return store.open(backupId, objectName);
    }

    @Override
    public PendingBackup begin(String backupId) throws IOException {
        return store.begin(backupId);
    }

    @Override
    public long delete(String backupId) throws IOException {
        return store.delete(backupId);
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
