package dev.drkit.backup.internal;

import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.operator.PGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * The CBC-computed CFB encryption gives exactly what the JDK's own {@code AES/CFB/NoPadding} gives, for any key
 * size, IV, length and way of splitting writes; and a whole OpenPGP message made with it is byte for byte the one
 * Bouncy Castle's own JDK encryptor makes from the same random bytes.
 */
class CfbEncryptingStreamProperties {

    private static final int EXAMPLES = 200;

    @Test
    void encryptsAsTheJdksCfbDoes() {
        AtomicInteger examples = new AtomicInteger();
        qt().withExamples(EXAMPLES)
            .forAll(longs().all(), integers().between(0, 200_000), integers().between(1, 70_000))
            .checkAssert((seed, length, writeChunk) -> {
                examples.incrementAndGet();
                SplittableRandom random = new SplittableRandom(seed);
                byte[] key = bytes(random, new int[] {16, 24, 32}[random.nextInt(3)]);
                byte[] iv = bytes(random, 16);
                byte[] plaintext = bytes(random, length);
                byte[] expected = jdkCfbEncrypt(key, iv, plaintext);
                ByteArrayOutputStream actual = new ByteArrayOutputStream();
                try (OutputStream out = cfbStream(actual, key, iv)) {
                    int offset = 0;
                    while (offset < length) {
                        int n = Math.min(length - offset, 1 + random.nextInt(writeChunk));
                        if (n == 1 && random.nextBoolean()) {
                            out.write(plaintext[offset]);
                        } else {
                            out.write(plaintext, offset, n);
                        }
                        offset += n;
                    }
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                assertThat(actual.toByteArray()).as("%d bytes, writes of up to %d", length, writeChunk)
                    .isEqualTo(expected);
            });
        assertThat(examples.get()).isEqualTo(EXAMPLES);
    }

    @Test
    void makesTheSameOpenPgpMessageAsBouncyCastlesOwnEncryptor() throws Exception {
        SplittableRandom random = new SplittableRandom(11);
        for (int length : new int[] {0, 1, 15, 16, 17, 4095, 65_536, 65_537, 300_001}) {
            byte[] plaintext = bytes(random, length);
            long seed = random.nextLong();
            byte[] standard = message(plaintext, seed,
                r -> new JcePGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256).setWithIntegrityPacket(true)
                    .setSecureRandom(r));
            byte[] fast = message(plaintext, seed, FastCfbEncryptorBuilder::new);
            assertThat(fast).as("%d bytes", length).isEqualTo(standard);
        }
    }

    @Test
    void flushPassesOnEveryWholeBlockAndHoldsOnlyAPartialOne() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        byte[] key = new byte[32];
        byte[] plaintext = bytes(new SplittableRandom(3), 1000);
        OutputStream out = cfbStream(sink, key, new byte[16]);
        out.write(plaintext, 0, 40);
        out.flush();
        assertThat(sink.toByteArray()).isEqualTo(java.util.Arrays.copyOf(
            jdkCfbEncrypt(key, new byte[16], plaintext), 32));
        out.write(plaintext, 40, 960);
        out.close();
        assertThat(sink.toByteArray()).isEqualTo(jdkCfbEncrypt(key, new byte[16], plaintext));
    }

    @Test
    void refusesWritesAfterCloseAndClosesOnce() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream out = cfbStream(sink, new byte[32], new byte[16]);
        out.write(new byte[20]);
        out.close();
        out.close();
        assertThat(sink.size()).isEqualTo(20);
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void aSinkThatFailedLeavesTheStreamRefusingMoreWritesAndClose() throws IOException {
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk full");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("disk full");
            }
        };
        OutputStream out = cfbStream(failing, new byte[32], new byte[16]);
        byte[] buffer = new byte[100_000];
        assertThatThrownBy(() -> out.write(buffer)).isInstanceOf(IOException.class).hasMessage("disk full");
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class)
            .hasMessageContaining("failed earlier: disk full");
        assertThatThrownBy(() -> out.write(buffer, 0, 10)).isInstanceOf(IOException.class)
            .hasMessageContaining("failed earlier");
        assertThatThrownBy(out::close).isInstanceOf(IOException.class).hasMessageContaining("incomplete")
            .hasMessageContaining("disk full");
    }

    @Test
    void refusesToWriteAeadPackets() {
        FastCfbEncryptorBuilder builder = new FastCfbEncryptorBuilder(new SecureRandom());
        assertThatThrownBy(() -> builder.setWithIntegrityPacket(false))
            .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(builder::setUseV6AEAD).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> builder.build(new byte[32], new byte[32])).isInstanceOf(PGPException.class);
    }

    private interface BuilderFactory {
        PGPDataEncryptorBuilder create(SecureRandom random);
    }

    /** A passphrase-encrypted literal message whose every random byte comes from a generator seeded {@code seed}. */
    private static byte[] message(byte[] plaintext, long seed, BuilderFactory builders)
        throws IOException, PGPException, NoSuchAlgorithmException {
        SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
        random.setSeed(seed);   // before first use, so the sequence is fixed
        PGPEncryptedDataGenerator generator = new PGPEncryptedDataGenerator(builders.create(random));
        generator.addMethod(new JcePBEKeyEncryptionMethodGenerator("correct horse".toCharArray())
            .setSecureRandom(random));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (OutputStream encrypted = generator.open(sink, new byte[1 << 12]);
             OutputStream literal = new PGPLiteralDataGenerator().open(encrypted, PGPLiteralData.BINARY, "",
                 PGPLiteralData.NOW, new byte[1 << 12])) {
            literal.write(plaintext);
        }
        return sink.toByteArray();
    }

    private static OutputStream cfbStream(OutputStream sink, byte[] key, byte[] iv) {
        try {
            SecretKeySpec spec = new SecretKeySpec(key, "AES");
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, spec);
            byte[] first = ecb.doFinal(iv);
            Cipher cbc = Cipher.getInstance("AES/CBC/NoPadding");
            cbc.init(Cipher.ENCRYPT_MODE, spec, new IvParameterSpec(first));
            return new CfbEncryptingStream(sink, cbc, first);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] jdkCfbEncrypt(byte[] key, byte[] iv, byte[] plaintext) {
        try {
            Cipher cfb = Cipher.getInstance("AES/CFB/NoPadding");
            cfb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            return cfb.doFinal(plaintext);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] bytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
