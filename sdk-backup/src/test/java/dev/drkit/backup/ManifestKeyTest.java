package dev.drkit.backup;

import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;

import static dev.drkit.backup.Pipelines.PASSPHRASE;
import static dev.drkit.backup.Pipelines.fastSettings;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;

class ManifestKeyTest {

    @Test
    void writerAndReaderDeriveTheSameKeyAndEachMessageHasItsOwn() throws Exception {
        byte[] plaintext = sample(10_000, 7);
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        Secret written;
        try (EncryptingStream out = BackupPipeline.encryptingStream(first, fastSettings(Compression.zstd()))) {
            out.write(plaintext);
            written = out.manifestKey();
        }
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        Secret other;
        try (EncryptingStream out = BackupPipeline.encryptingStream(second, fastSettings(Compression.zstd()))) {
            out.write(plaintext);
            other = out.manifestKey();
        }

        Secret read;
        try (DecryptingStream in = BackupPipeline.decryptingStream(new ByteArrayInputStream(first.toByteArray()),
            DecryptionKey.passphrase(PASSPHRASE), Compression.zstd())) {
            read = in.manifestKey();
            assertThat(in.readAllBytes()).isEqualTo(plaintext);
        }

        assertThat(written.length()).isEqualTo(32);
        assertThat(read).isEqualTo(written);
        assertThat(other).as("a fresh session key per message").isNotEqualTo(written);
        assertThat(written.toString()).isEqualTo("Secret[manifest key]");
    }
}
