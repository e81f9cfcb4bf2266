package dev.drkit.backup.store;

import java.nio.file.Path;
import java.time.Duration;

/** Opens a store from command-line style arguments, for child JVMs. */
final class TestStores {

    private TestStores() {
    }

    static BackupStore open(String... args) {
        switch (args[0]) {
            case "fs":
                return FileSystemStore.builder(Path.of(args[1])).lockTimeout(Duration.ofSeconds(5)).build();
            default:
                throw new IllegalArgumentException("unknown store kind " + args[0]);
        }
    }
}
