package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

import java.io.OutputStream;

/**
 * Plaintext written here leaves, compressed and encrypted, into the sink given to
 * {@link BackupPipeline#encryptingStream(OutputStream, PipelineSettings)}.
 *
 * <p>{@link #close()} finishes the zstd frame and the OpenPGP message (writing its modification detection code)
 * and then closes the sink; only a closed stream has produced a complete message. If a write failed, close still
 * closes the sink but does not finish the message, so a failed backup never looks complete. Not thread-safe.
 *
 * <p>The sink is written by a thread of the stream's own, a few hundred KiB behind the caller, so that
 * compression and encryption run on two cores. A failure of the sink therefore reaches the caller at a later
 * {@code write}, at {@code flush} or at {@code close}, as the very exception the sink threw; {@code flush} and
 * {@code close} return only once everything before them has reached the sink.
 *
 * @since 0.1
 */
public abstract class EncryptingStream extends OutputStream {

    /** For implementations in this module. */
    protected EncryptingStream() {
    }

    /**
     * Sizes and digests of what passed.
     *
     * @throws IllegalStateException if the stream is not closed yet, or failed
     */
    public abstract PipelineSummary summary();

    /**
     * A key that authenticates this backup's manifest: HKDF-SHA256 of the OpenPGP session key, so that only
     * someone holding the backup's key material can make or check it. Available once the stream is open (also after close). Each call returns a new
     * {@link Secret} that the caller closes.
     */
    public abstract Secret manifestKey();
}
