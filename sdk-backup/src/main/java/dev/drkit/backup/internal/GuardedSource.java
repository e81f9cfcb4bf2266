package dev.drkit.backup.internal;

import org.jspecify.annotations.Nullable;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * The ciphertext source: counts and hashes what is read, and remembers the exceptions the source itself threw,
 * so that a failing disk or network stays an {@link IOException} while everything that Bouncy Castle or zstd
 * reports about the bytes becomes a data error. Not thread-safe.
 */
final class GuardedSource extends FilterInputStream {

    private final MessageDigest digest = Digests.sha256();
    private long count;
    private @Nullable IOException sourceFailure;

    GuardedSource(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b;
        try {
            b = in.read();
        } catch (IOException e) {
            sourceFailure = e;
            throw e;
        }
        if (b >= 0) {
            digest.update((byte) b);
            count++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n;
        try {
            n = in.read(b, off, len);
        } catch (IOException e) {
            sourceFailure = e;
            throw e;
        }
        if (n > 0) {
            digest.update(b, off, n);
            count += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes must still be counted and hashed.
        byte[] buffer = new byte[(int) Math.min(n, 8192)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
        // not supported: marking would count bytes twice
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    /** Whether {@code e} (or one of its causes) was thrown by the source itself. */
    boolean threw(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t == sourceFailure) {
                return true;
            }
        }
        return false;
    }

    @Nullable IOException sourceFailure() {
        return sourceFailure;
    }

    long count() {
        return count;
    }

    String sha256Hex() {
        return Digests.hex(digest);
    }
}
