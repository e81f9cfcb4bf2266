package dev.drkit.backup;

import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.Objects;

/**
 * An encrypted backup stream could not be decrypted, or decrypted but failed a check: the passphrase is wrong, the
 * ciphertext is truncated or modified (the OpenPGP modification detection code or the zstd frame checksum did not
 * match), or the message is of a kind drkit refuses to read (no integrity protection, no passphrase packet, literal
 * data that is not zstd when zstd was expected).
 *
 * <p>Always {@link Kind#DATA}: the data, or the passphrase given for it, is wrong. Whatever the caller read from the
 * stream before this exception must be discarded.
 *
 * @since 0.1
 */
public class BackupDecryptionException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * Why decryption failed.
     *
     * @since 0.1
     */
    public enum Reason {
        /** No passphrase packet accepted the passphrase (OpenPGP's quick check failed for each one). */
        WRONG_PASSPHRASE,
        /** The ciphertext is truncated, modified or not an OpenPGP message at all. */
        DAMAGED,
        /** A well-formed message that drkit will not read: no integrity protection, no passphrase packet, not zstd. */
        UNSUPPORTED
    }

    private final Reason reason;

    /**
     * @param reason  why decryption failed
     * @param message what failed, naming the stage or check; never the passphrase
     * @param cause   the underlying failure, or {@code null}
     */
    public BackupDecryptionException(Reason reason, String message, @Nullable Throwable cause) {
        super(message, Kind.DATA, Map.of("reason", Objects.requireNonNull(reason, "reason").name()), cause);
        this.reason = reason;
    }

    /** Why decryption failed. */
    public Reason reason() {
        return reason;
    }
}
