package dev.drkit.backup.internal.store;

import dev.drkit.backup.internal.BackgroundSync;
import dev.drkit.backup.internal.FailingForceChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurableFileOutputStreamTest {

    @Test
    void writesEveryByteSyncsLargeObjectsAsItGoesAndClosesTheChannel(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("object");
        SplittableRandom random = new SplittableRandom(5);
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        long total = 2 * BackgroundSync.INTERVAL + 777;
        byte[] block = new byte[1 << 18];
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        DurableFileOutputStream out = new DurableFileOutputStream(channel);
        try (out) {
            for (long left = total; left > 0; ) {
                random.nextBytes(block);
                // small writes go through the buffer, large ones straight to the channel: both count
                int n = (int) Math.min(left, random.nextBoolean() ? 1 + random.nextInt(100)
                    : 1 + random.nextInt(block.length));
                if (n == 1) {
                    out.write(block[0]);
                } else {
                    out.write(block, 0, n);
                }
                written.update(block, 0, n);
                left -= n;
            }
        }
        out.close();
        assertThat(channel.isOpen()).isFalse();
        assertThat(Files.size(file)).isEqualTo(total);
        assertThat(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)))
            .isEqualTo(written.digest());
        assertThat(out.syncsStarted()).as("a sync every %d bytes unless one is still running",
            BackgroundSync.INTERVAL).isBetween(1, 2);
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class);
    }

    @Test
    void aSmallObjectStartsNoBackgroundSync(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("small");
        DurableFileOutputStream out = new DurableFileOutputStream(
            FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
        try (out) {
            out.write(new byte[100_000]);
        }
        assertThat(out.syncsStarted()).isZero();
        assertThat(Files.size(file)).isEqualTo(100_000);
    }

    @Test
    void aFailedBackgroundSyncFailsTheCloseThoughTheFinalFsyncSucceeds(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("object");
        FailingForceChannel channel = new FailingForceChannel(
            FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
        DurableFileOutputStream out = new DurableFileOutputStream(channel);
        byte[] block = new byte[1 << 20];
        for (long left = BackgroundSync.INTERVAL + block.length; left > 0; left -= block.length) {
            out.write(block);
        }

        // Linux reports a writeback error to one fsync only: the final fsync alone would call this object durable
        assertThatThrownBy(out::close).isInstanceOf(IOException.class).hasMessage(FailingForceChannel.FAILURE);
        assertThat(out.syncsStarted()).isEqualTo(1);
        assertThat(channel.isOpen()).isFalse();
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class);
    }
}
