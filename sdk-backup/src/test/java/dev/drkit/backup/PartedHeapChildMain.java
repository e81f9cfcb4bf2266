package dev.drkit.backup;

import dev.drkit.backup.store.FileSystemStore;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Run in a child JVM with a small heap by {@link PartedBackupKillTest}: backs up a stream much larger than the
 * heap in parts of the default size with four threads, restores it, and prints {@code OK} and the number of parts.
 *
 * <p>Arguments: the store's root directory, the restore target, the size in MiB.
 */
public final class PartedHeapChildMain {

    private PartedHeapChildMain() {
    }

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[2]) << 20;
        try (FileSystemStore store = FileSystemStore.builder(Path.of(args[0])).build()) {
            BackupEngine engine = BackupEngine.builder(store).encryption(Engines.fastEncryption())
                .partBytes(BackupEngine.DEFAULT_PART_BYTES).threads(4).build();
            BackupInfo info = engine.backup(BackupSource.stream("large", () -> new InputStream() {
                private final SplittableRandom random = new SplittableRandom(11);
                private long handedOut;

                @Override
                public int read() {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (handedOut >= size) {
                        return -1;
                    }
                    int n = (int) Math.min(len, size - handedOut);
                    for (int i = 0; i < n; i++) {
                        // half noise, half text: zstd shrinks it, so parts hold more than their size of plaintext
                        b[off + i] = (handedOut + i) % 2 == 0 ? (byte) random.nextInt(256) : (byte) 'a';
                    }
                    handedOut += n;
                    return n;
                }
            }));
            engine.restore(info.id(), Engines.KEY, Path.of(args[1]));
            if (Files.size(Path.of(args[1])) != size) {
                throw new AssertionError("restored " + Files.size(Path.of(args[1])) + " bytes, not " + size);
            }
            System.out.println("OK " + engine.manifest(info.id()).parts().size());
        }
    }
}
