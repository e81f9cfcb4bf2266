package dev.drkit.backup;

import dev.drkit.backup.BackupDecryptionException.Reason;
import dev.drkit.core.DrkitException;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

import static dev.drkit.backup.Pipelines.PASSPHRASE;
import static dev.drkit.backup.Pipelines.decrypt;
import static dev.drkit.backup.Pipelines.encrypt;
import static dev.drkit.backup.Pipelines.fastSettings;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackupPipelineTest {

    @Test
    void roundTripsWithZstdAndReportsSizesAndDigestsOfBothSides() throws Exception {
        byte[] plaintext = sample(300_000, 1);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        EncryptingStream out = BackupPipeline.encryptingStream(sink, fastSettings(Compression.zstd()));
        out.write(plaintext);
        out.close();
        byte[] ciphertext = sink.toByteArray();

        PipelineSummary written = out.summary();
        assertThat(written.plaintextBytes()).isEqualTo(plaintext.length);
        assertThat(written.plaintextSha256()).isEqualTo(sha256(plaintext));
        assertThat(written.ciphertextBytes()).isEqualTo(ciphertext.length);
        assertThat(written.ciphertextSha256()).isEqualTo(sha256(ciphertext));
        assertThat(ciphertext.length).as("the text half compresses").isLessThan(plaintext.length * 3 / 4);

        try (DecryptingStream in = BackupPipeline.decryptingStream(new ByteArrayInputStream(ciphertext), PASSPHRASE)) {
            assertThat(in.readAllBytes()).isEqualTo(plaintext);
            assertThat(in.isVerified()).isTrue();
            assertThat(in.summary()).isEqualTo(written);
        }
    }

    @Test
    void roundTripsWithoutCompression() {
        byte[] plaintext = sample(100_000, 2);
        byte[] ciphertext = encrypt(plaintext, Compression.none());
        assertThat(ciphertext.length).isGreaterThan(plaintext.length);
        assertThat(decrypt(ciphertext, Compression.none())).isEqualTo(plaintext);
    }

    @Test
    void uncompressedPlaintextThatLooksLikeZstdRoundTrips() {
        byte[] plaintext = {(byte) 0x28, (byte) 0xB5, (byte) 0x2F, (byte) 0xFD, 1, 2, 3};
        assertThat(decrypt(encrypt(plaintext, Compression.none()), Compression.none())).isEqualTo(plaintext);
    }

    @Test
    void emptyInputRoundTripsWithAndWithoutCompression() {
        assertThat(decrypt(encrypt(new byte[0], Compression.zstd()), Compression.zstd())).isEmpty();
        assertThat(decrypt(encrypt(new byte[0], Compression.none()), Compression.none())).isEmpty();
    }

    @Test
    void streamsAnInputLargerThanAnyBufferInSmallWrites() throws Exception {
        byte[] chunk = sample(4096, 3);
        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (EncryptingStream out = BackupPipeline.encryptingStream(sink, fastSettings(Compression.zstd(1)))) {
            for (int i = 0; i < 2048; i++) {     // 8 MiB
                chunk[0] = (byte) i;
                out.write(chunk);
                expected.update(chunk);
            }
        }
        MessageDigest actual = MessageDigest.getInstance("SHA-256");
        try (DecryptingStream in = BackupPipeline.decryptingStream(new ByteArrayInputStream(sink.toByteArray()),
            PASSPHRASE)) {
            byte[] buffer = new byte[1000];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                actual.update(buffer, 0, n);
            }
            assertThat(in.summary().plaintextBytes()).isEqualTo(8L << 20);
        }
        assertThat(actual.digest()).isEqualTo(expected.digest());
    }

    @Test
    void wrongPassphraseFailsWithTypedExceptionThatDoesNotNameThePassphrase() {
        byte[] ciphertext = encrypt(sample(1000, 4), Compression.zstd());
        Secret wrong = Secret.ofString("correct horse battery stapler", "wrong");

        assertThatThrownBy(() -> decrypt(ciphertext, wrong, Compression.zstd()))
            .isInstanceOfSatisfying(BackupDecryptionException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSPHRASE);
                assertThat(e.kind()).isEqualTo(DrkitException.Kind.DATA);
                assertThat(e).isInstanceOf(BackupException.class);
                assertThat(e.getMessage()).contains("wrong passphrase").doesNotContain("horse");
                assertThat(e.context().toString()).doesNotContain("horse");
            });
    }

    @Test
    void aWrongPassphraseIsReportedAsSuchWhateverNoiseItDecryptsTheSessionKeyTo() throws Exception {
        // A wrong passphrase decrypts the session key to noise; now and then the noise names another cipher, whose
        // failure must not read as damage. Messages larger than Bouncy Castle's read-ahead mark, as backups are.
        Secret wrong = Secret.ofString("not the passphrase", "wrong");
        for (int i = 0; i < 600; i++) {
            byte[] ciphertext = encrypt(sample(60_000, 100 + i), Compression.none());
            int round = i;
            assertThatThrownBy(() -> {
                try (DecryptingStream in = BackupPipeline.decryptingStream(new ByteArrayInputStream(ciphertext),
                    wrong, Compression.none())) {
                    in.readAllBytes();
                }
            }).as("round %d", round).isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSPHRASE));
        }
    }

    @Test
    void everySingleFlippedByteOfASmallCiphertextFails() {
        byte[] plaintext = sample(200, 5);
        for (Compression compression : new Compression[] {Compression.zstd(), Compression.none()}) {
            byte[] ciphertext = encrypt(plaintext, compression);
            for (int position = 0; position < ciphertext.length; position++) {
                byte[] damaged = ciphertext.clone();
                damaged[position] ^= (byte) 0x01;
                int at = position;
                assertThatThrownBy(() -> decrypt(damaged, compression))
                    .as("bit 0 flipped at %d of %d (%s)", at, ciphertext.length, compression)
                    .isInstanceOf(BackupDecryptionException.class);
            }
        }
    }

    @Test
    void everyTruncationOfASmallCiphertextFails() {
        byte[] ciphertext = encrypt(sample(200, 6), Compression.zstd());
        for (int length = 0; length < ciphertext.length; length++) {
            byte[] truncated = Arrays.copyOf(ciphertext, length);
            int at = length;
            assertThatThrownBy(() -> decrypt(truncated, Compression.zstd()))
                .as("truncated to %d of %d", at, ciphertext.length)
                .isInstanceOf(BackupDecryptionException.class)
                .extracting(e -> ((BackupDecryptionException) e).reason()).isEqualTo(Reason.DAMAGED);
        }
    }

    @Test
    void dataAppendedAfterTheMessageFails() {
        byte[] ciphertext = encrypt(sample(200, 7), Compression.zstd());
        byte[] longer = Arrays.copyOf(ciphertext, ciphertext.length + 1);
        assertThatThrownBy(() -> decrypt(longer, Compression.zstd()))
            .isInstanceOf(BackupDecryptionException.class)
            .hasMessageContaining("follows the OpenPGP message");
    }

    @Test
    void nothingIsVerifiedBeforeEndOfStreamAndAFailureIsThrownFromReadAtTheEnd() throws Exception {
        byte[] plaintext = sample(200_000, 8);
        byte[] ciphertext = encrypt(plaintext, Compression.none());
        ciphertext[ciphertext.length - 1] ^= 0x40;    // inside the MDC, the very last packet

        try (DecryptingStream in = BackupPipeline.decryptingStream(new ByteArrayInputStream(ciphertext), PASSPHRASE,
            Compression.none())) {
            byte[] first = in.readNBytes(100_000);
            assertThat(first).isEqualTo(Arrays.copyOf(plaintext, 100_000));   // handed out, but not verified
            assertThat(in.isVerified()).isFalse();
            assertThatThrownBy(in::summary).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(in::readAllBytes)
                .isInstanceOf(BackupDecryptionException.class)
                .hasMessageContaining("MDC");
            assertThatThrownBy(in::read).as("the failure sticks").isInstanceOf(BackupDecryptionException.class);
            assertThat(in.isVerified()).isFalse();
        }
    }

    @Test
    void literalDataThatIsNotZstdIsRejectedWhenZstdIsExpected() {
        byte[] ciphertext = encrypt(sample(1000, 9), Compression.none());
        assertThatThrownBy(() -> decrypt(ciphertext, Compression.zstd()))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
            .hasMessageContaining("not a zstd stream");
    }

    @Test
    void inputThatIsNotOpenPgpFailsAsDamaged() {
        assertThatThrownBy(() -> decrypt(new byte[0], Compression.zstd()))
            .isInstanceOf(BackupDecryptionException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> decrypt("hello, world\n".getBytes(), Compression.zstd()))
            .isInstanceOf(BackupDecryptionException.class);
    }

    @Test
    void aFailingSourceStaysAnIOException() throws Exception {
        byte[] ciphertext = encrypt(sample(300_000, 10), Compression.none());
        IOException diskError = new IOException("disk on fire");
        InputStream failing = new FilterInputStream(new ByteArrayInputStream(ciphertext)) {
            private int read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read > 150_000) {
                    throw diskError;
                }
                int n = super.read(b, off, len);
                read += Math.max(n, 0);
                return n;
            }
        };
        try (DecryptingStream in = BackupPipeline.decryptingStream(failing, PASSPHRASE, Compression.none())) {
            assertThatThrownBy(in::readAllBytes).isSameAs(diskError);
        }
    }

    @Test
    void aFailedWriteLeavesNoCompleteMessageAndNoSummary() throws Exception {
        OutputStream brokenSink = new OutputStream() {
            private int written;

            @Override
            public void write(int b) throws IOException {
                if (++written > 10_000) {
                    throw new IOException("disk full");
                }
            }
        };
        EncryptingStream out = BackupPipeline.encryptingStream(brokenSink, fastSettings(Compression.none()));
        // the sink is written a little behind: its failure comes at a later write or, at the latest, at close
        IOException failure = null;
        for (int i = 0; i < 100 && failure == null; i++) {
            try {
                out.write(sample(100_000, 11));
            } catch (IOException e) {
                failure = e;
            }
        }
        if (failure == null) {
            assertThatThrownBy(out::close).hasMessage("disk full");
        } else {
            assertThat(failure).hasMessage("disk full");
            out.close();
        }
        assertThatThrownBy(out::summary).isInstanceOf(IllegalStateException.class).hasMessageContaining("failed");
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class);
    }

    @Test
    void roundTripsWithZstdCompressingOnThreadsOfItsOwn() throws Exception {
        byte[] plaintext = sample(3_000_000, 12);
        PipelineSettings settings = fastSettings(Compression.zstd(1)).toBuilder().compressionThreads(2).build();
        assertThat(settings.compressionThreads()).isEqualTo(2);
        assertThat(settings.toString()).contains("compressionThreads=2");
        byte[] ciphertext = encrypt(plaintext, settings);
        assertThat(ciphertext.length).as("the text half compresses").isLessThan(plaintext.length * 3 / 4);
        assertThat(decrypt(ciphertext, Compression.zstd())).isEqualTo(plaintext);
        assertThatThrownBy(() -> fastSettings(Compression.zstd()).toBuilder().compressionThreads(65))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 0 and 64");
    }

    @Test
    void summaryIsUnavailableUntilTheEncryptingStreamIsClosed() throws Exception {
        EncryptingStream out = BackupPipeline.encryptingStream(new ByteArrayOutputStream(),
            fastSettings(Compression.zstd()));
        out.write(1);
        assertThatThrownBy(out::summary).isInstanceOf(IllegalStateException.class).hasMessageContaining("not closed");
        out.close();
        assertThat(out.summary().plaintextBytes()).isEqualTo(1);
    }

    @Test
    void emptyPassphraseIsRejected() {
        PipelineSettings settings = PipelineSettings.of(Encryption.passphrase(Secret.ofString("", "empty")));
        assertThatThrownBy(() -> BackupPipeline.encryptingStream(new ByteArrayOutputStream(), settings))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("passphrase must not be empty");
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
