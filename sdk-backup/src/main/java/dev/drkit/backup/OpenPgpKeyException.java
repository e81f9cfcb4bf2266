package dev.drkit.backup;

import org.jspecify.annotations.Nullable;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An OpenPGP key given to drkit cannot be used: the key file is damaged or holds the wrong kind of key, the
 * passphrase does not unlock the private key, or a recipient's key is expired, revoked or has no key that may
 * encrypt.
 *
 * <p>Always {@link Kind#DATA}. The message names the key by fingerprint or key ID (public facts) and never holds
 * key material or a passphrase. A file that cannot be read at all is an environment failure instead
 * ({@link dev.drkit.core.EnvironmentException} or {@link dev.drkit.core.secret.SecretFileException}).
 *
 * @since 0.1
 */
public class OpenPgpKeyException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * Why the key cannot be used.
     *
     * @since 0.1
     */
    public enum Reason {
        /** The bytes are not an OpenPGP key, or a damaged one. */
        DAMAGED,
        /** A private (secret) key was given where a public key belongs, so that it would sit on the backup host. */
        NOT_A_PUBLIC_KEY,
        /** A public key was given where the private key is needed. */
        NOT_A_PRIVATE_KEY,
        /** The passphrase does not unlock the private key, or none was given for a protected key. */
        WRONG_PASSPHRASE,
        /** The key (or every key of it that may encrypt) has expired. */
        EXPIRED,
        /** The key (or every key of it that may encrypt) has been revoked. */
        REVOKED,
        /** The key has no (sub)key that may encrypt, or no private key that can decrypt. */
        NO_ENCRYPTION_KEY,
        /** A well-formed key that drkit does not use (for example an OpenPGP v6 key, which gpg 2.2 cannot read). */
        UNSUPPORTED
    }

    private final Reason reason;

    /**
     * @param reason      why the key cannot be used
     * @param message     what is wrong, naming the key by fingerprint or key ID; never key material
     * @param fingerprint the key's fingerprint, or {@code null} if it could not be read
     * @param cause       the underlying failure, or {@code null}
     */
    public OpenPgpKeyException(Reason reason, String message, @Nullable String fingerprint,
                               @Nullable Throwable cause) {
        super(message, Kind.DATA, context(reason, fingerprint), cause);
        this.reason = reason;
    }

    /** Why the key cannot be used. */
    public Reason reason() {
        return reason;
    }

    private static Map<String, String> context(Reason reason, @Nullable String fingerprint) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("reason", Objects.requireNonNull(reason, "reason").name());
        if (fingerprint != null) {
            context.put("fingerprint", fingerprint);
        }
        return context;
    }
}
