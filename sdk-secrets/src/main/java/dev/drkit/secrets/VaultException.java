package dev.drkit.secrets;

import dev.drkit.core.EnvironmentException;
import org.jspecify.annotations.Nullable;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A call to Vault failed. The message names the client, the operation and the Vault path (never a token, a
 * secret ID, a secret value or any part of Vault's response body); {@link #reason()} says what happened and
 * {@link #status()} holds the HTTP status, if one came back. Exit code 3 from the CLI.
 *
 * <p>Subtypes: {@link VaultUnavailableException} (Vault could not be reached or could not answer, and no recent
 * enough value was held) and {@link VaultAuthException} (a login was refused). Instances are immutable.
 *
 * @since 0.1
 */
public class VaultException extends EnvironmentException {

    private static final long serialVersionUID = 1L;

    /**
     * What went wrong.
     *
     * @since 0.1
     */
    public enum Reason {
        /** No connection, a timeout, or a connection reset. */
        UNREACHABLE,
        /** Vault answered 503: sealed (or a standby that cannot serve). */
        SEALED,
        /**
         * Vault answered 500, 502, 504 or 429; or a redirect (3xx, never followed: a standby pointing at the active
         * node) or 412 (a node not yet caught up), which did not carry the request out.
         */
        SERVER_ERROR,
        /**
         * A one-time request (an AppRole login, an unwrap, new database credentials) reached Vault, or may have, but
         * no answer came back (a timeout, a connection cut, a 5xx other than 503): Vault may or may not have carried
         * it out, so it was not sent again. If it was carried out, its result is lost: a token or a lease nobody holds
         * (it ends with its TTL), a use of a secret ID spent, a wrapping token unwrapped.
         */
        OUTCOME_UNKNOWN,
        /** drkit's circuit breaker, retry budget or deadline stopped the call without asking Vault. */
        CIRCUIT_OPEN,
        /**
         * drkit's bulkhead was full (as many calls to Vault in flight from this client as the policies allow), so
         * the call was not sent: the client is busy, or Vault slow to answer; unlike {@link #CIRCUIT_OPEN}, no sign
         * that Vault is failing.
         */
        BULKHEAD_FULL,
        /**
         * The client's rate limiter (its {@code ResiliencePolicies}) allowed no more calls for now, so the call was not
         * sent: this client asks too often; no sign that Vault is failing.
         */
        RATE_LIMITED,
        /** Vault was unavailable and the last known good value is older than the allowed staleness. */
        TOO_STALE,
        /** Vault refused a login (400 on an auth path): wrong, expired or used-up role or secret ID. */
        LOGIN_REFUSED,
        /** A root token was offered without the explicit opt-in. */
        ROOT_TOKEN_REFUSED,
        /**
         * A token is empty or holds whitespace or control characters (such as a trailing carriage return), so it
         * cannot be sent to Vault; nothing was sent.
         */
        MALFORMED_TOKEN,
        /** Vault answered 403: the token lacks the policy for the path, or was revoked. */
        PERMISSION_DENIED,
        /** Vault answered 404: nothing at the path (or the version was deleted). */
        NOT_FOUND,
        /**
         * A lease or token cannot be renewed (any longer); for a token given with {@link VaultAuth#token}: it has
         * expired or was revoked and its source has given no other, so it must be replaced there.
         */
        NOT_RENEWABLE,
        /** Vault answered another 4xx to a request drkit made: a bug or an unexpected server. */
        BAD_REQUEST,
        /** Vault's answer was not what its API documents. */
        BAD_RESPONSE,
        /** The client was closed. */
        CLOSED
    }

    private final Reason reason;
    private final String path;
    private final int status;

    /**
     * @param message what happened; never a secret or a response body
     * @param reason  what happened, as a value
     * @param path    the Vault path (such as {@code secret/data/app}); not secret
     * @param status  the HTTP status, or 0 if none came back
     * @param cause   the underlying failure, or {@code null}
     * @since 0.1
     */
    public VaultException(String message, Reason reason, String path, int status, @Nullable Throwable cause) {
        super(message, context(reason, path, status), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.path = Objects.requireNonNull(path, "path");
        this.status = status;
    }

    /**
     * What went wrong.
     *
     * @since 0.1
     */
    public Reason reason() {
        return reason;
    }

    /**
     * The Vault path of the failed call.
     *
     * @since 0.1
     */
    public String path() {
        return path;
    }

    /**
     * The HTTP status Vault answered with, if it answered.
     *
     * @since 0.1
     */
    public OptionalInt status() {
        return status == 0 ? OptionalInt.empty() : OptionalInt.of(status);
    }

    private static Map<String, String> context(Reason reason, String path, int status) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("reason", reason.name());
        context.put("path", path);
        if (status != 0) {
            context.put("status", Integer.toString(status));
        }
        return context;
    }
}
