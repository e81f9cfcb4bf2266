package dev.drkit.backup;

import org.jspecify.annotations.Nullable;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An encrypted backup stream could not be decrypted, or decrypted but failed a check: the passphrase or private
 * key is wrong, the ciphertext is truncated or modified (the OpenPGP modification detection code or the zstd frame
 * checksum did not match), or the message is of a kind drkit refuses to read (no integrity protection, literal
 * data that is not zstd when zstd was expected).
 *
 * <p>Always {@link Kind#DATA}: the data, or the passphrase or key given for it, is wrong. Whatever the caller read
 * from the stream before this exception must be discarded.
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
        /**
         * The private key given does not open the message: it is encrypted to other keys (the message names the
         * key IDs it is encrypted to, which are public), or only to a passphrase, or to public keys when a
         * passphrase was given.
         */
        WRONG_KEY,
        /** The ciphertext is truncated, modified or not an OpenPGP message at all. */
        DAMAGED,
        /**
         * A well-formed message that drkit will not read: no integrity protection, or literal data that is not zstd
         * when zstd was expected.
         */
        UNSUPPORTED
    }

    private final Reason reason;
    private final List<String> recipientKeyIds;

    /**
     * @param reason  why decryption failed
     * @param message what failed, naming the stage or check; never the passphrase
     * @param cause   the underlying failure, or {@code null}
     */
    public BackupDecryptionException(Reason reason, String message, @Nullable Throwable cause) {
        this(reason, message, List.of(), cause);
    }

    /**
     * A failure that names the key IDs the message is encrypted to.
     *
     * @param reason          why decryption failed
     * @param message         what failed; never the passphrase or key material
     * @param recipientKeyIds the key IDs (16 upper-case hex digits) of the message's public-key packets
     * @param cause           the underlying failure, or {@code null}
     * @since 0.1
     */
    public BackupDecryptionException(Reason reason, String message, List<String> recipientKeyIds,
                                     @Nullable Throwable cause) {
        super(message, Kind.DATA, context(reason, recipientKeyIds), cause);
        this.reason = reason;
        this.recipientKeyIds = List.copyOf(recipientKeyIds);
    }

    private static Map<String, String> context(Reason reason, List<String> recipientKeyIds) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("reason", Objects.requireNonNull(reason, "reason").name());
        if (!recipientKeyIds.isEmpty()) {
            context.put("recipientKeyIds", String.join(",", recipientKeyIds));
        }
        return context;
    }

    /**
     * The key IDs the message is encrypted to, when they were read before the failure (always for
     * {@link Reason#WRONG_KEY} on a public-key message); otherwise empty.
     *
     * @since 0.1
     */
    public List<String> recipientKeyIds() {
        return recipientKeyIds;
    }

    /** Why decryption failed. */
    public Reason reason() {
        return reason;
    }
}
