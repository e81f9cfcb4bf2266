package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

import java.io.InputStream;

/**
 * Plaintext read back from an encrypted backup opened by {@link BackupPipeline#decryptingStream}.
 *
 * <p><strong>Nothing read from this stream is verified until it reaches end of stream.</strong> OpenPGP's
 * integrity check (the modification detection code) covers the whole message and sits at its end, so bytes are
 * handed out before they can be checked. When the plaintext is exhausted the stream checks the code, the zstd
 * frame checksum and that nothing follows the message; only if all pass does {@code read} return {@code -1}
 * and {@link #isVerified()} become true. Otherwise {@code read} throws {@link BackupDecryptionException}, and the
 * caller must discard everything it read. So: read to end of stream, then close, and treat the output as valid
 * only after that; write it beside its target and swap it in afterwards, never over it.
 *
 * <p>{@code read} throws {@link java.io.IOException} for failures of the underlying source and
 * {@link BackupDecryptionException} (unchecked) for anything wrong with the data. After either, every later read
 * throws the same exception. Not thread-safe.
 *
 * @since 0.1
 */
public abstract class DecryptingStream extends InputStream {

    /** For implementations in this module. */
    protected DecryptingStream() {
    }

    /** Whether end of stream was reached and every integrity check passed. */
    public abstract boolean isVerified();

    /**
     * Sizes and digests of what passed.
     *
     * @throws IllegalStateException if the stream has not been read to a verified end yet
     */
    public abstract PipelineSummary summary();

    /**
     * A key that authenticates this backup's manifest: HKDF-SHA256 of the OpenPGP session key, so that only
     * someone holding the backup's key material can make or check it. Available once the message header has been read, before any data is verified. Each call returns a new
     * {@link Secret} that the caller closes.
     */
    public abstract Secret manifestKey();
}
