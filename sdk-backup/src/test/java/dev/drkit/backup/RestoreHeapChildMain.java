package dev.drkit.backup;

import dev.drkit.backup.store.FileSystemStore;

import java.nio.file.Path;

/**
 * Run in a child JVM with a small heap by {@link ManifestLimitTest}: verifies a directory backup fully, then
 * restores it, and prints {@code OK} and the number of entries restored; a failed verification exits 1.
 *
 * <p>Arguments: the store's root directory, the backup's id, the restore target.
 */
public final class RestoreHeapChildMain {

    private RestoreHeapChildMain() {
    }

    public static void main(String[] args) {
        try (FileSystemStore store = FileSystemStore.open(Path.of(args[0]))) {
            BackupEngine engine = BackupEngine.builder(store).encryption(Engines.fastEncryption()).build();
            VerificationResult verified = engine.verify(args[1], Engines.KEY);
            if (!verified.passed()) {
                System.out.println("verification failed: " + verified.failure().orElseThrow());
                System.exit(1);
            }
            RestoreResult restored = engine.restore(args[1], Engines.KEY, Path.of(args[2]));
            System.out.println("OK " + restored.entries());
        }
    }
}
