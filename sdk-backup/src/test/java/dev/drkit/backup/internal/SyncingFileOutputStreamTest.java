package dev.drkit.backup.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SyncingFileOutputStreamTest {

    @Test
    void writesEveryByteAndSyncsInTheBackgroundAsItGoes(@TempDir Path dir) throws Exception {
        Path file = Files.createFile(dir.resolve("target"));
        Files.write(file, new byte[] {1, 2, 3});     // truncated on open
        byte[] block = new byte[1 << 20];
        SplittableRandom random = new SplittableRandom(9);
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        long total = 3 * BackgroundSync.INTERVAL + 12_345;
        SyncingFileOutputStream out = SyncingFileOutputStream.openTruncated(file);
        try (out) {
            for (long left = total; left > 0; ) {
                random.nextBytes(block);
                int n = (int) Math.min(left, 1 + random.nextInt(block.length));
                out.write(block, 0, n);
                written.update(block, 0, n);
                left -= n;
            }
        }
        assertThat(Files.size(file)).isEqualTo(total);
        assertThat(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)))
            .isEqualTo(written.digest());
        assertThat(out.syncsStarted()).as("a sync every %d bytes unless one is still running",
            BackgroundSync.INTERVAL).isBetween(1, 3);
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class);
    }

    @Test
    void refusesASymbolicLink(@TempDir Path dir) throws Exception {
        Path real = Files.createFile(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        assertThatThrownBy(() -> SyncingFileOutputStream.openTruncated(link)).isInstanceOf(IOException.class);
    }
}
