package dev.drkit.backup;

import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.ForwardingStore;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link RestoreStagingSweepTest}: restores a backup from a filesystem store whose data
 * object, after half of it has been read, says {@code MIDWAY} on stdout and blocks until this JVM is killed: the
 * restore's staging copy is then half written.
 *
 * <p>Arguments: the store's root directory, the backup id, the restore target.
 */
public final class RestoreKillChildMain {

    private RestoreKillChildMain() {
    }

    public static void main(String[] args) throws Exception {
        BackupStore store = new Midway(FileSystemStore.builder(Path.of(args[0])).build());
        BackupEngine.builder(store).build().restore(args[1], Engines.KEY, Path.of(args[2]));
        System.exit(3);     // never reached in the test: the parent kills this JVM first
    }

    /** A store whose data objects stop halfway. */
    private static final class Midway extends ForwardingStore {

        Midway(BackupStore store) {
            super(store);
        }

        @Override
        public InputStream open(String backupId, String objectName) throws IOException {
            InputStream in = store.open(backupId, objectName);
            if (objectName.equals(BackupManifest.OBJECT_NAME)) {
                return in;
            }
            long half = store.size(backupId, objectName) / 2;
            return new FilterInputStream(in) {
                private long read;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (read >= half) {
                        KilledMidway.announceAndWait();
                    }
                    int n = super.read(b, off, (int) Math.min(len, half - read));
                    if (n > 0) {
                        read += n;
                    }
                    return n;
                }
            };
        }
    }
}
