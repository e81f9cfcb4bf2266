package dev.drkit.secrets;

import java.time.Duration;

/**
 * A snapshot of a {@link VaultClient}'s counters, for metrics ({@code dev.drkit.secrets.micrometer.VaultMetrics}
 * binds them). Counters only grow. Immutable.
 *
 * @since 0.1
 */
public interface VaultStats {

    /** Successful logins. @since 0.1 */
    long logins();

    /** Failed login attempts (refused or unavailable). @since 0.1 */
    long loginFailures();

    /** Successful token renewals. @since 0.1 */
    long tokenRenewals();

    /** Successful lease renewals (all database credentials). @since 0.1 */
    long leaseRenewals();

    /** Failed token or lease renewals. @since 0.1 */
    long renewalFailures();

    /** Database credential rotations. @since 0.1 */
    long rotations();

    /** KV reads answered from the fresh cache. @since 0.1 */
    long kvCacheHits();

    /** KV reads that asked Vault. @since 0.1 */
    long kvFetches();

    /** KV reads answered with a stale last known good value. @since 0.1 */
    long kvStaleReads();

    /** Calls to Vault that failed (after retries). @since 0.1 */
    long failures();

    /**
     * Time left on the token: {@link TokenInfo#NO_EXPIRY} for a token that never expires (such as root), zero if
     * there is none or it has expired.
     *
     * @since 0.1
     */
    Duration tokenTimeLeft();

    /**
     * Whether the token given with {@link VaultAuth#token} has expired or was revoked and its source has given no
     * other yet: nothing is renewed and no new value can be had until an operator replaces it there. Always false
     * for the AppRole methods, which log in again by themselves.
     *
     * @since 0.1
     */
    boolean staticTokenExpired();
}
