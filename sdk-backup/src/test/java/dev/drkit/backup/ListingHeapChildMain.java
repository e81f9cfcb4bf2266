package dev.drkit.backup;

import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.backup.store.FileSystemStore;

import java.nio.file.Path;

/**
 * Run in a child JVM with a small heap by {@link ManifestLimitTest}: lists a store of large directory backups and
 * plans a rotation of it (dry run), then prints {@code OK}, the number of backups and their entries in all.
 *
 * <p>Argument: the store's root directory.
 */
public final class ListingHeapChildMain {

    private ListingHeapChildMain() {
    }

    public static void main(String[] args) {
        try (FileSystemStore store = FileSystemStore.open(Path.of(args[0]))) {
            BackupEngine engine = BackupEngine.builder(store).encryption(Engines.fastEncryption()).build();
            BackupListing listing = engine.listAll();
            engine.rotate(RetentionPolicy.builder().keepLast(1).build(), true);
            long entries = listing.backups().stream().mapToLong(BackupInfo::entryCount).sum();
            System.out.println("OK " + listing.backups().size() + " " + entries);
        }
    }
}
