package dev.drkit.secrets;

import org.jspecify.annotations.Nullable;

/**
 * Vault could not be reached or could not answer (unreachable, sealed, a server error, drkit's circuit breaker is
 * open or its bulkhead full, or the answer to a one-time request was lost), and no last known good value recent
 * enough was held to answer instead. Reasons: {@link Reason#UNREACHABLE}, {@link Reason#SEALED},
 * {@link Reason#SERVER_ERROR}, {@link Reason#OUTCOME_UNKNOWN}, {@link Reason#CIRCUIT_OPEN},
 * {@link Reason#BULKHEAD_FULL}, {@link Reason#TOO_STALE}, and {@link Reason#BAD_RESPONSE} for a success that is not
 * Vault's answer (no JSON {@code data} object: a proxy in between?). Retrying later may succeed.
 *
 * @since 0.1
 */
public class VaultUnavailableException extends VaultException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened; never a secret or a response body
     * @param reason  one of the reasons listed above
     * @param path    the Vault path; not secret
     * @param status  the HTTP status, or 0 if none came back
     * @param cause   the underlying failure, or {@code null}
     * @since 0.1
     */
    public VaultUnavailableException(String message, Reason reason, String path, int status, @Nullable Throwable cause) {
        super(message, reason, path, status, cause);
    }
}
