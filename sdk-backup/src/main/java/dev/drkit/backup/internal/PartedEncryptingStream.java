package dev.drkit.backup.internal;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.drkit.backup.Compression;
import dev.drkit.backup.DataPart;
import dev.drkit.backup.EncryptingStream;
import dev.drkit.backup.PassphraseEncryption;
import dev.drkit.backup.PipelineSettings;
import dev.drkit.backup.PipelineSummary;
import dev.drkit.backup.RecipientEncryption;
import dev.drkit.backup.RecipientKey;
import dev.drkit.core.secret.Secret;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * plaintext -> (hash) -> zstd -> cut into parts of {@code partBytes} -> each part its own OpenPGP message
 * (literal data packet in SEIPD v1 with MDC, AES-256, no OpenPGP compression), encrypted by up to {@code threads}
 * workers at once -> one ordered writer that stores {@code data.00000.pgp}, {@code data.00001.pgp}, ..., hashing
 * each part and the whole.
 *
 * <p>Memory: at most {@code threads} parts are in flight (each its plaintext and its ciphertext) plus the one
 * being filled, so about {@code (2 * threads + 1) * partBytes} whatever the input size.
 *
 * <p>Keys: a passphrase is stretched once per backup (one S2K salt shared by every part; each part has its own
 * random session key wrapped under that one derived key), so {@code gpg --decrypt} opens each part with the same
 * passphrase. For public-key recipients each part gets its own session key, wrapped to each recipient (a small
 * ECDH or RSA operation per part and recipient): nothing is shared between parts but the recipients. The manifest
 * key is derived from part 0's session key, so it is known only once the stream is closed.
 *
 * <p>Not thread-safe (the workers are internal).
 */
public final class PartedEncryptingStream extends EncryptingStream {

    /** Where finished parts go, in order. */
    @FunctionalInterface
    public interface PartSink {
        /** Opens the object for part {@code name}; the stream is closed before the next is opened. */
        OutputStream create(String name) throws IOException;
    }

    private final PartSink sink;
    private final int partBytes;
    private final int threads;
    private final ExecutorService workers;
    private final PartEncryptor encryptor;
    private final ArrayDeque<Future<Encrypted>> inFlight = new ArrayDeque<>();
    private final OutputStream top;
    private final Cutter cutter;
    private final MessageDigest plaintextDigest = Digests.sha256();
    private final MessageDigest ciphertextDigest = Digests.sha256();
    private final List<DataPart> parts = new ArrayList<>();
    private long plaintextBytes;
    private long ciphertextBytes;
    private int submitted;
    private boolean failed;
    private boolean closed;
    private @Nullable PipelineSummary summary;
    private @Nullable Secret manifestKey;
    private @Nullable IOException storeFailure;

    private PartedEncryptingStream(PipelineSettings settings, PartSink sink, int partBytes, int threads)
        throws IOException {
        this.sink = sink;
        this.partBytes = partBytes;
        this.threads = threads;
        this.encryptor = new PartEncryptor(settings);
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "drkit-encrypt-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.cutter = new Cutter();
        Compression compression = settings.compression();
        if (compression.isZstd()) {
            ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(cutter, compression.level());
            zstd.setChecksum(true);
            if (settings.compressionThreads() > 0) {
                zstd.setWorkers(settings.compressionThreads());
            }
            this.top = zstd;
        } else {
            this.top = cutter;
        }
    }

    /**
     * Opens the stream. The passphrase is read (and the key derived) here.
     *
     * @param partBytes the size of each part's plaintext (the compressed stream), at least 1
     * @param threads   how many parts are encrypted at once, at least 1
     */
    public static PartedEncryptingStream open(PipelineSettings settings, PartSink sink, int partBytes, int threads)
        throws IOException {
        if (partBytes < 1 || threads < 1) {
            throw new IllegalArgumentException("partBytes and threads must be positive, but were " + partBytes
                + " and " + threads);
        }
        return new PartedEncryptingStream(settings, sink, partBytes, threads);
    }

    /** Whether {@code e} is, or was caused by, a failure of the store's streams. */
    public boolean storeThrew(Throwable e) {
        return RecordingStreams.inChain(storeFailure, e);
    }

    /** The parts written, in order (complete once the stream is closed). */
    public List<DataPart> parts() {
        return List.copyOf(parts);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        try {
            top.write(b, off, len);
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
        plaintextDigest.update(b, off, len);
        plaintextBytes += len;
    }

    @Override
    public void flush() throws IOException {
        checkWritable();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!failed) {
                try {
                    top.close();           // ends the zstd frame into the cutter
                    cutter.finish();       // the last, possibly short, part
                    while (!inFlight.isEmpty()) {
                        store(inFlight.removeFirst());
                    }
                } catch (IOException | RuntimeException e) {
                    failed = true;
                    throw e;
                }
                summary = new PipelineSummary(plaintextBytes, Digests.hex(plaintextDigest), ciphertextBytes,
                    Digests.hex(ciphertextDigest));
            }
        } finally {
            workers.shutdownNow();
            encryptor.close();
        }
    }

    /**
     * The key that authenticates the manifest: HKDF-SHA256 of part 0's session key. Unlike the single-message
     * stream, available only after a successful {@link #close()}.
     *
     * @throws IllegalStateException before that
     */
    @Override
    public Secret manifestKey() {
        Secret key = manifestKey;
        if (key == null || summary == null) {
            throw new IllegalStateException("the manifest key of a backup in parts is known once the stream is "
                + "closed");
        }
        return key.withBytes(bytes -> Secret.ofBytes(bytes, "manifest key"));
    }

    @Override
    public PipelineSummary summary() {
        PipelineSummary result = summary;
        if (result == null) {
            throw new IllegalStateException(failed ? "encrypting stream failed; no summary"
                : "encrypting stream is not closed yet; close it to finish the message");
        }
        return result;
    }

    private void checkWritable() throws IOException {
        if (closed) {
            throw new IOException("encrypting stream is closed");
        }
        if (failed) {
            throw new IOException("encrypting stream failed earlier; the backup is incomplete");
        }
    }

    /** Hands a full buffer to a worker; stores the oldest part first if all workers are busy. */
    private void submit(byte[] buffer, int length) throws IOException {
        while (inFlight.size() >= threads) {
            store(inFlight.removeFirst());
        }
        int index = submitted++;
        inFlight.addLast(workers.submit(() -> encryptor.encrypt(index, buffer, length)));
    }

    private void store(Future<Encrypted> future) throws IOException {
        Encrypted part;
        try {
            part = future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while encrypting a part");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IOException("encrypting a part failed: " + cause, cause);
        }
        String name = DataPart.objectName(part.index);
        RecordingStreams.Output out = null;
        try {
            out = RecordingStreams.output(sink.create(name));
            out.write(part.bytes, 0, part.length);
            out.close();
        } catch (IOException e) {
            storeFailure = e;
            if (out != null) {
                try {
                    out.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        ciphertextDigest.update(part.bytes, 0, part.length);
        ciphertextBytes += part.length;
        parts.add(new DataPart(name, part.length, part.sha256));
        if (part.index == 0) {
            manifestKey = part.manifestKey;
        } else if (part.manifestKey != null) {
            part.manifestKey.close();
        }
    }

    /** Collects the compressed stream into part-sized buffers. */
    private final class Cutter extends OutputStream {
        private byte[] buffer = new byte[partBytes];
        private int length;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, partBytes - length);
                System.arraycopy(b, off, buffer, length, n);
                length += n;
                off += n;
                len -= n;
                if (length == partBytes) {
                    submit(buffer, length);
                    buffer = new byte[partBytes];
                    length = 0;
                }
            }
        }

        @Override
        public void close() {
            // finish() ends the last part; the zstd stream's close must not.
        }

        /** Submits what is left: the last part, or the only (possibly empty) one. */
        void finish() throws IOException {
            if (length > 0 || submitted == 0) {
                submit(buffer, length);
                buffer = new byte[0];
                length = 0;
            }
        }
    }

    /** A byte array output stream whose array can be read without a copy. */
    private static final class ExposedBuffer extends ByteArrayOutputStream {
        ExposedBuffer(int size) {
            super(size);
        }

        byte[] array() {
            return buf;
        }
    }

    /** One encrypted part. */
    private static final class Encrypted {
        final int index;
        final byte[] bytes;
        final int length;
        final String sha256;
        final @Nullable Secret manifestKey;

        Encrypted(int index, byte[] bytes, int length, String sha256, @Nullable Secret manifestKey) {
            this.index = index;
            this.bytes = bytes;
            this.length = length;
            this.sha256 = sha256;
            this.manifestKey = manifestKey;
        }
    }

    /** Encrypts parts, from any thread; derives the passphrase's key once. */
    private static final class PartEncryptor implements AutoCloseable {
        private final SecureRandom random = new SecureRandom();
        private final @Nullable DerivedPassphraseMethod passphrase;
        private final List<PGPPublicKey> recipients = new ArrayList<>();

        PartEncryptor(PipelineSettings settings) throws IOException {
            PassphraseEncryption passphraseSettings;
            if (settings.encryption() instanceof PassphraseEncryption) {
                passphraseSettings = (PassphraseEncryption) settings.encryption();
            } else if (settings.encryption() instanceof RecipientEncryption) {
                RecipientEncryption r = (RecipientEncryption) settings.encryption();
                Instant now = Instant.now();
                for (RecipientKey recipient : r.recipients()) {
                    OpenPGPCertificate cert = PgpKeys.readCertificate(recipient.encoded(), "recipient "
                        + recipient.fingerprint());
                    recipients.add(PgpKeys.encryptionKey(cert, now));
                }
                Optional<PassphraseEncryption> fallback = r.passphrase();
                passphraseSettings = fallback.orElse(null);
            } else {
                throw new IllegalArgumentException("unsupported encryption: " + settings.encryption());
            }
            if (passphraseSettings != null) {
                passphrase = DerivedPassphraseMethod.derive(passphraseSettings, random);
            } else {
                passphrase = null;
            }
        }

        Encrypted encrypt(int index, byte[] data, int length) throws IOException, PGPException {
            PGPEncryptedDataGenerator generator = new PGPEncryptedDataGenerator(
                new FastCfbEncryptorBuilder(random));   // AES-256, SEIPD v1 with MDC: what gpg 2.2 reads
            Secret[] manifestKey = new Secret[1];
            if (index == 0) {
                generator.setSessionKeyExtractionCallback(sessionKey -> {
                    // Never log or print sessionKey: its toString shows the key.
                    byte[] key = sessionKey.getKey();
                    try {
                        manifestKey[0] = ManifestKeys.derive(key);
                    } finally {
                        Arrays.fill(key, (byte) 0);
                    }
                });
            }
            for (PGPPublicKey key : recipients) {
                generator.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(key).setSecureRandom(random));
            }
            if (passphrase != null) {
                generator.addMethod(passphrase);
            }
            // Room for the packet headers and one session key packet per recipient, so the buffer is never
            // copied to grow; its array is handed on as it is, never copied either.
            ExposedBuffer out = new ExposedBuffer(length + 4096 + 1024 * recipients.size());
            try (OutputStream encrypted = generator.open(out, new byte[DefaultEncryptingStream.PACKET_BUFFER])) {
                PGPLiteralDataGenerator literalGenerator = new PGPLiteralDataGenerator();
                try (OutputStream literal = literalGenerator.open(encrypted, PGPLiteralData.BINARY, "",
                    PGPLiteralData.NOW, new byte[DefaultEncryptingStream.PACKET_BUFFER])) {
                    literal.write(data, 0, length);
                }
            }
            MessageDigest digest = Digests.sha256();
            digest.update(out.array(), 0, out.size());
            if (index == 0 && manifestKey[0] == null) {
                throw new PGPException("the OpenPGP session key was not reported");
            }
            return new Encrypted(index, out.array(), out.size(), Digests.hex(digest), manifestKey[0]);
        }

        @Override
        public void close() {
            if (passphrase != null) {
                passphrase.wipe();
            }
        }
    }
}
