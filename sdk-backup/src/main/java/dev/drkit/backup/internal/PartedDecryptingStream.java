package dev.drkit.backup.internal;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.drkit.backup.BackupDecryptionException;
import dev.drkit.backup.BackupDecryptionException.Reason;
import dev.drkit.backup.Compression;
import dev.drkit.backup.DataPart;
import dev.drkit.backup.DecryptingStream;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.PipelineSummary;
import dev.drkit.core.secret.Secret;
import org.jspecify.annotations.Nullable;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

/**
 * The way back for a backup in parts: each part, in order, is checked against its size and SHA-256 in the manifest
 * and decrypted as its own OpenPGP message (MDC checked at its end); their literal data, concatenated, is one zstd
 * stream, decompressed and hashed. Keys are derived once for all parts ({@link KeyCache}). The manifest key comes
 * from part 0, which is opened here.
 *
 * <p>The summary's ciphertext SHA-256 is the manifest's whole-data digest once every part matched its own
 * manifest digest (together they fix every byte in order); the parts are not hashed twice. Not thread-safe.
 */
public final class PartedDecryptingStream extends DecryptingStream {

    private static final byte[] ZSTD_MAGIC = {(byte) 0x28, (byte) 0xB5, (byte) 0x2F, (byte) 0xFD};

    /** Opens a part's object in the store. */
    @FunctionalInterface
    public interface PartOpener {
        /** The stored bytes of part {@code name}. */
        InputStream open(String name) throws IOException;
    }

    /** Compares what was read of a part with the manifest; throws if they differ. */
    @FunctionalInterface
    public interface PartCheck {
        /** Called once each part has been read to its verified end. */
        void check(DataPart part, long bytes, String sha256);
    }

    private final PartOpener opener;
    private final List<DataPart> parts;
    private final String wholeSha256;
    private final DecryptionKey key;
    private final PartCheck check;
    private final KeyCache keys = new KeyCache();
    private final Concatenation concatenation = new Concatenation();
    private InputStream plaintext = InputStream.nullInputStream();
    private final MessageDigest plaintextDigest = Digests.sha256();
    private long plaintextBytes;
    private long ciphertextBytes;
    private @Nullable DefaultDecryptingStream current;
    private int currentIndex;
    private RecordingStreams.@Nullable Input currentSource;
    private @Nullable IOException sourceFailure;
    private @Nullable RuntimeException dataFailure;
    private @Nullable PipelineSummary summary;
    private @Nullable Secret manifestKey;
    private boolean closed;

    private PartedDecryptingStream(PartOpener opener, List<DataPart> parts, String wholeSha256, DecryptionKey key,
                                   PartCheck check) {
        this.opener = opener;
        this.parts = List.copyOf(parts);
        this.wholeSha256 = wholeSha256;
        this.key = key;
        this.check = check;
    }

    private void start(Compression compression) throws IOException {
        openPart(0);
        this.manifestKey = java.util.Objects.requireNonNull(current).manifestKey();
        if (compression.isZstd()) {
            BufferedInputStream buffered = new BufferedInputStream(concatenation, 1 << 16);
            buffered.mark(ZSTD_MAGIC.length);
            byte[] head = buffered.readNBytes(ZSTD_MAGIC.length);
            buffered.reset();
            if (!Arrays.equals(head, ZSTD_MAGIC)) {
                throw new BackupDecryptionException(Reason.UNSUPPORTED,
                    "the literal data is not a zstd stream (it does not start with a zstd frame)", null);
            }
            this.plaintext = new ZstdInputStreamNoFinalizer(buffered);
        } else {
            this.plaintext = concatenation;
        }
    }

    /**
     * Opens part 0 (deriving the key) and returns the stream of plaintext.
     *
     * @throws IOException                if the store cannot be read
     * @throws BackupDecryptionException if the key does not open part 0, or it is damaged
     */
    public static PartedDecryptingStream open(PartOpener opener, List<DataPart> parts, String wholeSha256,
                                              DecryptionKey key, Compression compression, PartCheck check)
        throws IOException {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a backup has at least one part");
        }
        PartedDecryptingStream stream = new PartedDecryptingStream(opener, parts, wholeSha256, key, check);
        try {
            stream.start(compression);
            return stream;
        } catch (IOException | RuntimeException e) {
            try {
                stream.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private void openPart(int index) throws IOException {
        currentIndex = index;
        RecordingStreams.Input source = RecordingStreams.input(opener.open(parts.get(index).object()));
        currentSource = source;
        try {
            current = DefaultDecryptingStream.open(source, key, Compression.none(), keys);
        } catch (IOException e) {
            sourceFailure = e;
            throw e;
        }
    }

    /** Whether {@code e} is, or was caused by, a failure of the store while reading a part. */
    public boolean sourceThrew(Throwable e) {
        return sourceFailure != null && RecordingStreams.inChain(sourceFailure, e)
            || currentSource != null && currentSource.threw(e);
    }

    /** How many keys were derived from a passphrase while reading (one per backup, whatever its parts). */
    public int keyDerivations() {
        return keys.derivations();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n;
        do {
            n = read(one, 0, 1);
        } while (n == 0);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (sourceFailure != null) {
            throw sourceFailure;
        }
        if (dataFailure != null) {
            throw dataFailure;
        }
        if (closed) {
            throw new IOException("decrypting stream is closed");
        }
        if (summary != null) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        int n;
        try {
            n = plaintext.read(b, off, len);
            if (n < 0) {
                // the zstd stream ended: nothing may follow it, and every part must have been read and verified
                if (concatenation.read() >= 0) {
                    throw damaged("data follows the end of the zstd stream", null);
                }
                summary = new PipelineSummary(plaintextBytes, Digests.hex(plaintextDigest), ciphertextBytes,
                    wholeSha256);
                return -1;
            }
        } catch (IOException | RuntimeException e) {
            throw fail(e);
        }
        plaintextDigest.update(b, off, n);
        plaintextBytes += n;
        return n;
    }

    private IOException fail(Exception e) throws IOException {
        if (sourceThrew(e)) {
            sourceFailure = e instanceof IOException ? (IOException) e : new IOException(e);
            throw sourceFailure;
        }
        if (e instanceof RuntimeException && !(e instanceof UncheckedIOException)
            && (e instanceof BackupDecryptionException || isVerificationFailure(e))) {
            dataFailure = (RuntimeException) e;
        } else {
            dataFailure = damaged("the compressed stream is damaged (" + describe(e) + ")", e);
        }
        throw dataFailure;
    }

    private static boolean isVerificationFailure(Exception e) {
        return e instanceof dev.drkit.backup.BackupVerificationException;
    }

    @Override
    public Secret manifestKey() {
        Secret key = manifestKey;
        if (key == null) {
            throw new IllegalStateException("no manifest key");
        }
        return key.withBytes(bytes -> Secret.ofBytes(bytes, "manifest key"));
    }

    @Override
    public boolean isVerified() {
        return summary != null;
    }

    @Override
    public PipelineSummary summary() {
        PipelineSummary result = summary;
        if (result == null) {
            throw new IllegalStateException("decrypting stream has not been read to a verified end"
                + (dataFailure != null ? " (it failed: " + dataFailure.getMessage() + ")" : ""));
        }
        return result;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (plaintext != concatenation) {
                try {
                    plaintext.close();
                } catch (IOException | RuntimeException e) {
                    // the first failure is the one reported
                }
            }
            DefaultDecryptingStream part = current;
            if (part != null) {
                part.close();
            }
        } finally {
            keys.close();
            if (manifestKey != null) {
                manifestKey.close();
            }
        }
    }

    /** The literal data of every part in order; each part's MDC and manifest digest checked at its end. */
    private final class Concatenation extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n;
            do {
                n = read(one, 0, 1);
            } while (n == 0);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (true) {
                DefaultDecryptingStream part = current;
                if (part == null) {
                    return -1;
                }
                int n = part.read(b, off, len);
                if (n >= 0) {
                    return n;
                }
                // part verified (MDC, nothing after the message): now its size and digest
                PipelineSummary done = part.summary();
                part.close();
                current = null;
                check.check(parts.get(currentIndex), done.ciphertextBytes(), done.ciphertextSha256());
                ciphertextBytes += done.ciphertextBytes();
                if (currentIndex + 1 < parts.size()) {
                    openPart(currentIndex + 1);
                }
            }
        }
    }

    private static BackupDecryptionException damaged(String message, @Nullable Throwable cause) {
        return new BackupDecryptionException(Reason.DAMAGED, message, cause);
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
