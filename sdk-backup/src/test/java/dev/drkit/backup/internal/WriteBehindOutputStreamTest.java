package dev.drkit.backup.internal;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WriteBehindOutputStreamTest {

    /** Records which thread wrote, and whether the sink was flushed or closed. */
    private static final class RecordingSink extends ByteArrayOutputStream {
        final AtomicReference<Thread> writer = new AtomicReference<>();
        volatile int flushes;
        volatile boolean closed;

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writer.set(Thread.currentThread());
            super.write(b, off, len);
        }

        @Override
        public void flush() {
            flushes++;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void theSinkGetsEveryByteInOrderWhateverTheWritesAndChunks() throws Exception {
        SplittableRandom random = new SplittableRandom(5);
        for (int round = 0; round < 50; round++) {
            byte[] data = new byte[random.nextInt(300_000)];
            random.nextBytes(data);
            int chunk = 1 + random.nextInt(70_000);
            RecordingSink sink = new RecordingSink();
            WriteBehindOutputStream out = new WriteBehindOutputStream(sink, chunk, 1 + random.nextInt(4),
                "test-write-behind");
            int position = 0;
            while (position < data.length) {
                if (random.nextInt(20) == 0) {
                    out.write(data[position++]);
                    continue;
                }
                int n = Math.min(data.length - position, random.nextInt(100_000));
                out.write(data, position, n);
                position += n;
            }
            out.close();
            assertThat(sink.toByteArray()).as("round %d, %d bytes in chunks of %d", round, data.length, chunk)
                .isEqualTo(data);
            assertThat(sink.closed).isTrue();
            assertThat(out.writerFinished(5_000)).isTrue();
            if (data.length > 0) {
                assertThat(sink.writer.get()).isNotSameAs(Thread.currentThread());
            }
        }
    }

    @Test
    void flushReturnsOnlyWhenTheSinkHasEverythingAndIsFlushed() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (WriteBehindOutputStream out = new WriteBehindOutputStream(sink, 1 << 16, 2, "test-write-behind")) {
            byte[] data = new byte[200_000];
            new SplittableRandom(1).nextBytes(data);
            out.write(data);
            out.flush();
            assertThat(sink.toByteArray()).isEqualTo(data);
            assertThat(sink.flushes).isEqualTo(1);
        }
    }

    @Test
    void aSinkFailureReachesTheCallerAsTheSameExceptionAndTheCallerNeverBlocks() throws Exception {
        IOException full = new IOException("No space left on device");
        OutputStream failing = new OutputStream() {
            private long written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                written += len;
                if (written > 50_000) {
                    throw full;
                }
            }
        };
        WriteBehindOutputStream out = new WriteBehindOutputStream(failing, 4096, 2, "test-write-behind");
        byte[] chunk = new byte[4096];
        IOException seen = null;
        // Far more than the queue holds: without draining after the failure the caller would block forever.
        for (int i = 0; i < 10_000 && seen == null; i++) {
            try {
                out.write(chunk);
            } catch (IOException e) {
                seen = e;
            }
        }
        assertThat(seen).isSameAs(full);
        assertThatThrownBy(out::flush).as("the failure sticks").isSameAs(full);
        assertThatThrownBy(out::close).isSameAs(full);
        assertThat(out.writerFinished(5_000)).isTrue();
    }

    @Test
    void abortStopsTheWriterWithoutWritingWhatIsQueuedAndLeavesTheSinkOpen() throws Exception {
        CountDownLatch inSink = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean closed = new AtomicBoolean();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        OutputStream slow = new OutputStream() {
            @Override
            public void write(int b) {
                received.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                inSink.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                received.write(b, off, len);
            }

            @Override
            public void close() {
                closed.set(true);
            }
        };
        WriteBehindOutputStream out = new WriteBehindOutputStream(slow, 1024, 4, "test-write-behind");
        out.write(new byte[3 * 1024]);
        assertThat(inSink.await(5, TimeUnit.SECONDS)).isTrue();
        out.abort();
        release.countDown();
        assertThat(out.writerFinished(5_000)).isTrue();
        assertThat(received.size()).as("queued chunks are dropped").isLessThan(3 * 1024);
        assertThat(closed).isFalse();
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }
}
