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
            case "s3":
                return S3Store.builder(args[2], args[3])
                    .endpointOverride(java.net.URI.create(args[1]))
                    .pathStyleAccess(true)
                    .region("us-east-1")
                    .credentials(S3TestServer.ACCESS_KEY,
                        dev.drkit.core.secret.Secret.ofString(S3TestServer.SECRET_KEY, "s3-secret-key"))
                    .leaseDuration(Duration.ofMillis(Long.parseLong(args[4])))
                    .partSize(S3Store.MIN_PART_SIZE)
                    .lockTimeout(Duration.ofSeconds(5))
                    .build();
            default:
                throw new IllegalArgumentException("unknown store kind " + args[0]);
        }
    }
}
