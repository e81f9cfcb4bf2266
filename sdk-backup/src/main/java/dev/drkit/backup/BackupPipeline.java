package dev.drkit.backup;

import dev.drkit.backup.internal.DefaultDecryptingStream;
import dev.drkit.backup.internal.DefaultEncryptingStream;
import dev.drkit.core.secret.Secret;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * The streaming heart of a backup: compress with zstd, encrypt as an OpenPGP message, and hash both sides as the
 * bytes pass, in one pass with bounded memory (a few hundred KiB per stream, plus zstd's window) whatever the
 * input size; and the way back, verifying as it goes.
 *
 * <p>The output is a standard OpenPGP message: a symmetric-key encrypted session key packet (iterated and salted
 * SHA-256 S2K) and a symmetrically encrypted, integrity-protected data packet (version 1 with a modification
 * detection code; AES-256), holding one binary literal data packet whose contents are a zstd frame. An operator
 * can therefore restore with stock tools alone:
 *
 * <pre>
 * gpg --decrypt backup.pgp | zstd -d &gt; backup
 * </pre>
 *
 * <p>Usage:
 * <pre>{@code
 * PipelineSettings settings = PipelineSettings.of(Encryption.passphrase(passphrase));
 * try (EncryptingStream out = BackupPipeline.encryptingStream(Files.newOutputStream(target), settings)) {
 *     source.transferTo(out);
 * }
 * try (DecryptingStream in = BackupPipeline.decryptingStream(Files.newInputStream(target), passphrase)) {
 *     in.transferTo(restored);     // verified only once this returns normally
 * }
 * }</pre>
 *
 * <p>This class is thread-safe; the streams it returns are not.
 *
 * @since 0.1
 */
public final class BackupPipeline {

    private BackupPipeline() {
    }

    /**
     * Opens a stream that compresses and encrypts what is written to it into {@code sink}. Closing it finishes
     * the message and closes {@code sink}. The passphrase is read (and the key derived) here, not later.
     *
     * @throws IOException if writing the message header to {@code sink} fails
     */
    public static EncryptingStream encryptingStream(OutputStream sink, PipelineSettings settings) throws IOException {
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(settings, "settings");
        return DefaultEncryptingStream.open(sink, settings);
    }

    /**
     * Opens a stream that decrypts and decompresses a message written with zstd compression (the default).
     * Equivalent to {@code decryptingStream(source, passphrase, Compression.zstd())}.
     *
     * @throws IOException                if reading {@code source} fails
     * @throws BackupDecryptionException if the passphrase is wrong or the message header is damaged or unsupported
     */
    public static DecryptingStream decryptingStream(InputStream source, Secret passphrase) throws IOException {
        return decryptingStream(source, passphrase, Compression.zstd());
    }

    /**
     * Opens a stream that decrypts a message and, if {@code expected} is zstd, decompresses its literal data.
     * The zstd level does not matter here. The literal data of a zstd message must start with a zstd frame:
     * anything else (for example a file encrypted by {@code gpg --symmetric} without compressing it with zstd
     * first) fails with {@link BackupDecryptionException.Reason#UNSUPPORTED}; read those with
     * {@link Compression#none()}. Messages compressed with OpenPGP's own ZIP/ZLIB/BZip2 (gpg's default) are
     * read as well, though drkit never writes them. Closing the stream closes {@code source}.
     *
     * @param expected how the literal data is compressed
     * @throws IOException                if reading {@code source} fails
     * @throws BackupDecryptionException if the passphrase is wrong or the message header is damaged or unsupported
     */
    public static DecryptingStream decryptingStream(InputStream source, Secret passphrase, Compression expected)
        throws IOException {
        Objects.requireNonNull(passphrase, "passphrase");
        return decryptingStream(source, DecryptionKey.passphrase(passphrase), expected);
    }

    /**
     * Opens a stream that decrypts a message with {@code key} and, if {@code expected} is zstd, decompresses its
     * literal data; otherwise as {@link #decryptingStream(InputStream, Secret, Compression)}.
     *
     * @throws IOException                if reading {@code source} fails
     * @throws BackupDecryptionException if the key does not open the message, or its header is damaged or
     *                                    unsupported
     */
    public static DecryptingStream decryptingStream(InputStream source, DecryptionKey key, Compression expected)
        throws IOException {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(expected, "expected");
        return DefaultDecryptingStream.open(source, key, expected);
    }
}
