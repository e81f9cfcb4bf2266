package dev.drkit.backup.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file and, every {@link BackgroundSync#INTERVAL} bytes, starts a {@link BackgroundSync}, so that the
 * disk works while a restore still decrypts and decompresses. A failed sync is thrown from {@link #close()}. Not
 * thread-safe.
 */
public final class SyncingFileOutputStream extends OutputStream {

    private final FileChannel channel;
    private final BackgroundSync sync;
    private boolean closed;

    private SyncingFileOutputStream(FileChannel channel) {
        this.channel = channel;
        this.sync = new BackgroundSync(channel);
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
        sync.written(len);
    }

    /** How many background syncs were started (for tests). */
    int syncsStarted() {
        return sync.started();
    }

    /** Waits for a background sync still running, then closes the file; does not sync it (the caller does). */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            sync.finish();
        } finally {
            channel.close();
        }
    }
}
