package dev.drkit.backup.store;

import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;

/**
 * Run in a child JVM by {@link BackupStoreContract}: opens a store, begins a backup, writes half of an object,
 * says {@code HALF-WRITTEN} on stdout and waits to be killed.
 *
 * <p>Arguments: the backup id, then {@code fs <root>} or {@code s3 <endpoint> <bucket> <prefix> <lease-ms>}.
 */
public final class StoreChildMain {

    private StoreChildMain() {
    }

    public static void main(String[] args) throws Exception {
        String backupId = args[0];
        BackupStore store = TestStores.open(Arrays.copyOfRange(args, 1, args.length));
        PendingBackup pending = store.begin(backupId);
        OutputStream out = pending.create("data");
        byte[] half = new byte[6 * 1024 * 1024];
        new Random(42).nextBytes(half);
        out.write(half);
        out.flush();
        System.out.println("HALF-WRITTEN");
        System.out.flush();
        Thread.sleep(120_000);
        // never reached in the test: the parent kills this JVM first
        System.exit(3);
    }
}
