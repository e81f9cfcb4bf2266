package dev.drkit.backup.internal;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads its source on a thread of its own, a few chunks ahead of the caller, so that the work behind the source
 * (reading, hashing and decrypting the ciphertext) runs on one core while the caller's work (decompressing,
 * hashing and writing the plaintext) runs on another. Memory is bounded: {@code depth} chunks in the queue plus
 * one being filled and one being read.
 *
 * <p>A failure of the source is handed to the caller as the very same exception object, at the point in the
 * stream where it happened, so callers that classify failures by identity keep working. Only one caller thread
 * may read; the source must not be used by anyone else until this stream has returned {@code -1} or failed, after
 * which the reading thread has finished and everything it did is visible to the caller.
 */
final class ReadAheadInputStream extends InputStream {

    private static final long JOIN_MILLIS = 2_000;

    /** Queue items: a chunk with data, the end of the source, or what the source threw. */
    private static final class Item {
        final byte[] data;
        final int length;
        final @Nullable Throwable failure;

        Item(byte[] data, int length, @Nullable Throwable failure) {
            this.data = data;
            this.length = length;
            this.failure = failure;
        }
    }

    private final InputStream source;
    private final int chunkBytes;
    private final BlockingQueue<Item> filled;
    private final BlockingQueue<byte[]> empty;
    private final Thread reader;
    private volatile boolean closed;
    private @Nullable Item current;
    private int position;
    private boolean ended;
    private @Nullable Throwable failure;

    ReadAheadInputStream(InputStream source, int chunkBytes, int depth, String threadName) {
        this.source = Objects.requireNonNull(source, "source");
        if (chunkBytes < 1 || depth < 1) {
            throw new IllegalArgumentException("chunkBytes and depth must be positive");
        }
        this.chunkBytes = chunkBytes;
        this.filled = new ArrayBlockingQueue<>(depth + 1);
        this.empty = new ArrayBlockingQueue<>(depth + 2);
        this.reader = new Thread(this::readAhead, threadName);
        this.reader.setDaemon(true);
        this.reader.start();
    }

    private void readAhead() {
        try {
            while (!closed) {
                byte[] chunk = empty.poll();
                if (chunk == null) {
                    chunk = new byte[chunkBytes];
                }
                int length = 0;
                boolean end = false;
                Throwable failed = null;
                while (length < chunk.length) {
                    int n;
                    try {
                        n = source.read(chunk, length, chunk.length - length);
                    } catch (Throwable e) {
                        failed = e;
                        break;
                    }
                    if (n < 0) {
                        end = true;
                        break;
                    }
                    length += n;
                }
                if (length > 0) {
                    // the bytes read before a failure come first, as they would without read-ahead
                    filled.put(new Item(chunk, length, null));
                }
                if (failed != null) {
                    filled.put(new Item(new byte[0], -1, failed));
                    return;
                }
                if (end) {
                    filled.put(new Item(chunk, -1, null));
                    return;
                }
            }
        } catch (InterruptedException e) {
            // closed by the caller: nobody is waiting for more
        }
    }

    @Override
    public int read() throws IOException {
        if (!next()) {
            return -1;
        }
        return current.data[position++] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (!next()) {
            return -1;
        }
        int n = Math.min(len, current.length - position);
        System.arraycopy(current.data, position, b, off, n);
        position += n;
        return n;
    }

    /** Bytes already read ahead in the current chunk: never blocks, never reaches down to the source. */
    @Override
    public int available() {
        return current == null ? 0 : current.length - position;
    }

    private boolean next() throws IOException {
        if (closed) {
            throw new IOException("read-ahead stream is closed");
        }
        rethrow();
        if (ended) {
            return false;
        }
        if (current != null && position < current.length) {
            return true;
        }
        if (current != null) {
            empty.offer(current.data);
            current = null;
        }
        Item item;
        try {
            item = filled.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the source");
        }
        if (item.failure != null) {
            failure = item.failure;
            rethrow();
        }
        if (item.length < 0) {
            ended = true;
            return false;
        }
        current = item;
        position = 0;
        return true;
    }

    private void rethrow() throws IOException {
        Throwable f = failure;
        if (f != null) {
            Failures.rethrow(f);
        }
    }

    /** Stops the reading thread and waits for it briefly; does not close the source, which its owner closes. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        reader.interrupt();
        filled.clear();
        try {
            reader.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        filled.clear();
    }

    /** Whether the reading thread has finished (for tests). */
    boolean readerFinished(long waitMillis) throws InterruptedException {
        reader.join(waitMillis);
        return !reader.isAlive();
    }
}
