package dev.drkit.backup.internal;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;

/**
 * Writes to its sink on a thread of its own, a few chunks behind the caller, so that the work behind the sink
 * (encrypting, hashing and writing the ciphertext) runs on one core while the caller's work (reading, hashing and
 * compressing the plaintext) runs on another. The write-side twin of {@link ReadAheadInputStream}. Memory is
 * bounded: {@code depth} chunks in the queue plus one being filled and one being written.
 *
 * <p>A failure of the sink reaches the caller as the very same exception object, at its next write, flush or
 * close, so callers that classify failures by identity keep working; chunks queued after a failure are dropped.
 * {@link #flush()} and {@link #close()} return only after everything written before them has reached the sink;
 * {@code close()} then closes the sink on the caller's thread. {@link #abort()} stops the writing thread without
 * writing what is queued, for a caller that gives up. Only one caller thread may write; the sink must not be
 * used by anyone else until this stream is closed or aborted.
 */
public final class WriteBehindOutputStream extends OutputStream {

    private static final long ABORT_JOIN_MILLIS = 2_000;

    /** Queue items: a chunk of data, a flush request, or the end of the stream. */
    private static final class Item {
        final byte[] data;
        final int length;
        final @Nullable CountDownLatch flushed;
        final boolean end;

        Item(byte[] data, int length, @Nullable CountDownLatch flushed, boolean end) {
            this.data = data;
            this.length = length;
            this.flushed = flushed;
            this.end = end;
        }
    }

    private static final byte[] NO_DATA = new byte[0];

    private final OutputStream sink;
    private final BlockingQueue<Item> filled;
    private final BlockingQueue<byte[]> empty;
    private final int chunkBytes;
    private final Thread writer;
    private volatile @Nullable Throwable failure;
    private byte @Nullable [] current;
    private int position;
    private boolean closed;

    /**
     * A stream that writes to {@code sink} on a new thread named {@code threadName}, in chunks of
     * {@code chunkBytes}, at most {@code depth} of them waiting.
     */
    public WriteBehindOutputStream(OutputStream sink, int chunkBytes, int depth, String threadName) {
        this.sink = Objects.requireNonNull(sink, "sink");
        if (chunkBytes < 1 || depth < 1) {
            throw new IllegalArgumentException("chunkBytes and depth must be positive");
        }
        this.chunkBytes = chunkBytes;
        this.filled = new ArrayBlockingQueue<>(depth);
        this.empty = new ArrayBlockingQueue<>(depth + 2);
        this.writer = new Thread(this::writeBehind, threadName);
        this.writer.setDaemon(true);
        this.writer.start();
    }

    private void writeBehind() {
        try {
            while (true) {
                Item item = filled.take();
                if (failure == null) {
                    try {
                        if (item.length > 0) {
                            sink.write(item.data, 0, item.length);
                        } else if (item.flushed != null) {
                            sink.flush();
                        }
                    } catch (Throwable e) {
                        failure = e;
                    }
                }
                // after a failure keep taking (and dropping) chunks, so that the caller never blocks on a full queue
                if (item.length > 0) {
                    empty.offer(item.data);
                }
                if (item.flushed != null) {
                    item.flushed.countDown();
                }
                if (item.end) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // aborted by the caller: nobody waits for the rest
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        checkOpen();
        rethrow();
        while (len > 0) {
            byte[] chunk = current;
            if (chunk == null) {
                chunk = empty.poll();
                current = chunk == null ? new byte[chunkBytes] : chunk;
                chunk = current;
                position = 0;
            }
            int n = Math.min(len, chunk.length - position);
            System.arraycopy(b, off, chunk, position, n);
            position += n;
            off += n;
            len -= n;
            if (position == chunk.length) {
                handOff(new Item(chunk, position, null, false));
                current = null;
            }
        }
    }

    /** Waits until everything written so far has been written to the sink and the sink flushed. */
    @Override
    public void flush() throws IOException {
        checkOpen();
        handOffCurrent();
        CountDownLatch flushed = new CountDownLatch(1);
        handOff(new Item(NO_DATA, 0, flushed, false));
        await(flushed);
        rethrow();
    }

    /**
     * Waits until everything written has reached the sink, then closes the sink (on this thread). If the sink
     * failed, throws that failure and still closes the sink.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            handOffCurrent();
            CountDownLatch done = new CountDownLatch(1);
            handOff(new Item(NO_DATA, 0, done, true));
            await(done);
            join(0);
            closed = true;
            rethrow();
        } finally {
            if (!closed) {
                abort();
            }
            sink.close();
        }
    }

    /**
     * Stops the writing thread without writing what is still queued and waits for it briefly; does not close the
     * sink. For a caller that has failed and discards the output.
     */
    public void abort() {
        closed = true;
        writer.interrupt();
        try {
            join(ABORT_JOIN_MILLIS);
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handOffCurrent() throws IOException {
        if (current != null && position > 0) {
            handOff(new Item(current, position, null, false));
            current = null;
        }
    }

    private void handOff(Item item) throws IOException {
        try {
            filled.put(item);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while handing data to the writing thread");
        }
    }

    private static void await(CountDownLatch latch) throws IOException {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the writing thread");
        }
    }

    private void join(long millis) throws InterruptedIOException {
        try {
            writer.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the writing thread");
        }
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("write-behind stream is closed");
        }
    }

    private void rethrow() throws IOException {
        Throwable f = failure;
        if (f != null) {
            Failures.rethrow(f);
        }
    }

    /** Whether the writing thread has finished (for tests). */
    boolean writerFinished(long waitMillis) throws InterruptedException {
        writer.join(waitMillis);
        return !writer.isAlive();
    }
}
