package dev.drkit.backup;

import dev.drkit.backup.store.FileSystemStore;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Run in a child JVM by {@link PartedBackupKillTest}: backs up an endless stream in parts to a filesystem store,
 * says {@code MIDWAY} on stdout once several parts have been stored, then blocks inside the source until it is
 * killed.
 *
 * <p>Argument: the store's root directory.
 */
public final class PartedBackupChildMain {

    /** Bytes the source hands out before it says MIDWAY; incompressible, so at least this much is stored. */
    static final int BEFORE_MIDWAY = 4 * 1024 * 1024;

    private PartedBackupChildMain() {
    }

    public static void main(String[] args) throws Exception {
        FileSystemStore store = FileSystemStore.builder(Path.of(args[0])).build();
        BackupEngine engine = BackupEngine.builder(store).encryption(Engines.fastEncryption())
            .partBytes(PartedBackupKillTest.PART_BYTES).threads(2).build();
        engine.backup(BackupSource.stream("endless", () -> new InputStream() {
            private final SplittableRandom random = new SplittableRandom(7);
            private long handedOut;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (handedOut >= BEFORE_MIDWAY) {
                    KilledMidway.announceAndWait();
                }
                int n = (int) Math.min(len, BEFORE_MIDWAY - handedOut);
                for (int i = 0; i < n; i++) {
                    b[off + i] = (byte) random.nextInt(256);
                }
                handedOut += n;
                return n;
            }
        }));
    }
}
