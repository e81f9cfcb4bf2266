package dev.drkit.backup.internal;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReadAheadInputStreamTest {

    @Test
    void returnsTheSourceBytesInOrderWhateverTheChunking() throws Exception {
        SplittableRandom random = new SplittableRandom(3);
        for (int round = 0; round < 50; round++) {
            byte[] data = new byte[random.nextInt(300_000)];
            random.nextBytes(data);
            int chunk = 1 + random.nextInt(70_000);
            try (ReadAheadInputStream in = new ReadAheadInputStream(new ByteArrayInputStream(data), chunk,
                1 + random.nextInt(4), "test-read-ahead")) {
                byte[] copy = in.readAllBytes();
                assertThat(copy).as("round %d, %d bytes in chunks of %d", round, data.length, chunk)
                    .isEqualTo(data);
                assertThat(in.read()).isEqualTo(-1);
                assertThat(in.readerFinished(5_000)).isTrue();
            }
        }
    }

    @Test
    void aSourceFailureReachesTheCallerAsTheSameExceptionAfterTheBytesBeforeIt() throws Exception {
        IOException disk = new IOException("disk gone");
        byte[] before = new byte[10_000];
        Arrays.fill(before, (byte) 7);
        InputStream failing = new InputStream() {
            private int position;

            @Override
            public int read() throws IOException {
                if (position == before.length) {
                    throw disk;
                }
                return before[position++];
            }
        };
        try (ReadAheadInputStream in = new ReadAheadInputStream(failing, 4096, 2, "test-read-ahead")) {
            assertThat(in.readNBytes(before.length)).isEqualTo(before);
            assertThatThrownBy(in::read).isSameAs(disk);
            assertThatThrownBy(in::read).as("the failure sticks").isSameAs(disk);
        }
    }

    @Test
    void availableNeverAsksTheSourceAndCloseStopsTheReaderMidStream() throws Exception {
        AtomicBoolean askedAvailable = new AtomicBoolean();
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                Arrays.fill(b, off, off + len, (byte) 1);
                return len;
            }

            @Override
            public int available() {
                askedAvailable.set(true);
                return Integer.MAX_VALUE;
            }
        };
        ReadAheadInputStream in = new ReadAheadInputStream(endless, 1024, 2, "test-read-ahead");
        assertThat(in.read()).isEqualTo(1);
        assertThat(in.available()).isEqualTo(1023);
        in.close();
        assertThat(in.readerFinished(5_000)).as("the reader stopped").isTrue();
        assertThat(askedAvailable).isFalse();
        assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }
}
