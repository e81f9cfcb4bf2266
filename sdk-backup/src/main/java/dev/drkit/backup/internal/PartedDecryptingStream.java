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
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The way back for a backup in parts: each part, in order, is checked against its size and SHA-256 in the manifest
 * and decrypted as its own OpenPGP message (MDC checked at its end); their literal data, concatenated, is one zstd
 * stream, decompressed and hashed. Keys are derived once for all parts ({@link KeyCache}). The manifest key comes
 * from part 0, which is opened here and read as a stream. With more than one thread, the parts after it are read
 * ahead by workers, each checked against the manifest before it is decrypted into memory, and handed on in
 * order: at most {@code threads} parts (ciphertext and plaintext) are held at once.
 *
 * <p>The summary's ciphertext SHA-256 is the manifest's whole-data digest once every part matched its own
 * manifest digest (together they fix every byte in order); the parts are not hashed twice. Not thread-safe.
 */
public final class PartedDecryptingStream extends DecryptingStream {

    private static final byte[] ZSTD_MAGIC = {(byte) 0x28, (byte) 0xB5, (byte) 0x2F, (byte) 0xFD};
    /** The largest part decrypted ahead into memory: larger than any part drkit writes (64 MiB plus headers). */
    private static final long MAX_AHEAD_BYTES = 80L * 1024 * 1024;

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
    private final int threads;
    private final @Nullable ExecutorService workers;
    private final ArrayDeque<Future<java.nio.ByteBuffer>> ahead = new ArrayDeque<>();
    private int nextAhead = 1;
    private java.nio.@Nullable ByteBuffer served;
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
                                   PartCheck check, int threads) {
        this.opener = opener;
        this.parts = List.copyOf(parts);
        this.wholeSha256 = wholeSha256;
        this.key = key;
        this.check = check;
        this.threads = threads;
        if (threads > 1 && parts.size() > 1) {
            AtomicInteger n = new AtomicInteger();
            this.workers = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "drkit-decrypt-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        } else {
            this.workers = null;
        }
    }

    private void start(Compression compression) throws IOException {
        openPart(0);
        fillAhead();
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
        return open(opener, parts, wholeSha256, key, compression, check, 1);
    }

    /**
     * As {@link #open(PartOpener, List, String, DecryptionKey, Compression, PartCheck)}, with up to
     * {@code threads} parts after part 0 read, checked and decrypted ahead, in parallel, each into memory (its
     * ciphertext and its plaintext), and handed on in order. {@code 1} reads every part as a stream, one after
     * another.
     */
    public static PartedDecryptingStream open(PartOpener opener, List<DataPart> parts, String wholeSha256,
                                              DecryptionKey key, Compression compression, PartCheck check,
                                              int threads) throws IOException {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a backup has at least one part");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be positive, but was " + threads);
        }
        PartedDecryptingStream stream = new PartedDecryptingStream(opener, parts, wholeSha256, key, check, threads);
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

    /** Keeps up to {@code threads} parts being read, checked and decrypted ahead. */
    private void fillAhead() {
        ExecutorService pool = workers;
        if (pool == null) {
            return;
        }
        while (ahead.size() < threads && nextAhead < parts.size()) {
            DataPart part = parts.get(nextAhead++);
            ahead.addLast(pool.submit(() -> decryptWhole(part)));
        }
    }

    /**
     * Reads one part into memory, checks its size and SHA-256 against the manifest before decrypting it, then
     * decrypts it (MDC checked) and returns its literal data. Runs on a worker.
     */
    private java.nio.ByteBuffer decryptWhole(DataPart part) throws IOException {
        if (part.bytes() > MAX_AHEAD_BYTES) {
            throw damaged("part " + part.object() + " is " + part.bytes() + " bytes, larger than drkit writes", null);
        }
        // Sized from the manifest and filled in place: no copy. A longer object fails the size check.
        byte[] ciphertext = new byte[(int) part.bytes()];
        int length;
        boolean longer;
        try (InputStream in = opener.open(part.object())) {
            length = in.readNBytes(ciphertext, 0, ciphertext.length);
            longer = length == ciphertext.length && in.read() >= 0;
        } catch (IOException e) {
            throw new StoreFailure(e);
        }
        MessageDigest digest = Digests.sha256();
        digest.update(ciphertext, 0, length);
        check.check(part, longer ? part.bytes() + 1 : length, Digests.hex(digest));
        try (DefaultDecryptingStream in = DefaultDecryptingStream.open(
            new java.io.ByteArrayInputStream(ciphertext, 0, length), key, Compression.none(), keys)) {
            // The literal data is shorter than its ciphertext: one array of that size holds it, where
            // readAllBytes would hold it twice while it grows (the 64 MiB heap bound counts every copy).
            byte[] literal = new byte[length];
            int n = in.readNBytes(literal, 0, literal.length);
            if (in.read() >= 0 || !in.isVerified()) {
                throw damaged("part " + part.object() + " was not verified", null);
            }
            return java.nio.ByteBuffer.wrap(literal, 0, n);
        }
    }

    /** The next part decrypted ahead, in order; its failure, if any, as it was thrown. */
    private java.nio.ByteBuffer takeAhead() throws IOException {
        Future<java.nio.ByteBuffer> next = ahead.removeFirst();
        try {
            return next.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while decrypting a part");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof StoreFailure) {
                sourceFailure = ((StoreFailure) cause).io;
                throw sourceFailure;
            }
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw damaged("a part could not be decrypted (" + describe(cause) + ")", cause);
        }
    }

    /** A failure of the store while a worker read a part: the environment, not the data. */
    private static final class StoreFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient IOException io;

        StoreFailure(IOException io) {
            super(io);
            this.io = io;
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
            if (workers != null) {
                workers.shutdownNow();
            }
            served = null;
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
                java.nio.ByteBuffer whole = served;
                if (whole != null) {
                    if (whole.hasRemaining()) {
                        int n = Math.min(len, whole.remaining());
                        whole.get(b, off, n);
                        return n;
                    }
                    served = null;
                    next();
                    continue;
                }
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
                next();
            }
        }

        /** Moves on to the part after the current one: decrypted ahead, or opened as a stream. */
        private void next() throws IOException {
            int index = currentIndex + 1;
            if (index >= parts.size()) {
                return;
            }
            if (workers == null) {
                openPart(index);
                return;
            }
            currentIndex = index;
            served = takeAhead();
            ciphertextBytes += parts.get(index).bytes();
            fillAhead();
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
