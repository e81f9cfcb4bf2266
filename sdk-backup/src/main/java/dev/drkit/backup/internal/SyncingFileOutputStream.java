package dev.drkit.backup.internal;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file and, every {@link #SYNC_INTERVAL} bytes, asks the kernel to write what it holds back to the disk on
 * a short-lived thread of its own ({@code fdatasync}), while writing goes on. Without it the page cache absorbs a
 * whole restore and the final {@code fsync} then waits for all of it, with nothing else to do meanwhile; with it
 * the disk works while the data is still being decrypted and decompressed, and the final {@code fsync} finds
 * little left. At most one such sync runs at a time. A failed sync is thrown from {@link #close()}. Not
 * thread-safe (the syncing thread only calls {@link FileChannel#force}, which is).
 */
public final class SyncingFileOutputStream extends OutputStream {

    /** How many bytes are written between two background syncs: {@value}. */
    public static final long SYNC_INTERVAL = 32L << 20;

    private final FileChannel channel;
    private long sinceSync;
    private @Nullable Thread syncing;
    private volatile @Nullable IOException syncFailure;
    private boolean closed;
    private int syncsStarted;

    private SyncingFileOutputStream(FileChannel channel) {
        this.channel = channel;
    }

    /** Opens {@code file}, which must exist, truncated, for writing; a symbolic link is refused. */
    public static SyncingFileOutputStream openTruncated(Path file) throws IOException {
        return new SyncingFileOutputStream(FileChannel.open(file, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS));
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        sinceSync += len;
        if (sinceSync >= SYNC_INTERVAL) {
            sinceSync = 0;
            startSync();
        }
    }

    private void startSync() {
        Thread previous = syncing;
        if (previous != null && previous.isAlive()) {
            return;     // the disk is still busy with the last one: no point queueing another
        }
        Thread sync = new Thread(() -> {
            try {
                channel.force(false);
            } catch (IOException e) {
                syncFailure = e;
            }
        }, "drkit-sync");
        sync.setDaemon(true);
        syncing = sync;
        syncsStarted++;
        sync.start();
    }

    /** How many background syncs were started (for tests). */
    int syncsStarted() {
        return syncsStarted;
    }

    /** Waits for a background sync still running, then closes the file; does not sync it (the caller does). */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Thread sync = syncing;
            if (sync != null) {
                try {
                    sync.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            IOException failure = syncFailure;
            if (failure != null) {
                throw failure;
            }
        } finally {
            channel.close();
        }
    }
}
