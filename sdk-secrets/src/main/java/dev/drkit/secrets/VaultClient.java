package dev.drkit.secrets;

import dev.drkit.secrets.internal.DefaultVaultClient;
import dev.drkit.secrets.internal.ExecutorTaskScheduler;

import java.security.SecureRandom;
import java.time.Duration;

/**
 * A client of one Vault: logs in, keeps its token alive in the background, reads KV secrets through a cache
 * that serves the last known good values while Vault is unavailable, and hands out rotating database
 * credentials. Instances are thread-safe; create one per Vault and application, and close it at shutdown.
 *
 * <pre>{@code
 * try (VaultClient vault = VaultClient.start(config)) {
 *     KvSecret api = vault.kv2("secret").read("orders/api");
 *     try (Secret key = api.secret("key")) { ... }
 *     DynamicDatabaseCredentials db = vault.databaseCredentials("database", "orders-rw");
 *     hikariConfig.setCredentialsProvider(HikariVaultCredentials.of(db));
 * }
 * }</pre>
 *
 * <h2>Token lifecycle</h2>
 * After logging in, the token is renewed ({@code auth/token/renew-self}) when {@link VaultConfig#renewFraction()}
 * of the time actually left has passed, less a random jitter. When Vault caps a renewal at the token's max TTL,
 * or the token is not renewable, the client logs in again ahead of the end instead. Failed renewals are retried
 * on a schedule computed from the time left. All of this runs on one background thread: no read ever waits for
 * a renewal. A read refused with 403 makes the client check its token ({@code lookup-self}) and, if it was
 * revoked, log in again and retry once.
 *
 * <h2>Outages</h2>
 * Every call goes through the {@link VaultConfig#policies()} (retry with backoff and budget, circuit breaker,
 * time limit). While Vault is unreachable, sealed or failing, KV reads return the last known good value (marked
 * {@link KvSecret#isStale()}, with its {@link KvSecret#age()}) for up to {@link VaultConfig#maxStaleness()}, then
 * throw {@link VaultUnavailableException}. The same holds while a token given with {@link VaultAuth#token} has
 * expired or was revoked, except that the error after that is the {@link VaultAuthException} saying so.
 *
 * <h2>Secrets</h2>
 * Tokens, secret IDs and values are held as {@link dev.drkit.core.secret.Secret}s, registered with the
 * {@link LeakTripwire}, and never logged, put into messages, metric tags or {@code toString()}.
 *
 * @since 0.1
 */
public interface VaultClient extends AutoCloseable {

    /**
     * Starts a client: logs in now and schedules the token's renewal. If Vault cannot be reached, the client
     * still starts and keeps trying to log in in the background; reads throw {@link VaultUnavailableException}
     * until it succeeds.
     *
     * @throws VaultAuthException if Vault refuses the login, or a root token is offered without the opt-in
     * @throws dev.drkit.core.secret.SecretUnavailableException if the role or secret ID file is missing or too open
     * @since 0.1
     */
    static VaultClient start(VaultConfig config) {
        return DefaultVaultClient.start(config,
            config.scheduler().orElseGet(() -> new ExecutorTaskScheduler(config.name())),
            config.random().orElseGet(SecureRandom::new));
    }

    /** The configured name. @since 0.1 */
    String name();

    /** Whether the client holds a token that has not expired. @since 0.1 */
    boolean isLoggedIn();

    /**
     * What the client knows about its token, without asking Vault.
     *
     * @throws VaultUnavailableException if the client has not logged in yet
     * @since 0.1
     */
    TokenInfo token();

    /**
     * Asks Vault about the token ({@code auth/token/lookup-self}).
     *
     * @throws VaultException if Vault cannot answer
     * @since 0.1
     */
    TokenInfo lookupToken();

    /**
     * The KV version 1 engine mounted at {@code mount}.
     *
     * @throws IllegalArgumentException if {@code mount} is not a valid Vault path
     * @since 0.1
     */
    KvEngine kv1(String mount);

    /**
     * The KV version 2 engine mounted at {@code mount}.
     *
     * @throws IllegalArgumentException if {@code mount} is not a valid Vault path
     * @since 0.1
     */
    KvEngine kv2(String mount);

    /**
     * The KV engine at {@code mount}, its version asked from Vault ({@code sys/internal/ui/mounts}).
     *
     * @throws VaultException if Vault cannot answer or the mount is not a KV engine
     * @since 0.1
     */
    KvEngine kv(String mount);

    /**
     * Database credentials from the database secrets engine at {@code mount} for {@code role}, fetched now, then
     * renewed and rotated in the background. Closing the client closes them.
     *
     * @throws VaultException if the first credentials cannot be had
     * @since 0.1
     */
    DynamicDatabaseCredentials databaseCredentials(String mount, String role);

    /** Counters and gauges for metrics. @since 0.1 */
    VaultStats stats();

    /**
     * The age of the oldest cached KV value still being served stale, or zero if none is. A value served stale
     * (Vault unavailable) counts until a read fetches it anew or, if it is not read again, until Vault answers any
     * call with success (a read, a login, the token's renewal, which is retried throughout an outage): then Vault is
     * back and the value's next read would fetch it anew. So the gauge built on it drops to zero once the outage is
     * over, read again or not.
     *
     * @since 0.1
     */
    Duration staleness();

    /**
     * Stops background work, revokes the token if {@link VaultConfig#revokeOnClose()} (best effort, one attempt),
     * and wipes the secrets held: tokens, cached KV values (so {@link KvSecret#secret(String)} of a reading made
     * before throws) and database passwords. Copies handed out by {@link KvSecret#secret(String)} and
     * {@link KvEngine#source(String, String)} belong to their callers and are not wiped. Idempotent.
     *
     * @since 0.1
     */
    @Override
    void close();
}
