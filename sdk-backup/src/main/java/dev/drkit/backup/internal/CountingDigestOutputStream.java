package dev.drkit.backup.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Counts and hashes bytes on their way to {@code out}. Not thread-safe. */
final class CountingDigestOutputStream extends FilterOutputStream {

    private final MessageDigest digest = Digests.sha256();
    private long count;

    CountingDigestOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        digest.update((byte) b);
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        digest.update(b, off, len);
        count += len;
    }

    long count() {
        return count;
    }

    String sha256Hex() {
        return Digests.hex(digest);
    }
}
