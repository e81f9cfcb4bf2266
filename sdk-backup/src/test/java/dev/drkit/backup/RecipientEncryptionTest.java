package dev.drkit.backup;

import dev.drkit.backup.BackupDecryptionException.Reason;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecipientEncryptionTest {

    static byte[] encrypt(byte[] plaintext, Encryption encryption) {
        return Pipelines.encrypt(plaintext, PipelineSettings.of(encryption));
    }

    static byte[] decrypt(byte[] ciphertext, DecryptionKey key) {
        try (DecryptingStream in = BackupPipeline.decryptingStream(new ByteArrayInputStream(ciphertext), key,
            Compression.zstd())) {
            byte[] plaintext = in.readAllBytes();
            assertThat(in.isVerified()).isTrue();
            return plaintext;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theMatchingPrivateKeyDecryptsWhatWasEncryptedToItsPublicKey() {
        OpenPgpKeyPair pair = TestKeys.protectedPair();
        byte[] plaintext = sample(300_000, 1);

        byte[] ciphertext = encrypt(plaintext, Encryption.recipients(pair.recipient()));

        assertThat(decrypt(ciphertext, TestKeys.identity(pair))).isEqualTo(plaintext);
    }

    @Test
    void eachOfSeveralRecipientsDecryptsAlone() {
        byte[] plaintext = sample(10_000, 2);
        byte[] ciphertext = encrypt(plaintext, Encryption.recipients(TestKeys.unprotectedPair().recipient(),
            TestKeys.otherPair().recipient()));

        assertThat(decrypt(ciphertext, TestKeys.identity(TestKeys.unprotectedPair()))).isEqualTo(plaintext);
        assertThat(decrypt(ciphertext, TestKeys.identity(TestKeys.otherPair()))).isEqualTo(plaintext);
    }

    @Test
    void withAPassphraseAddedEitherThePassphraseOrTheKeyDecrypts() {
        byte[] plaintext = sample(10_000, 3);
        RecipientEncryption encryption = RecipientEncryption.builder()
            .recipient(TestKeys.unprotectedPair().recipient())
            .passphrase(PassphraseEncryption.builder(Pipelines.PASSPHRASE).s2kBytes(PassphraseEncryption.MIN_S2K_BYTES)
                .build())
            .build();
        byte[] ciphertext = encrypt(plaintext, encryption);

        assertThat(decrypt(ciphertext, TestKeys.identity(TestKeys.unprotectedPair()))).isEqualTo(plaintext);
        assertThat(decrypt(ciphertext, DecryptionKey.passphrase(Pipelines.PASSPHRASE))).isEqualTo(plaintext);
    }

    @Test
    void anotherPrivateKeyFailsAsWrongKeyNamingTheKeyIdsTheMessageNeeds() {
        OpenPgpKeyPair pair = TestKeys.unprotectedPair();
        byte[] ciphertext = encrypt(sample(1000, 4), Encryption.recipients(pair.recipient()));
        Identity other = TestKeys.identity(TestKeys.otherPair());

        assertThatThrownBy(() -> decrypt(ciphertext, other))
            .isInstanceOfSatisfying(BackupDecryptionException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.WRONG_KEY);
                assertThat(e.recipientKeyIds()).containsExactly(pair.encryptionKeyId());
                assertThat(e.context()).containsEntry("reason", "WRONG_KEY");
            })
            .hasMessageContaining(pair.encryptionKeyId())
            .hasMessageContaining(other.fingerprint());
    }

    @Test
    void aPassphraseOnAMessageForPublicKeysOnlyFailsAsWrongKey() {
        OpenPgpKeyPair pair = TestKeys.unprotectedPair();
        byte[] ciphertext = encrypt(sample(1000, 5), Encryption.recipients(pair.recipient()));

        assertThatThrownBy(() -> decrypt(ciphertext, DecryptionKey.passphrase(Pipelines.PASSPHRASE)))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_KEY))
            .hasMessageContaining("public keys only")
            .hasMessageContaining(pair.encryptionKeyId());
    }

    @Test
    void aPrivateKeyOnAPassphraseMessageFailsAsWrongKey() {
        byte[] ciphertext = Pipelines.encrypt(sample(1000, 6), Compression.zstd());

        assertThatThrownBy(() -> decrypt(ciphertext, TestKeys.identity(TestKeys.unprotectedPair())))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_KEY))
            .hasMessageContaining("passphrase only");
    }

    @Test
    void aFlippedByteInTheDataFailsAsDamaged() {
        byte[] ciphertext = encrypt(sample(50_000, 7), Encryption.recipients(TestKeys.unprotectedPair().recipient()));
        ciphertext[ciphertext.length - 30] ^= 0x40;

        assertThatThrownBy(() -> decrypt(ciphertext, TestKeys.identity(TestKeys.unprotectedPair())))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.DAMAGED));
    }

    @Test
    void aFlippedByteInTheSessionKeyPacketFailsAsDamaged() {
        byte[] ciphertext = encrypt(sample(5_000, 8), Encryption.recipients(TestKeys.unprotectedPair().recipient()));
        // The PKESK comes first: header (2), version (1), key ID (8), algorithm (1), then the ephemeral point.
        ciphertext[20] ^= 0x01;

        assertThatThrownBy(() -> decrypt(ciphertext, TestKeys.identity(TestKeys.unprotectedPair())))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.DAMAGED));
    }

    @Test
    void writerAndReaderDeriveTheSameManifestKeyInRecipientMode() throws Exception {
        OpenPgpKeyPair pair = TestKeys.unprotectedPair();
        byte[] plaintext = sample(10_000, 9);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        Secret written;
        try (EncryptingStream out = BackupPipeline.encryptingStream(sink,
            PipelineSettings.of(Encryption.recipients(pair.recipient())))) {
            out.write(plaintext);
            written = out.manifestKey();
        }
        Secret read;
        try (DecryptingStream in = BackupPipeline.decryptingStream(new ByteArrayInputStream(sink.toByteArray()),
            TestKeys.identity(pair), Compression.zstd())) {
            read = in.manifestKey();
            assertThat(in.readAllBytes()).isEqualTo(plaintext);
        }
        Secret other;
        try (EncryptingStream out = BackupPipeline.encryptingStream(new ByteArrayOutputStream(),
            PipelineSettings.of(Encryption.recipients(pair.recipient())))) {
            other = out.manifestKey();
        }

        assertThat(written.length()).isEqualTo(32);
        assertThat(read).isEqualTo(written);
        assertThat(other).as("a fresh session key per message").isNotEqualTo(written);
    }

    @Test
    void theSettingsNameTheRecipientsByFingerprintWithoutDuplicates() {
        RecipientKey key = TestKeys.unprotectedPair().recipient();
        RecipientEncryption encryption = RecipientEncryption.builder()
            .recipients(List.of(key, RecipientKey.parse(key.armored()))).build();

        assertThat(encryption.recipients()).containsExactly(key);
        assertThat(encryption.fingerprints()).containsExactly(key.fingerprint());
        assertThat(encryption.passphrase()).isEmpty();
        assertThat(encryption.toString()).contains(key.fingerprint());
    }

    @Test
    void recipientsCannotBeEmpty() {
        assertThatThrownBy(() -> RecipientEncryption.builder().build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("recipients must not be empty");
    }
}
