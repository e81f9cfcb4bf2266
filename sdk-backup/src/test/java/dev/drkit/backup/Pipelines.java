package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;

/** Test helpers: in-memory encryption and decryption, with a cheap S2K so tests stay fast. */
final class Pipelines {

    static final Secret PASSPHRASE = Secret.ofString("correct horse battery staple", "test-passphrase");

    private Pipelines() {
    }

    static PipelineSettings fastSettings(Compression compression) {
        return PipelineSettings.builder(PassphraseEncryption.builder(PASSPHRASE)
                .s2kBytes(PassphraseEncryption.MIN_S2K_BYTES).build())
            .compression(compression)
            .build();
    }

    static byte[] encrypt(byte[] plaintext, Compression compression) {
        return encrypt(plaintext, fastSettings(compression));
    }

    static byte[] encrypt(byte[] plaintext, PipelineSettings settings) {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (EncryptingStream out = BackupPipeline.encryptingStream(sink, settings)) {
            out.write(plaintext);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sink.toByteArray();
    }

    static byte[] decrypt(byte[] ciphertext, Compression compression) {
        return decrypt(ciphertext, PASSPHRASE, compression);
    }

    static byte[] decrypt(byte[] ciphertext, Secret passphrase, Compression compression) {
        try (DecryptingStream in = BackupPipeline.decryptingStream(new ByteArrayInputStream(ciphertext), passphrase,
            compression)) {
            byte[] plaintext = in.readAllBytes();
            if (!in.isVerified()) {
                throw new AssertionError("end of stream reached without verification");
            }
            return plaintext;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Half random, half repetitive text, so compression has something to do. */
    static byte[] sample(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = i < size / 2 ? (byte) random.nextInt(256) : (byte) ("id,name,amount\n".charAt(i % 15));
        }
        return bytes;
    }
}
