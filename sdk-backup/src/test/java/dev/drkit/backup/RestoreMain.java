package dev.drkit.backup;

import dev.drkit.backup.store.FileSystemStore;

import java.nio.file.Path;

/**
 * Restores backup {@code args[1]} of the file-system store {@code args[0]} to {@code args[2]} with the tests' key,
 * in a JVM of its own (run as another user): exit 0 when it did, 1 with the failure on standard output otherwise.
 */
public final class RestoreMain {

    private RestoreMain() {
    }

    public static void main(String[] args) {
        try (FileSystemStore store = FileSystemStore.builder(Path.of(args[0])).build()) {
            BackupEngine.builder(store).encryption(Engines.fastEncryption()).build().restore(args[1], Engines.KEY,
                Path.of(args[2]));
        } catch (Exception e) {
            System.out.println("restore failed: " + e);
            System.exit(1);
        }
        System.exit(0);
    }
}
