package dev.drkit.secrets;

import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.DatabaseCredentials;

import java.time.Duration;

/**
 * Database credentials from Vault's database secrets engine, kept alive in the background: the lease is renewed
 * when {@link VaultConfig#renewFraction()} of the time actually left has passed; once Vault caps a renewal at
 * the role's max TTL (or the lease cannot be renewed, or the token that created it is ending), new credentials
 * are fetched ahead of the end, {@link #current()} switches to them, and the rotation listeners run, so a pool
 * can retire connections opened with the old ones (see {@code dev.drkit.secrets.hikari.HikariVaultCredentials}).
 * The old lease is left to run out, so work in flight on old connections finishes.
 *
 * <p>{@link #current()} never calls Vault. Thread-safe.
 *
 * @since 0.1
 */
public interface DynamicDatabaseCredentials extends CredentialsSource, AutoCloseable {

    /**
     * The credentials to open new connections with.
     *
     * @throws VaultUnavailableException with {@link VaultException.Reason#TOO_STALE} if the credentials held have
     *                                   expired (Vault was unavailable for the whole time a rotation was due)
     * @throws VaultAuthException        with {@link VaultException.Reason#NOT_RENEWABLE} if they ended with a token
     *                                   given with {@link VaultAuth#token} that expired or was revoked: nothing is
     *                                   renewed or fetched until the token is replaced at its source
     */
    @Override
    DatabaseCredentials current();

    /** The engine's mount. @since 0.1 */
    String mount();

    /** The role. @since 0.1 */
    String role();

    /** The time left on the current lease (zero once expired). @since 0.1 */
    Duration leaseTimeLeft();

    /** How many times the credentials were replaced. @since 0.1 */
    long rotations();

    /** How many lease renewals succeeded. @since 0.1 */
    long renewals();

    /** Stops renewing; revokes the current lease if the client revokes on close. Idempotent. @since 0.1 */
    @Override
    void close();
}
