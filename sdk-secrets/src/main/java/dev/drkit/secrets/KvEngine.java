package dev.drkit.secrets;

import dev.drkit.core.secret.SecretSource;

/**
 * A KV secrets engine (version 1 or 2) at one mount. Reads are cached for {@link VaultConfig#kvCacheTtl()} and
 * served stale while Vault is unavailable (see {@link VaultClient}). Thread-safe.
 *
 * @since 0.1
 */
public interface KvEngine {

    /** The mount path, such as {@code secret}. @since 0.1 */
    String mount();

    /** 1 or 2. @since 0.1 */
    int version();

    /**
     * The secret at {@code path} (its latest version on KV v2). Its values stay readable until the client wipes them
     * (see {@link KvSecret}): take copies right away.
     *
     * @throws VaultException with {@link VaultException.Reason#NOT_FOUND} if there is none (the cached value, if
     *                        any, is wiped), with {@link VaultException.Reason#CLOSED} once the client is closed, or as
     *                        described in {@link VaultClient} when Vault is unavailable
     * @since 0.1
     */
    KvSecret read(String path);

    /**
     * One version of the secret at {@code path} (KV v2 only).
     *
     * @throws UnsupportedOperationException on KV v1
     * @throws IllegalArgumentException      if {@code version} is not positive
     * @throws VaultException                as {@link #read(String)}
     * @since 0.1
     */
    KvSecret read(String path, int version);

    /**
     * A source of one key of the secret at {@code path}, read through the cache on every {@code get()}: what a
     * backup asks for its passphrase. Each {@code get()} gives a new copy, which the caller owns and closes.
     *
     * @since 0.1
     */
    SecretSource source(String path, String key);
}
