package dev.drkit.backup.internal.store;

import dev.drkit.backup.internal.BackgroundSync;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * A buffered stream into a file channel that is forced to stable storage (fsync) when the stream is closed, so
 * that a closed object survives a crash. While a large object is written, a {@link BackgroundSync} every
 * {@link BackgroundSync#INTERVAL} bytes lets the disk catch up, so the final fsync has little left to wait for.
 * The channel is closed whatever happens. Not thread-safe.
 * Internal: no compatibility guarantees.
 */
public final class DurableFileOutputStream extends OutputStream {

    private static final int BUFFER_SIZE = 64 * 1024;

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
    private final BackgroundSync sync;
    private boolean closed;

    /**
     * @param channel a channel open for writing, owned by this stream from now on
     */
    public DurableFileOutputStream(FileChannel channel) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.sync = new BackgroundSync(channel);
    }

    @Override
    public void write(int b) throws IOException {
        ensureOpen();
        if (!buffer.hasRemaining()) {
            drain();
        }
        buffer.put((byte) b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        ensureOpen();
        if (length >= BUFFER_SIZE) {
            drain();
            ByteBuffer direct = ByteBuffer.wrap(bytes, offset, length);
            while (direct.hasRemaining()) {
                channel.write(direct);
            }
            sync.written(length);
            return;
        }
        if (length > buffer.remaining()) {
            drain();
        }
        buffer.put(bytes, offset, length);
    }

    @Override
    public void flush() throws IOException {
        ensureOpen();
        drain();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (channel) {
            try {
                drain();
            } catch (IOException e) {
                try {
                    sync.finish();  // the channel must not close under a running sync
                } catch (IOException syncFailure) {
                    e.addSuppressed(syncFailure);
                }
                throw e;
            }
            sync.finish();
            channel.force(true);
        }
    }

    /** How many background syncs were started (for tests). */
    int syncsStarted() {
        return sync.started();
    }

    private void drain() throws IOException {
        buffer.flip();
        int length = buffer.remaining();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } finally {
            buffer.clear();
        }
        sync.written(length);
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
    }
}
