package dev.drkit.backup.internal;

import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * Full-block CFB decryption (what OpenPGP's integrity-protected data packet, SEIPD v1, uses: a zero IV and no
 * resynchronisation) that decrypts many blocks per call to the block cipher.
 *
 * <p>CFB decryption is {@code P[i] = C[i] XOR E(C[i-1])}, with {@code C[-1]} the IV: every block cipher input is
 * ciphertext already read, so a whole buffer's key stream is one ECB encryption of the buffer shifted by one
 * block. The JDK runs ECB through its vectorised AES intrinsics, where its own CFB mode calls AES once per block;
 * on the machines measured (docs/benchmarks.md) that is the difference between about 0.35 and several GB/s.
 * A final partial block is decrypted as CFB does it, with the leading bytes of the last key-stream block.
 * Not thread-safe.
 */
final class CfbDecryptingStream extends FilterInputStream {

    private static final int BUFFER_BYTES = 64 * 1024;

    private final Cipher ecb;
    private final int blockSize;
    /** Ciphertext read but not yet decrypted (always fewer than a block between reads, except at the end). */
    private final byte[] ciphertext = new byte[BUFFER_BYTES];
    private int ciphertextLength;
    /** Block cipher inputs: the previous ciphertext block, then all but the last block of {@link #ciphertext}. */
    private final byte[] shifted = new byte[BUFFER_BYTES];
    private final byte[] keyStream = new byte[BUFFER_BYTES];
    private final byte[] feedback;
    private final byte[] plaintext = new byte[BUFFER_BYTES];
    private int plaintextPosition;
    private int plaintextLength;
    private boolean sourceEnded;

    /**
     * @param in  the ciphertext
     * @param ecb the block cipher in ECB mode without padding, initialised to <em>encrypt</em> with the key (CFB
     *            uses the forward cipher in both directions)
     * @param iv  the initial vector, one block long
     */
    CfbDecryptingStream(InputStream in, Cipher ecb, byte[] iv) {
        super(in);
        this.ecb = Objects.requireNonNull(ecb, "ecb");
        this.blockSize = ecb.getBlockSize();
        if (iv.length != blockSize || BUFFER_BYTES % blockSize != 0) {
            throw new IllegalArgumentException("the IV must be one block (" + blockSize + " bytes) long");
        }
        this.feedback = iv.clone();
    }

    @Override
    public int read() throws IOException {
        if (!fill()) {
            return -1;
        }
        return plaintext[plaintextPosition++] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, plaintextLength - plaintextPosition);
        System.arraycopy(plaintext, plaintextPosition, b, off, n);
        plaintextPosition += n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        while (skipped < n && fill()) {
            int step = (int) Math.min(n - skipped, plaintextLength - plaintextPosition);
            plaintextPosition += step;
            skipped += step;
        }
        return skipped;
    }

    @Override
    public int available() {
        return plaintextLength - plaintextPosition;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Makes plaintext available; {@code false} at the end of the ciphertext. */
    private boolean fill() throws IOException {
        while (plaintextPosition == plaintextLength) {
            if (sourceEnded && ciphertextLength == 0) {
                return false;
            }
            if (!sourceEnded) {
                int n = in.read(ciphertext, ciphertextLength, ciphertext.length - ciphertextLength);
                if (n < 0) {
                    sourceEnded = true;
                } else {
                    ciphertextLength += n;
                }
            }
            int whole = ciphertextLength - ciphertextLength % blockSize;
            if (whole > 0) {
                decrypt(whole, whole);
            } else if (sourceEnded && ciphertextLength > 0) {
                decrypt(blockSize, ciphertextLength);
            }
        }
        return true;
    }

    /**
     * Decrypts the first {@code length} bytes of {@link #ciphertext}, computing {@code cipherBlocksBytes} (whole
     * blocks, at least {@code length}) of key stream, and keeps the undecrypted rest for the next call.
     */
    private void decrypt(int cipherBlocksBytes, int length) throws IOException {
        System.arraycopy(feedback, 0, shifted, 0, blockSize);
        System.arraycopy(ciphertext, 0, shifted, blockSize, cipherBlocksBytes - blockSize);
        try {
            if (ecb.update(shifted, 0, cipherBlocksBytes, keyStream, 0) != cipherBlocksBytes) {
                throw new IOException("the block cipher returned a short key stream");
            }
        } catch (ShortBufferException e) {
            throw new IOException("the block cipher needs a larger buffer", e);
        }
        for (int i = 0; i < length; i++) {
            plaintext[i] = (byte) (ciphertext[i] ^ keyStream[i]);
        }
        if (length == cipherBlocksBytes) {
            System.arraycopy(ciphertext, length - blockSize, feedback, 0, blockSize);
        }
        int rest = ciphertextLength - length;
        System.arraycopy(ciphertext, length, ciphertext, 0, rest);
        ciphertextLength = rest;
        plaintextPosition = 0;
        plaintextLength = length;
    }
}
