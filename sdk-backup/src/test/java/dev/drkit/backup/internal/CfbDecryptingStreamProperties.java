package dev.drkit.backup.internal;

import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * The batched CFB decryption gives exactly what the JDK's own {@code AES/CFB/NoPadding} gives, for any key size,
 * IV, length (whole blocks or not, across its buffer boundary) and any way the source and the caller split reads.
 */
class CfbDecryptingStreamProperties {

    private static final int EXAMPLES = 200;

    @Test
    void decryptsAsTheJdksCfbDoes() {
        AtomicInteger examples = new AtomicInteger();
        qt().withExamples(EXAMPLES)
            .forAll(longs().all(), integers().between(0, 200_000), integers().between(1, 70_000),
                integers().between(1, 70_000))
            .checkAssert((seed, length, sourceChunk, readChunk) -> {
                examples.incrementAndGet();
                SplittableRandom random = new SplittableRandom(seed);
                byte[] key = bytes(random, new int[] {16, 24, 32}[random.nextInt(3)]);
                byte[] iv = bytes(random, 16);
                byte[] ciphertext = bytes(random, length);
                byte[] expected = jdkCfbDecrypt(key, iv, ciphertext);
                byte[] actual = readAll(new CfbDecryptingStream(new ChunkedInput(ciphertext, sourceChunk),
                    ecb(key), iv), readChunk, random);
                assertThat(actual).as("%d bytes, source reads of %d, caller reads of %d", length, sourceChunk,
                    readChunk).isEqualTo(expected);
            });
        assertThat(examples.get()).isEqualTo(EXAMPLES);
    }

    @Test
    void singleByteReadsAndSkipsAgreeWithTheJdk() throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        byte[] key = bytes(random, 32);
        byte[] iv = new byte[16];
        byte[] ciphertext = bytes(random, 1000);
        byte[] expected = jdkCfbDecrypt(key, iv, ciphertext);
        try (InputStream in = new CfbDecryptingStream(new ChunkedInput(ciphertext, 7), ecb(key), iv)) {
            assertThat(in.read()).isEqualTo(expected[0] & 0xFF);
            assertThat(in.skip(500)).isEqualTo(500);
            assertThat(in.read()).isEqualTo(expected[501] & 0xFF);
            assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(expected, 502, 1000));
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    private static byte[] readAll(InputStream in, int chunk, SplittableRandom random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[chunk + 3];
        try (in) {
            while (true) {
                int offset = random.nextInt(4);
                int n = in.read(buffer, offset, Math.max(1, random.nextInt(chunk) + 1));
                if (n < 0) {
                    return out.toByteArray();
                }
                out.write(buffer, offset, n);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] jdkCfbDecrypt(byte[] key, byte[] iv, byte[] ciphertext) {
        try {
            Cipher cfb = Cipher.getInstance("AES/CFB/NoPadding");
            cfb.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            return cfb.doFinal(ciphertext);
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static Cipher ecb(byte[] key) {
        try {
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            return ecb;
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] bytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** A source that returns at most {@code chunk} bytes per read, as a network or pipe might. */
    private static final class ChunkedInput extends ByteArrayInputStream {
        private final int chunk;

        ChunkedInput(byte[] data, int chunk) {
            super(data);
            this.chunk = chunk;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, chunk));
        }
    }
}
