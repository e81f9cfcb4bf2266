package dev.drkit.backup;

import dev.drkit.backup.BackupDecryptionException.Reason;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Invariants of public-key mode: every recipient's private key (and the passphrase, when one was added) decrypts
 * exactly what was encrypted, a key that is not a recipient never does, and a damaged byte never goes unnoticed. The keys
 * are made once and unprotected, so each example costs one X25519 operation, not a key derivation.
 */
class RecipientEncryptionProperties {

    private static final int ROUND_TRIPS = 60;
    private static final int DAMAGES = 150;
    private static final PassphraseEncryption FAST_PASSPHRASE = PassphraseEncryption.builder(Pipelines.PASSPHRASE)
        .s2kBytes(PassphraseEncryption.MIN_S2K_BYTES).build();

    /** Which recipients, and whether a passphrase is added; bit 0 = first pair, bit 1 = second pair. */
    private record Setting(int recipients, boolean passphrase, Compression compression) {
        RecipientEncryption encryption() {
            RecipientEncryption.Builder builder = RecipientEncryption.builder();
            if ((recipients & 1) != 0) {
                builder.recipient(TestKeys.unprotectedPair().recipient());
            }
            if ((recipients & 2) != 0) {
                builder.recipient(TestKeys.otherPair().recipient());
            }
            if (passphrase) {
                builder.passphrase(FAST_PASSPHRASE);
            }
            return builder.build();
        }

        /** Every key that must open the message. */
        List<DecryptionKey> keys() {
            List<DecryptionKey> keys = new java.util.ArrayList<>();
            if ((recipients & 1) != 0) {
                keys.add(TestKeys.identity(TestKeys.unprotectedPair()));
            }
            if ((recipients & 2) != 0) {
                keys.add(TestKeys.identity(TestKeys.otherPair()));
            }
            if (passphrase) {
                keys.add(DecryptionKey.passphrase(Pipelines.PASSPHRASE));
            }
            return keys;
        }
    }

    private static final BiFunction<byte[], Setting, List<byte[]>> PIPELINE = (plaintext, setting) -> {
        byte[] ciphertext = Pipelines.encrypt(plaintext, PipelineSettings.builder(setting.encryption())
            .compression(setting.compression()).build());
        return setting.keys().stream().map(key -> decrypt(ciphertext, key, setting.compression())).toList();
    };

    @Test
    void everyRecipientAndThePassphraseDecryptExactlyWhatWasEncrypted() {
        AtomicInteger examples = new AtomicInteger();
        roundTripProperty(PIPELINE, examples);
        assertThat(examples.get()).isEqualTo(ROUND_TRIPS);
    }

    @Test
    void theRoundTripPropertyCatchesAPipelineThatFlipsABit() {
        BiFunction<byte[], Setting, List<byte[]>> broken = (plaintext, setting) -> PIPELINE.apply(plaintext, setting)
            .stream().map(out -> {
                byte[] copy = out.clone();
                if (copy.length > 0) {
                    copy[copy.length / 2] ^= 1;
                }
                return copy;
            }).toList();
        assertThatThrownBy(() -> roundTripProperty(broken, new AtomicInteger())).isInstanceOf(AssertionError.class);
    }

    @Test
    void aKeyThatIsNotARecipientNeverDecrypts() {
        AtomicInteger examples = new AtomicInteger();
        OpenPgpKeyPair outsider = OpenPgpKeyPair.generator("Outsider <outsider@example.com>").noPassphrase()
            .generate();
        Identity identity = Identity.of(outsider.secretKeyArmored());
        qt().withExamples(ROUND_TRIPS)
            .forAll(inputs(16 * 1024), settings())
            .checkAssert((plaintext, setting) -> {
                examples.incrementAndGet();
                byte[] ciphertext = Pipelines.encrypt(plaintext, PipelineSettings.builder(setting.encryption())
                    .compression(setting.compression()).build());
                assertThatThrownBy(() -> decrypt(ciphertext, identity, setting.compression()))
                    .isInstanceOfSatisfying(BackupDecryptionException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_KEY));
            });
        assertThat(examples.get()).isEqualTo(ROUND_TRIPS);
    }

    /**
     * A damaged byte never yields wrong plaintext: decryption fails, or (only where OpenPGP itself has slack) it
     * yields exactly the original plaintext from a ciphertext whose SHA-256 differs, which the manifest's
     * ciphertext checksum catches. The slack found so far: the bit count of the ephemeral-key MPI in an ECDH
     * session key packet, whose low bits can change without changing the number of bytes that follow, so the
     * decoded key, and everything after it, stays the same.
     */
    @Test
    void aDamagedByteNeverYieldsWrongPlaintextAndAlwaysChangesTheCiphertextDigest() {
        AtomicInteger examples = new AtomicInteger();
        AtomicInteger detected = new AtomicInteger();
        qt().withExamples(DAMAGES)
            .forAll(inputs(4096), settings(), integers().between(0, Integer.MAX_VALUE), integers().between(1, 255))
            .checkAssert((plaintext, setting, where, xor) -> {
                examples.incrementAndGet();
                PipelineSettings settings = PipelineSettings.builder(setting.encryption())
                    .compression(setting.compression()).build();
                byte[] ciphertext = Pipelines.encrypt(plaintext, settings);
                String originalDigest = summary(ciphertext, setting.keys().get(0), setting.compression())
                    .ciphertextSha256();
                int position = where % ciphertext.length;
                ciphertext[position] ^= (byte) (int) xor;
                for (DecryptionKey key : setting.keys()) {
                    PipelineSummary damaged;
                    try {
                        damaged = summary(ciphertext, key, setting.compression());
                    } catch (BackupDecryptionException e) {
                        detected.incrementAndGet();
                        continue;
                    }
                    assertThat(damaged.plaintextSha256()).as("byte %d of %d xor %d, %s", position,
                        ciphertext.length, xor, setting).isEqualTo(sha256Hex(plaintext));
                    assertThat(damaged.ciphertextSha256()).isNotEqualTo(originalDigest);
                }
            });
        assertThat(examples.get()).isEqualTo(DAMAGES);
        assertThat(detected.get()).as("nearly every damaged byte fails decryption").isGreaterThan(DAMAGES * 3 / 4);
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static PipelineSummary summary(byte[] ciphertext, DecryptionKey key, Compression compression) {
        try (DecryptingStream in = BackupPipeline.decryptingStream(new ByteArrayInputStream(ciphertext), key,
            compression)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return in.summary();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void roundTripProperty(BiFunction<byte[], Setting, List<byte[]>> pipeline,
                                          AtomicInteger examples) {
        qt().withExamples(ROUND_TRIPS)
            .forAll(inputs(64 * 1024), settings())
            .checkAssert((plaintext, setting) -> {
                examples.incrementAndGet();
                List<byte[]> outputs = pipeline.apply(plaintext, setting);
                assertThat(outputs).hasSize(setting.keys().size());
                outputs.forEach(out -> assertThat(out).isEqualTo(plaintext));
            });
    }

    private static byte[] decrypt(byte[] ciphertext, DecryptionKey key, Compression compression) {
        try (DecryptingStream in = BackupPipeline.decryptingStream(new ByteArrayInputStream(ciphertext), key,
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

    private static Gen<Setting> settings() {
        return integers().between(1, 3).zip(booleans().all(), booleans().all(), integers().between(1, 3),
            (recipients, passphrase, zstd, level) -> new Setting(recipients, passphrase,
                zstd ? Compression.zstd(level) : Compression.none()));
    }

    private static Gen<byte[]> inputs(int maxSize) {
        return integers().between(0, maxSize).zip(longs().all(), (size, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            byte[] bytes = new byte[size];
            for (int i = 0; i < size; i++) {
                bytes[i] = (i / 512) % 2 == 0 ? (byte) random.nextInt(256) : (byte) ('a' + (i % 5));
            }
            return bytes;
        });
    }
}
