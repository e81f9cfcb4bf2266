package dev.drkit.backup;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import static dev.drkit.backup.Pipelines.decrypt;
import static dev.drkit.backup.Pipelines.encrypt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Invariants of the pipeline: decrypt(encrypt(x)) == x for any input and compression setting, and any single
 * damaged byte or any truncation of a ciphertext is detected. QuickTheories prints the seed of a failing run.
 */
class BackupPipelineProperties {

    private static final int MAX_SIZE = 256 * 1024;
    private static final int ROUND_TRIPS = 150;
    private static final int DAMAGES = 300;

    /** A pipeline under test: plaintext and compression in, plaintext out. */
    private static final BiFunction<byte[], Compression, byte[]> PIPELINE =
        (plaintext, compression) -> decrypt(encrypt(plaintext, compression), compression);

    @Test
    void decryptionReturnsExactlyWhatWasEncrypted() {
        AtomicInteger examples = new AtomicInteger();
        roundTripProperty(PIPELINE, examples);
        assertThat(examples.get()).isEqualTo(ROUND_TRIPS);
    }

    @Test
    void theRoundTripPropertyCatchesAPipelineThatDropsTheLastByte() {
        BiFunction<byte[], Compression, byte[]> broken = (plaintext, compression) -> {
            byte[] out = PIPELINE.apply(plaintext, compression);
            return out.length == 0 ? out : Arrays.copyOf(out, out.length - 1);
        };
        assertThatThrownBy(() -> roundTripProperty(broken, new AtomicInteger()))
            .isInstanceOf(AssertionError.class);
    }

    @Test
    void anyDamagedByteIsDetected() {
        AtomicInteger examples = new AtomicInteger();
        qt().withExamples(DAMAGES)
            .forAll(inputs(4096), compressions(), integers().between(0, Integer.MAX_VALUE), integers().between(1, 255))
            .checkAssert((plaintext, compression, where, xor) -> {
                examples.incrementAndGet();
                byte[] ciphertext = encrypt(plaintext, compression);
                int position = where % ciphertext.length;
                ciphertext[position] ^= (byte) (int) xor;
                assertThatThrownBy(() -> decrypt(ciphertext, compression))
                    .as("byte %d of %d xor %d", position, ciphertext.length, xor)
                    .isInstanceOf(BackupDecryptionException.class);
            });
        assertThat(examples.get()).isEqualTo(DAMAGES);
    }

    @Test
    void anyTruncationIsDetected() {
        AtomicInteger examples = new AtomicInteger();
        qt().withExamples(DAMAGES)
            .forAll(inputs(MAX_SIZE / 4), compressions(), integers().between(0, Integer.MAX_VALUE))
            .checkAssert((plaintext, compression, cut) -> {
                examples.incrementAndGet();
                byte[] ciphertext = encrypt(plaintext, compression);
                int length = cut % ciphertext.length;        // strictly shorter than the whole
                assertThatThrownBy(() -> decrypt(Arrays.copyOf(ciphertext, length), compression))
                    .as("truncated to %d of %d", length, ciphertext.length)
                    .isInstanceOf(BackupDecryptionException.class);
            });
        assertThat(examples.get()).isEqualTo(DAMAGES);
    }

    private static void roundTripProperty(BiFunction<byte[], Compression, byte[]> pipeline, AtomicInteger examples) {
        qt().withExamples(ROUND_TRIPS)
            .forAll(inputs(MAX_SIZE), compressions())
            .checkAssert((plaintext, compression) -> {
                examples.incrementAndGet();
                assertThat(pipeline.apply(plaintext, compression)).isEqualTo(plaintext);
            });
    }

    /** Byte arrays of 0..maxSize bytes: random, repetitive or mixed, so compression sees all kinds. */
    private static Gen<byte[]> inputs(int maxSize) {
        return integers().between(0, maxSize)
            .zip(longs().all(), integers().between(0, 2), (size, seed, kind) -> bytes(size, seed, kind));
    }

    private static Gen<Compression> compressions() {
        return booleans().all().zip(integers().between(1, 5),
            (on, level) -> on ? Compression.zstd(level) : Compression.none());
    }

    private static byte[] bytes(int size, long seed, int kind) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            boolean noise = kind == 0 || (kind == 2 && (i / 1024) % 2 == 0);
            bytes[i] = noise ? (byte) random.nextInt(256) : (byte) ('a' + (i % 7));
        }
        return bytes;
    }
}
