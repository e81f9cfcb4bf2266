package dev.drkit.backup.internal;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.drkit.backup.BackupDecryptionException;
import dev.drkit.backup.BackupDecryptionException.Reason;
import dev.drkit.backup.Compression;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.DecryptingStream;
import dev.drkit.backup.Identity;
import dev.drkit.backup.PassphraseKey;
import dev.drkit.backup.PipelineSummary;
import dev.drkit.core.secret.Secret;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPPBEEncryptedData;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.OpenPGPKey.OpenPGPSecretKey;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.PGPSessionKey;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEDataDecryptorFactoryBuilder;
import org.jspecify.annotations.Nullable;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * source -> (hash) -> SKESK or PKESK + SEIPD v1 -> literal data -> zstd -> (hash) -> caller, with the MDC, the zstd
 * checksum and the end of the message checked when the plaintext runs out, before {@code -1} is returned.
 * Not thread-safe.
 */
public final class DefaultDecryptingStream extends DecryptingStream {

    private static final byte[] ZSTD_MAGIC = {(byte) 0x28, (byte) 0xB5, (byte) 0x2F, (byte) 0xFD};
    private static final int READ_AHEAD_CHUNK_BYTES = 256 * 1024;
    private static final int READ_AHEAD_CHUNKS = 4;

    private final GuardedSource source;
    private final JcaPGPObjectFactory outer;
    private final PGPEncryptedData encrypted;
    private final InputStream literal;
    private final InputStream plaintext;
    private final MessageDigest plaintextDigest = Digests.sha256();
    private long plaintextBytes;
    private @Nullable RuntimeException dataFailure;
    private @Nullable IOException sourceFailure;
    private @Nullable PipelineSummary summary;
    private boolean closed;
    private final Secret manifestKey;
    /** Reads and decrypts ahead on its own thread; {@code null} for the parts of a parted backup. */
    private final @Nullable ReadAheadInputStream ahead;

    private DefaultDecryptingStream(GuardedSource source, JcaPGPObjectFactory outer, PGPEncryptedData encrypted,
                                    InputStream literal, InputStream plaintext, Secret manifestKey,
                                    @Nullable ReadAheadInputStream ahead) {
        this.ahead = ahead;
        this.manifestKey = manifestKey;
        this.source = source;
        this.outer = outer;
        this.encrypted = encrypted;
        this.literal = literal;
        this.plaintext = plaintext;
    }

    /**
     * Reads the message header, derives the key and returns the stream of plaintext. The ciphertext is read,
     * hashed and decrypted on a thread of its own, a few chunks ahead of the caller, who decompresses and hashes
     * the plaintext: two cores at work on one message.
     */
    public static DefaultDecryptingStream open(InputStream in, DecryptionKey key, Compression expected)
        throws IOException {
        return open(in, key, expected, new KeyCache(), true);
    }

    /**
     * As {@link #open(InputStream, DecryptionKey, Compression)}, deriving keys through {@code keys}, so that the
     * parts of one backup derive the passphrase's key or unlock the private key once.
     */
    public static DefaultDecryptingStream open(InputStream in, DecryptionKey key, Compression expected,
                                               KeyCache keys) throws IOException {
        return open(in, key, expected, keys, false);
    }

    private static DefaultDecryptingStream open(InputStream in, DecryptionKey key, Compression expected,
                                                KeyCache keys, boolean readAhead) throws IOException {
        GuardedSource source = new GuardedSource(in);
        try {
            return open(source, key, expected, keys, readAhead);
        } catch (IOException | PGPException | RuntimeException e) {
            closeQuietly(source);
            IOException sourceFailure = source.sourceFailure();
            if (sourceFailure != null) {
                // The source itself failed (disk, network): not a verdict on the data.
                throw sourceFailure;
            }
            if (e instanceof BackupDecryptionException) {
                throw (BackupDecryptionException) e;
            }
            throw damaged("the OpenPGP message is damaged or truncated (" + describe(e) + ")", e);
        }
    }

    private static DefaultDecryptingStream open(GuardedSource source, DecryptionKey key, Compression expected,
                                                KeyCache keys, boolean readAhead)
        throws IOException, PGPException {
        JcaPGPObjectFactory outer = new JcaPGPObjectFactory(source);
        Object first = outer.nextObject();
        while (first instanceof PGPMarker) {
            first = outer.nextObject();
        }
        if (first == null) {
            throw damaged("the input is empty: not an OpenPGP message", null);
        }
        if (!(first instanceof PGPEncryptedDataList)) {
            throw damaged("the input is not an encrypted OpenPGP message (it starts with "
                + first.getClass().getSimpleName() + ")", null);
        }
        PGPEncryptedDataList list = (PGPEncryptedDataList) first;
        List<PGPPBEEncryptedData> passphrasePackets = new ArrayList<>();
        List<PGPPublicKeyEncryptedData> publicKeyPackets = new ArrayList<>();
        for (PGPEncryptedData candidate : list) {
            if (!candidate.isIntegrityProtected()) {
                throw new BackupDecryptionException(Reason.UNSUPPORTED,
                    "the OpenPGP message has no integrity protection (no MDC); drkit refuses to read it", null);
            }
            if (candidate instanceof PGPPBEEncryptedData) {
                passphrasePackets.add((PGPPBEEncryptedData) candidate);
            } else if (candidate instanceof PGPPublicKeyEncryptedData) {
                publicKeyPackets.add((PGPPublicKeyEncryptedData) candidate);
            }
        }
        List<String> recipientKeyIds = new ArrayList<>();
        publicKeyPackets.forEach(p -> recipientKeyIds.add(PgpKeys.keyId(p.getKeyID())));
        Opened clear;
        if (key instanceof PassphraseKey) {
            clear = openWithPassphrase(passphrasePackets, ((PassphraseKey) key).passphrase(), recipientKeyIds, keys);
        } else if (key instanceof Identity) {
            clear = openWithIdentity(publicKeyPackets, (Identity) key, recipientKeyIds, keys);
        } else {
            throw new IllegalArgumentException("unsupported decryption key: " + key);
        }
        JcaPGPObjectFactory inner = new JcaPGPObjectFactory(clear.data);
        Object packet = inner.nextObject();
        if (packet instanceof PGPCompressedData) {
            // gpg compresses with ZIP by default; drkit never does, but reads it so gpg-made files work.
            inner = new JcaPGPObjectFactory(((PGPCompressedData) packet).getDataStream());
            packet = inner.nextObject();
        }
        if (!(packet instanceof PGPLiteralData)) {
            throw damaged("the decrypted OpenPGP message holds no literal data packet (found "
                + (packet == null ? "nothing" : packet.getClass().getSimpleName()) + ")", null);
        }
        InputStream literal = ((PGPLiteralData) packet).getInputStream();
        ReadAheadInputStream ahead = null;
        if (readAhead) {
            ahead = new ReadAheadInputStream(literal, READ_AHEAD_CHUNK_BYTES, READ_AHEAD_CHUNKS, "drkit-decrypt");
            literal = ahead;
        }
        try {
            return withPlaintext(source, outer, clear, literal, expected, ahead);
        } catch (IOException | RuntimeException e) {
            if (ahead != null) {
                ahead.close();
            }
            throw e;
        }
    }

    private static DefaultDecryptingStream withPlaintext(GuardedSource source, JcaPGPObjectFactory outer,
                                                         Opened clear, InputStream literal, Compression expected,
                                                         @Nullable ReadAheadInputStream ahead)
        throws IOException {
        InputStream plaintext = literal;
        if (expected.isZstd()) {
            BufferedInputStream buffered = new BufferedInputStream(literal, 1 << 16);
            buffered.mark(ZSTD_MAGIC.length);
            byte[] head = buffered.readNBytes(ZSTD_MAGIC.length);
            buffered.reset();
            if (!Arrays.equals(head, ZSTD_MAGIC)) {
                throw new BackupDecryptionException(Reason.UNSUPPORTED,
                    "the literal data is not a zstd stream (it does not start with a zstd frame); "
                        + "decrypt it with Compression.none()", null);
            }
            plaintext = new ZstdInputStreamNoFinalizer(buffered);
            literal = buffered;
        }
        return new DefaultDecryptingStream(source, outer, clear.encrypted, literal, plaintext, clear.manifestKey,
            ahead);
    }

    private static Opened openWithPassphrase(List<PGPPBEEncryptedData> packets, Secret passphrase,
                                             List<String> recipientKeyIds, KeyCache keys) throws PGPException {
        if (packets.isEmpty()) {
            throw new BackupDecryptionException(Reason.WRONG_KEY, "the OpenPGP message is encrypted to public keys "
                + "only (key IDs " + String.join(", ", recipientKeyIds) + "); it needs one of their private keys, "
                + "not a passphrase", recipientKeyIds, null);
        }
        for (PGPPBEEncryptedData pbe : packets) {
            Opened clear = tryPassphrase(pbe, passphrase, keys);
            if (clear != null) {
                return clear;
            }
        }
        throw new BackupDecryptionException(Reason.WRONG_PASSPHRASE,
            "wrong passphrase: the session key did not decrypt, or OpenPGP's quick check failed "
                + "(or the passphrase packet is damaged)", recipientKeyIds, null);
    }

    /**
     * Finds the public-key packet addressed to a key of {@code identity} (or addressed to nobody in particular, as
     * {@code gpg --throw-keyids} writes), unlocks that private key and recovers the session key.
     */
    private static Opened openWithIdentity(List<PGPPublicKeyEncryptedData> packets, Identity identity,
                                           List<String> recipientKeyIds, KeyCache keys) throws PGPException {
        if (packets.isEmpty()) {
            throw new BackupDecryptionException(Reason.WRONG_KEY, "the OpenPGP message is encrypted with a "
                + "passphrase only; it needs the passphrase, not a private key", null);
        }
        OpenPGPKey key = keys.parse(identity);
        List<OpenPGPSecretKey> candidates = keys.decryptionKeys(key);
        @Nullable Secret passphrase = identity.passphrase().orElse(null);
        @Nullable String locked = null;
        for (PGPPublicKeyEncryptedData packet : packets) {
            long wanted = packet.getKeyID();
            for (OpenPGPSecretKey candidate : candidates) {
                long id = candidate.getKeyIdentifier().getKeyId();
                if (wanted != 0L && wanted != id) {
                    continue;
                }
                PGPPrivateKey privateKey = keys.unlock(candidate, passphrase);
                if (privateKey == null) {
                    locked = PgpKeys.keyId(id);
                    continue;
                }
                PGPSessionKey sessionKey;
                try {
                    // Unwrapping the session key is one small ECDH or RSA operation: Bouncy Castle's own code.
                    sessionKey = packet.getSessionKey(new BcPublicKeyDataDecryptorFactory(privateKey));
                } catch (PGPException | RuntimeException e) {
                    if (wanted == 0L) {
                        continue;   // addressed to nobody in particular: this key was simply not the one
                    }
                    throw new BackupDecryptionException(Reason.DAMAGED, "the session key packet for key "
                        + PgpKeys.keyId(id) + " does not decrypt with that key: the packet is damaged ("
                        + describe(e) + ")", recipientKeyIds, e);
                }
                return Opened.with(packet, sessionKey);
            }
        }
        if (locked != null) {
            throw new BackupDecryptionException(Reason.WRONG_KEY, "the passphrase does not unlock key " + locked
                + " of private key " + identity.fingerprint() + ", which this message is encrypted to",
                recipientKeyIds, null);
        }
        throw new BackupDecryptionException(Reason.WRONG_KEY, "no matching private key: the message is encrypted "
            + "to key IDs " + String.join(", ", recipientKeyIds) + ", and private key " + identity.fingerprint()
            + " holds " + String.join(", ", identity.decryptionKeyIds()), recipientKeyIds, null);
    }

    /**
     * The decrypted stream of {@code pbe} and its manifest key, or {@code null} if the passphrase does not fit it.
     * The cache derives the key from a short-lived copy of the passphrase and keeps only the derived key.
     */
    private static @Nullable Opened tryPassphrase(PGPPBEEncryptedData pbe, Secret passphrase, KeyCache keys) {
        try {
            PGPSessionKey sessionKey = pbe.getSessionKey(keys.passphraseFactory(passphrase));
            return Opened.with(pbe, sessionKey);
        } catch (PGPException | RuntimeException e) {
            if (hasCause(e, EOFException.class)) {
                // The bytes ran out: that is damage, not a wrong passphrase.
                throw damaged("the OpenPGP message is damaged or truncated (" + describe(e) + ")", e);
            }
            // Bouncy Castle writes an encrypted session key into the passphrase packet. A wrong passphrase
            // decrypts it to noise, which shows as an unknown cipher, a key of the wrong length, a failed quick
            // check (PGPDataValidationException), or, for a cipher of another block size, an I/O error while
            // Bouncy Castle reads the prefix ("Resetting to invalid mark"), depending on the noise.
            return null;
        }
    }

    /** A decrypted data stream with the manifest key derived from its session key. */
    private static final class Opened {
        final PGPEncryptedData encrypted;
        final InputStream data;
        final Secret manifestKey;

        private Opened(PGPEncryptedData encrypted, InputStream data, Secret manifestKey) {
            this.encrypted = encrypted;
            this.data = data;
            this.manifestKey = manifestKey;
        }

        static Opened with(PGPPBEEncryptedData encrypted, PGPSessionKey sessionKey) throws PGPException {
            // Never log or print sessionKey: its toString shows the key.
            InputStream data = encrypted.getDataStream(FastCfbDecryptorFactory.forSessionKey(sessionKey));
            return derive(encrypted, data, sessionKey);
        }

        static Opened with(PGPPublicKeyEncryptedData encrypted, PGPSessionKey sessionKey) throws PGPException {
            // The bulk data runs on the JDK's AES, whatever unwrapped the session key.
            InputStream data = encrypted.getDataStream(FastCfbDecryptorFactory.forSessionKey(sessionKey));
            return derive(encrypted, data, sessionKey);
        }

        private static Opened derive(PGPEncryptedData encrypted, InputStream data, PGPSessionKey sessionKey) {
            byte[] key = sessionKey.getKey();
            try {
                return new Opened(encrypted, data, ManifestKeys.derive(key));
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        }
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
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
        rethrowEarlierFailure();
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
                finish();
                return -1;
            }
        } catch (IOException | PGPException | RuntimeException e) {
            throw fail(e);
        }
        plaintextDigest.update(b, off, n);
        plaintextBytes += n;
        return n;
    }

    /** The plaintext has ended: check everything that can only be checked now. */
    private void finish() throws IOException, PGPException {
        if (literal.read() >= 0) {
            throw damaged("data follows the end of the zstd stream inside the literal data", null);
        }
        // verify() reads the rest of the encrypted packet, then compares the MDC in constant time.
        if (!encrypted.verify()) {
            throw damaged("the integrity check (MDC) failed: the ciphertext was modified or truncated", null);
        }
        boolean trailing;
        try {
            trailing = outer.nextObject() != null || source.read() >= 0;
        } catch (IOException | RuntimeException e) {
            if (source.threw(e)) {
                throw e;
            }
            trailing = true;
        }
        if (trailing) {
            throw damaged("unexpected data follows the OpenPGP message", null);
        }
        summary = new PipelineSummary(plaintextBytes, Digests.hex(plaintextDigest), source.count(),
            source.sha256Hex());
    }

    private IOException fail(Exception e) throws IOException {
        if (source.threw(e)) {
            sourceFailure = source.sourceFailure();
            throw sourceFailure;
        }
        if (e instanceof BackupDecryptionException) {
            dataFailure = (BackupDecryptionException) e;
        } else if (e instanceof EOFException || String.valueOf(e.getMessage()).toLowerCase().contains("premature")
            || String.valueOf(e.getMessage()).toLowerCase().contains("truncated")) {
            dataFailure = damaged("the OpenPGP message ended early: truncated (" + describe(e) + ")", e);
        } else {
            dataFailure = damaged("the ciphertext is damaged (" + describe(e) + ")", e);
        }
        throw dataFailure;
    }

    private void rethrowEarlierFailure() throws IOException {
        if (sourceFailure != null) {
            throw sourceFailure;
        }
        if (dataFailure != null) {
            throw dataFailure;
        }
    }

    @Override
    public Secret manifestKey() {
        return manifestKey.withBytes(bytes -> Secret.ofBytes(bytes, "manifest key"));
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
            if (plaintext != literal) {
                closeQuietly(plaintext);
            }
            if (ahead != null) {
                ahead.close();
            }
        } finally {
            source.close();
        }
    }

    private static BackupDecryptionException damaged(String message, @Nullable Throwable cause) {
        return new BackupDecryptionException(Reason.DAMAGED, message, cause);
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | UncheckedIOException e) {
            // already failing; the first failure is the one to report
        }
    }
}
