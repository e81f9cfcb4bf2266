package dev.drkit.secrets;

import org.jspecify.annotations.Nullable;

/**
 * Vault refused to log in ({@link Reason#LOGIN_REFUSED}: a wrong role ID, a secret ID that expired, was used up or
 * was never issued, a wrapping token already unwrapped), or a root token was offered without the explicit opt-in
 * ({@link Reason#ROOT_TOKEN_REFUSED}), or a token is malformed and was not sent ({@link Reason#MALFORMED_TOKEN}: a
 * trailing carriage return, say), or a token given with {@link VaultAuth#token} has expired or was revoked and its
 * source has given no other ({@link Reason#NOT_RENEWABLE}: replace the token at its source). Retrying with the same
 * credentials will not help.
 *
 * @since 0.1
 */
public class VaultAuthException extends VaultException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened; never a secret or a response body
     * @param reason  {@link Reason#LOGIN_REFUSED}, {@link Reason#ROOT_TOKEN_REFUSED}, {@link Reason#MALFORMED_TOKEN} or
     *                {@link Reason#NOT_RENEWABLE}
     * @param path    the Vault path; not secret
     * @param status  the HTTP status, or 0 if none came back
     * @param cause   the underlying failure, or {@code null}
     * @since 0.1
     */
    public VaultAuthException(String message, Reason reason, String path, int status, @Nullable Throwable cause) {
        super(message, reason, path, status, cause);
    }
}
