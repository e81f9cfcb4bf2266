package dev.drkit.backup.internal;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.drkit.backup.Compression;
import dev.drkit.backup.EncryptingStream;
import dev.drkit.backup.PassphraseEncryption;
import dev.drkit.backup.PipelineSettings;
import dev.drkit.backup.PipelineSummary;
import dev.drkit.backup.RecipientEncryption;
import dev.drkit.backup.RecipientKey;
import dev.drkit.core.secret.Secret;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSessionKey;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.PGPDigestCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEKeyEncryptionMethodGenerator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Optional;
import java.util.Arrays;

/**
 * plaintext -> (hash) -> zstd -> | literal data packet -> SEIPD v1 (AES-256 + MDC) -> (hash) -> sink, after a
 * session key packet per recipient (PKESK v3) and/or one for the passphrase (SKESK v4). At the bar, the caller's
 * thread hands the compressed bytes to a thread of its own ({@link WriteBehindOutputStream}, "drkit-encrypt"):
 * CFB encryption is sequential within a message, so the only way to use a second core for one message is to
 * compress on one and encrypt, hash and write on the other.
 *
 * <p>Uses Bouncy Castle's Jce operators, which run on the JDK's AES (about six times faster than BC's own), and
 * never BC's ZIP compression. Both generators write partial-length packets through fixed buffers, so memory
 * stays bounded whatever the input size. Not thread-safe.
 */
public final class DefaultEncryptingStream extends EncryptingStream {

    /** Size of each OpenPGP partial body chunk; a power of two as the format requires. */
    static final int PACKET_BUFFER = 1 << 16;

    /** Chunks handed from the compressing thread to the encrypting one, and how many may wait. */
    static final int WRITE_BEHIND_CHUNK = 1 << 18;
    static final int WRITE_BEHIND_DEPTH = 4;

    private final CountingDigestOutputStream ciphertext;
    private final PGPEncryptedDataGenerator encryptedGenerator;
    private final PGPLiteralDataGenerator literalGenerator;
    private final OutputStream literal;
    private final WriteBehindOutputStream behind;
    private final OutputStream top;
    private final MessageDigest plaintextDigest = Digests.sha256();
    private long plaintextBytes;
    private boolean failed;
    private boolean closed;
    private @Nullable PipelineSummary summary;
    private final Secret manifestKey;

    private DefaultEncryptingStream(CountingDigestOutputStream ciphertext, PGPEncryptedDataGenerator encryptedGenerator,
                                    PGPLiteralDataGenerator literalGenerator, OutputStream literal,
                                    WriteBehindOutputStream behind, OutputStream top, Secret manifestKey) {
        this.manifestKey = manifestKey;
        this.ciphertext = ciphertext;
        this.encryptedGenerator = encryptedGenerator;
        this.literalGenerator = literalGenerator;
        this.literal = literal;
        this.behind = behind;
        this.top = top;
    }

    /** Writes the message header to {@code sink} and returns the stream for the plaintext. */
    public static DefaultEncryptingStream open(OutputStream sink, PipelineSettings settings) throws IOException {
        return open(sink, settings, null);
    }

    /**
     * As {@link #open(OutputStream, PipelineSettings)}, but a passphrase (the settings' own, or a recipient
     * encryption's fallback passphrase) uses {@code derived}, a key derived once from that same passphrase for many
     * messages, instead of running the S2K again; {@code null} derives as usual.
     */
    public static DefaultEncryptingStream open(OutputStream sink, PipelineSettings settings,
                                               @Nullable DerivedPassphraseMethod derived) throws IOException {
        CountingDigestOutputStream ciphertext = new CountingDigestOutputStream(sink);
        try {
            SecureRandom random = new SecureRandom();
            PGPEncryptedDataGenerator encryptedGenerator = new PGPEncryptedDataGenerator(
                new FastCfbEncryptorBuilder(random));   // AES-256, SEIPD v1 with MDC: what gpg 2.2 reads
            SessionKeyHolder sessionKey = new SessionKeyHolder();
            encryptedGenerator.setSessionKeyExtractionCallback(sessionKey);
            OutputStream encrypted;
            if (settings.encryption() instanceof PassphraseEncryption) {
                encrypted = derived != null ? openWithDerived(encryptedGenerator, derived, ciphertext)
                    : openWithPassphrase(encryptedGenerator, (PassphraseEncryption) settings.encryption(),
                        ciphertext, random);
            } else if (settings.encryption() instanceof RecipientEncryption) {
                RecipientEncryption recipients = (RecipientEncryption) settings.encryption();
                addRecipients(encryptedGenerator, recipients, random);
                Optional<PassphraseEncryption> passphrase = recipients.passphrase();
                encrypted = passphrase.isPresent()
                    ? derived != null ? openWithDerived(encryptedGenerator, derived, ciphertext)
                        : openWithPassphrase(encryptedGenerator, passphrase.get(), ciphertext, random)
                    : encryptedGenerator.open(ciphertext, new byte[PACKET_BUFFER]);
            } else {
                throw new IllegalArgumentException("unsupported encryption: " + settings.encryption());
            }
            PGPLiteralDataGenerator literalGenerator = new PGPLiteralDataGenerator();
            // An empty file name and the zero date: nothing about the source leaks into the packet header.
            OutputStream literal = literalGenerator.open(encrypted, PGPLiteralData.BINARY, "", PGPLiteralData.NOW,
                new byte[PACKET_BUFFER]);
            WriteBehindOutputStream behind = new WriteBehindOutputStream(literal, WRITE_BEHIND_CHUNK,
                WRITE_BEHIND_DEPTH, "drkit-encrypt");
            OutputStream top = behind;
            Compression compression = settings.compression();
            if (compression.isZstd()) {
                try {
                    ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(behind, compression.level());
                    zstd.setChecksum(true);
                    if (settings.compressionThreads() > 0) {
                        zstd.setWorkers(settings.compressionThreads());
                    }
                    top = zstd;
                } catch (IOException | RuntimeException e) {
                    behind.abort();
                    throw e;
                }
            }
            return new DefaultEncryptingStream(ciphertext, encryptedGenerator, literalGenerator, literal, behind, top,
                sessionKey.manifestKey());
        } catch (PGPException e) {
            sink.close();
            throw new IOException("OpenPGP encryption could not start: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            sink.close();
            throw e;
        }
    }

    /**
     * One public-key encrypted session key packet per recipient, to the key each one's key flags name for
     * encryption. The keys are checked again here, against the clock, so an expired key is refused even if it was
     * valid when it was read.
     */
    private static void addRecipients(PGPEncryptedDataGenerator generator, RecipientEncryption settings,
                                      SecureRandom random) {
        Instant now = Instant.now();
        for (RecipientKey recipient : settings.recipients()) {
            OpenPGPCertificate cert = PgpKeys.readCertificate(recipient.encoded(), "recipient "
                + recipient.fingerprint());
            PGPPublicKey key = PgpKeys.encryptionKey(cert, now);
            // Wrapping the session key is a small operation: Bouncy Castle's own ECDH/RSA, no provider needed.
            generator.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(key).setSecureRandom(random));
        }
    }

    private static OutputStream openWithDerived(PGPEncryptedDataGenerator generator, DerivedPassphraseMethod derived,
                                                OutputStream out) throws IOException, PGPException {
        generator.addMethod(derived);
        return generator.open(out, new byte[PACKET_BUFFER]);
    }

    private static OutputStream openWithPassphrase(PGPEncryptedDataGenerator generator, PassphraseEncryption settings,
                                                   OutputStream out, SecureRandom random)
        throws IOException, PGPException {
        if (settings.passphrase().length() == 0) {
            throw new IllegalArgumentException("passphrase must not be empty");
        }
        PGPDigestCalculator s2kDigest = new JcaPGPDigestCalculatorProviderBuilder().build()
            .get(HashAlgorithmTags.SHA256);
        try {
            // The key is derived inside open(), so the passphrase copy can be wiped as soon as it returns.
            return settings.passphrase().withChars(chars -> {
                try {
                    generator.addMethod(new JcePBEKeyEncryptionMethodGenerator(chars, s2kDigest,
                        settings.s2kCountCode()).setSecureRandom(random));
                    return generator.open(out, new byte[PACKET_BUFFER]);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (PGPException e) {
                    throw new WrappedPgpException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (WrappedPgpException e) {
            throw e.pgp;
        }
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
        try {
            top.flush();
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
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
                    // Order matters: the zstd frame ends inside the literal packet, which ends inside the encrypted
                    // packet, whose close appends the MDC.
                    // Closing zstd closes the write-behind stream, which waits until the encrypting thread has
                    // written everything and then closes the literal packet.
                    top.close();
                    behind.close();
                    literal.close();
                    literalGenerator.close();
                    encryptedGenerator.close();
                    ciphertext.flush();
                } catch (IOException | RuntimeException e) {
                    failed = true;
                    throw e;
                }
                summary = new PipelineSummary(plaintextBytes, Digests.hex(plaintextDigest), ciphertext.count(),
                    ciphertext.sha256Hex());
            }
        } finally {
            if (failed) {
                behind.abort();     // nothing more will be written: stop the encrypting thread before the sink closes
            }
            ciphertext.close();
        }
    }

    @Override
    public Secret manifestKey() {
        return manifestKey.withBytes(bytes -> Secret.ofBytes(bytes, "manifest key"));
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
            throw new IOException("encrypting stream failed earlier; the message is incomplete");
        }
    }

    /** Receives the session key Bouncy Castle chose and keeps only the key derived from it. */
    private static final class SessionKeyHolder implements PGPEncryptedDataGenerator.SessionKeyExtractionCallback {
        private @Nullable Secret manifestKey;

        @Override
        public void extractSessionKey(PGPSessionKey sessionKey) {
            // Never log or print sessionKey: its toString shows the key.
            byte[] key = sessionKey.getKey();
            try {
                manifestKey = ManifestKeys.derive(key);
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        }

        Secret manifestKey() throws PGPException {
            Secret result = manifestKey;
            if (result == null) {
                throw new PGPException("the OpenPGP session key was not reported");
            }
            return result;
        }
    }

    /** Carries a checked PGPException out of a lambda. */
    private static final class WrappedPgpException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient PGPException pgp;

        WrappedPgpException(PGPException pgp) {
            super(pgp);
            this.pgp = pgp;
        }
    }
}
