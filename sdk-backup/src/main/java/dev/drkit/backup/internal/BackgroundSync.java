package dev.drkit.backup.internal;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * Asks the kernel, every {@link #INTERVAL} bytes written to a file, to write what it holds of the file back to the
 * disk ({@code fdatasync}) on a short-lived thread of its own, while writing goes on. Without it the page cache
 * absorbs a whole large file and the final {@code fsync} then waits for all of it with nothing else to do; with it
 * the disk works while the data is still being produced, and the final {@code fsync} finds little left. At most
 * one such sync runs at a time. Not thread-safe (the syncing thread only calls {@link FileChannel#force}, which
 * is). Internal: no compatibility guarantees.
 */
public final class BackgroundSync {

    /** How many bytes are written between two background syncs: {@value}. */
    public static final long INTERVAL = 32L << 20;

    private final FileChannel channel;
    private long sinceSync;
    private @Nullable Thread syncing;
    private volatile @Nullable IOException failure;
    private int started;

    public BackgroundSync(FileChannel channel) {
        this.channel = Objects.requireNonNull(channel, "channel");
    }

    /** Records that {@code bytes} more were written, and starts a sync when {@link #INTERVAL} have been. */
    public void written(long bytes) {
        sinceSync += bytes;
        if (sinceSync >= INTERVAL) {
            sinceSync = 0;
            start();
        }
    }

    private void start() {
        Thread previous = syncing;
        if (previous != null && previous.isAlive()) {
            return;     // the disk is still busy with the last one: no point queueing another
        }
        Thread sync = new Thread(() -> {
            try {
                channel.force(false);
            } catch (IOException e) {
                failure = e;
            }
        }, "drkit-sync");
        sync.setDaemon(true);
        syncing = sync;
        started++;
        sync.start();
    }

    /** Waits for a sync still running; throws the failure of any sync started. Call before closing the channel. */
    public void finish() throws IOException {
        Thread sync = syncing;
        if (sync != null) {
            boolean interrupted = false;
            while (true) {
                try {
                    sync.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;     // the channel must not close under a running force
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        IOException failed = failure;
        if (failed != null) {
            throw failed;
        }
    }

    /** How many background syncs were started (for tests). */
    public int started() {
        return started;
    }
}
