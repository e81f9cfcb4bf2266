package dev.drkit.backup.internal;

import org.jspecify.annotations.Nullable;

import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Full-block CFB encryption (what OpenPGP's integrity-protected data packet, SEIPD v1, uses: a zero IV and no
 * resynchronisation) computed through the block cipher's CBC mode, which the JDK runs as one intrinsic loop per
 * call where its own CFB mode calls AES once per block from Java: about twice the speed on the machines measured
 * (docs/benchmarks.md).
 *
 * <p>CFB encryption is {@code C[i] = P[i] XOR K[i]} with {@code K[0] = E(IV)} and {@code K[i+1] = E(C[i])
 * = E(P[i] XOR K[i])}. That recurrence is CBC encryption of the plaintext with {@code K[0]} as its IV: CBC's
 * output block {@code i} is {@code K[i+1]}. So one CBC call over a buffer yields the buffer's key stream shifted
 * by one block, and a XOR gives the ciphertext. A final partial block is encrypted as CFB does it, with the
 * leading bytes of its key-stream block. Bytes are held until a whole block (or the end) is known, as the JDK's
 * own cipher streams do; {@link #close()} writes the rest, then closes the sink. Not thread-safe.
 */
final class CfbEncryptingStream extends FilterOutputStream {

    private static final int BUFFER_BYTES = 64 * 1024;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final Cipher cbc;
    private final int blockSize;
    private final byte[] plaintext = new byte[BUFFER_BYTES];
    private int plaintextLength;
    /** CBC's output for {@link #plaintext}: the key stream of each block's successor. */
    private final byte[] nextKeyStream = new byte[BUFFER_BYTES];
    /** The key stream for the first block not yet encrypted. */
    private final byte[] keyStream;
    private final byte[] ciphertext = new byte[BUFFER_BYTES];
    private boolean closed;
    /** The sink's failure: the key stream has moved past bytes the sink may not hold, so nothing may follow. */
    private @Nullable IOException sinkFailure;

    /**
     * @param out            the ciphertext's sink
     * @param cbc            the block cipher in CBC mode without padding, initialised to encrypt with the key and
     *                       with {@code firstKeyStream} as its IV
     * @param firstKeyStream the block cipher's encryption of the CFB IV, one block long
     */
    CfbEncryptingStream(OutputStream out, Cipher cbc, byte[] firstKeyStream) {
        super(out);
        this.cbc = Objects.requireNonNull(cbc, "cbc");
        this.blockSize = cbc.getBlockSize();
        if (firstKeyStream.length != blockSize || blockSize % Long.BYTES != 0 || BUFFER_BYTES % blockSize != 0) {
            throw new IllegalArgumentException("the first key stream block must be one block (" + blockSize
                + " bytes) long");
        }
        this.keyStream = firstKeyStream.clone();
    }

    @Override
    public void write(int b) throws IOException {
        ensureOpen();
        plaintext[plaintextLength++] = (byte) b;
        if (plaintextLength == plaintext.length) {
            encryptWholeBlocks();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        while (len > 0) {
            int n = Math.min(len, plaintext.length - plaintextLength);
            System.arraycopy(b, off, plaintext, plaintextLength, n);
            plaintextLength += n;
            off += n;
            len -= n;
            if (plaintextLength == plaintext.length) {
                encryptWholeBlocks();
            }
        }
    }

    /**
     * Encrypts and passes on every whole block held, then flushes the sink; bytes short of a whole block stay held,
     * as in the JDK's and Bouncy Castle's cipher streams.
     */
    @Override
    public void flush() throws IOException {
        ensureOpen();
        encryptWholeBlocks();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (OutputStream sink = out) {
            if (sinkFailure != null) {
                throw new IOException("the message is incomplete: its sink failed earlier: " + sinkFailure.getMessage(),
                    sinkFailure);
            }
            encryptWholeBlocks();
            if (plaintextLength > 0) {
                // The final partial block: CFB XORs it with the leading bytes of its key-stream block.
                for (int i = 0; i < plaintextLength; i++) {
                    ciphertext[i] = (byte) (plaintext[i] ^ keyStream[i]);
                }
                sink.write(ciphertext, 0, plaintextLength);
                plaintextLength = 0;
            }
            sink.flush();
        }
    }

    private void encryptWholeBlocks() throws IOException {
        int whole = plaintextLength - plaintextLength % blockSize;
        if (whole == 0) {
            return;
        }
        try {
            if (cbc.update(plaintext, 0, whole, nextKeyStream, 0) != whole) {
                throw new IOException("the block cipher returned a short key stream");
            }
        } catch (ShortBufferException e) {
            throw new IOException("the block cipher needs a larger buffer", e);
        }
        for (int i = 0; i < blockSize; i++) {
            ciphertext[i] = (byte) (plaintext[i] ^ keyStream[i]);
        }
        // Eight bytes at a time: the JIT does not vectorise a byte loop reading another array at a shifted index
        // (it cannot rule out aliasing), and byte by byte this XOR cost about half as much as the AES itself.
        for (int i = blockSize; i < whole; i += Long.BYTES) {
            long keyStreamWord = (long) LONGS.get(nextKeyStream, i - blockSize);
            LONGS.set(ciphertext, i, (long) LONGS.get(plaintext, i) ^ keyStreamWord);
        }
        System.arraycopy(nextKeyStream, whole - blockSize, keyStream, 0, blockSize);
        try {
            out.write(ciphertext, 0, whole);
        } catch (IOException e) {
            sinkFailure = e;
            throw e;
        }
        int rest = plaintextLength - whole;
        System.arraycopy(plaintext, whole, plaintext, 0, rest);
        plaintextLength = rest;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("the encrypting stream is closed");
        }
        if (sinkFailure != null) {
            throw new IOException("nothing more can be written: the sink failed earlier: " + sinkFailure.getMessage(),
                sinkFailure);
        }
    }
}
