package dev.drkit.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;

/** A backup to a public-key recipient: the manifest names the key, and the private key restores and verifies. */
class RecipientBackupTest {

    @Test
    void recordsTheRecipientsFingerprintAndRestoresWithThePrivateKey(@TempDir Path dir) throws Exception {
        OpenPgpKeyPair pair = OpenPgpKeyPair.generator("backups <ops@example.org>").noPassphrase().generate();
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine writer = BackupEngine.builder(store).encryption(Encryption.recipients(pair.recipient())).build();
        byte[] data = sample(20_000, 1);

        BackupInfo info = writer.backup(BackupSource.stream("dump", () -> new ByteArrayInputStream(data)));
        BackupManifest manifest = writer.manifest(info.id());
        try (Identity identity = Identity.of(pair.secretKeyArmored())) {
            BackupEngine reader = BackupEngine.builder(store).build();
            assertThat(reader.verify(info.id(), identity).passed()).isTrue();
            reader.restore(info.id(), identity, dir.resolve("dump"));
        }

        assertThat(manifest.encryptionMode()).isEqualTo(BackupManifest.MODE_RECIPIENTS);
        assertThat(manifest.recipients()).containsExactly(pair.fingerprint());
        assertThat(Files.readAllBytes(dir.resolve("dump"))).isEqualTo(data);
    }
}
