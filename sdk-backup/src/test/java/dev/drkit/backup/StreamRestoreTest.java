package dev.drkit.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Engines.WRONG_KEY;
import static dev.drkit.backup.Engines.engine;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link BackupEngine#restore(String, DecryptionKey, OutputStream)}: a file or stream backup decrypted into a stream,
 * single-message and in parts; the manifest checked before the first byte, the data's checksums at the end.
 */
class StreamRestoreTest {

    private final InMemoryBackupStore store = new InMemoryBackupStore();

    @Test
    void aStreamBackupComesBackByteForByteInOneMessageAndInParts() {
        byte[] dump = sample(700_000, 11);
        for (BackupEngine engine : new BackupEngine[] {engine(store).build(),
            engine(store).partBytes(64 * 1024).threads(2).build()}) {
            BackupInfo info = engine.backup(BackupSource.stream("app.dump", () -> new ByteArrayInputStream(dump)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();

            assertThat(engine.restore(info.id(), KEY, out)).isEqualTo(dump.length);
            assertThat(out.toByteArray()).isEqualTo(dump);
        }
    }

    @Test
    void aWrongKeyFailsBeforeAnythingIsWritten() {
        BackupEngine engine = engine(store).build();
        BackupInfo info = engine.backup(BackupSource.stream("app.dump", () -> new ByteArrayInputStream(
            sample(100_000, 12))));
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertThatThrownBy(() -> engine.restore(info.id(), WRONG_KEY, out))
            .isInstanceOf(BackupDecryptionException.class);
        assertThat(out.size()).isZero();
    }

    @Test
    void damagedDataIsWrittenButTheRestoreThrowsAtTheEnd() {
        BackupEngine engine = engine(store).compression(Compression.none()).build();
        byte[] dump = sample(400_000, 13);
        BackupInfo info = engine.backup(BackupSource.stream("app.dump", () -> new ByteArrayInputStream(dump)));
        store.edit(info.id(), BackupManifest.DATA_OBJECT_NAME, bytes -> {
            bytes[bytes.length / 2] ^= 0x01;
            return bytes;
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertThatThrownBy(() -> engine.restore(info.id(), KEY, out)).isInstanceOf(BackupException.class)
            .hasMessageContaining(info.id());
        assertThat(out.size()).as("the caller must discard what it got").isPositive();
    }

    @Test
    void aStreamThatCannotBeWrittenIsAnIoFailureNamingIt() {
        BackupEngine engine = engine(store).build();
        BackupInfo info = engine.backup(BackupSource.stream("app.dump", () -> new ByteArrayInputStream(
            sample(300_000, 14))));
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };

        assertThatThrownBy(() -> engine.restore(info.id(), KEY, full)).isInstanceOf(BackupIoException.class)
            .hasMessageContaining("output stream could not be written").hasMessageContaining("No space left");
    }

    @Test
    void aDirectoryBackupIsNotRestoredIntoAStream(@TempDir Path dir) throws Exception {
        BackupEngine engine = engine(store).build();
        Files.write(dir.resolve("a.txt"), new byte[] {1, 2, 3});
        BackupInfo info = engine.backup(BackupSource.directory(dir));

        assertThatThrownBy(() -> engine.restore(info.id(), KEY, new ByteArrayOutputStream()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is of a directory");
    }
}
