package dev.drkit.secrets;

import dev.drkit.core.secret.Secret;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A KV secret as read: its keys, values (as {@link Secret}s), version and metadata, and how old the reading is.
 * {@code toString()} shows the path, version, keys and age, never a value. Thread-safe.
 *
 * <p>A reading is a view of the client's cache, which owns its values and wipes them when they are no longer
 * needed: when a newer reading of the same path replaces this one (no sooner than
 * {@link VaultConfig#kvCacheTtl()} after it was fetched), when Vault answers that the path or version is gone
 * (404), and when the client is closed. From then on {@link #secret(String)} throws {@link IllegalStateException};
 * the path, version, keys and age stay readable. The copies {@link #secret(String)} gave before belong to the
 * caller and are never wiped by the client. So take the values you need right after reading, and keep a
 * {@link KvEngine#source(String, String)} rather than a {@code KvSecret} for later use.
 *
 * @since 0.1
 */
public interface KvSecret {

    /** The path within the mount. @since 0.1 */
    String path();

    /** The version (KV v2), empty on KV v1. @since 0.1 */
    OptionalInt version();

    /** When this version was written (KV v2). @since 0.1 */
    Optional<Instant> createdTime();

    /** The keys. @since 0.1 */
    Set<String> keys();

    /**
     * A new copy of the value of {@code key}, which the caller owns and closes; the client never wipes it. Non-string
     * JSON values come as their JSON text.
     *
     * @throws IllegalArgumentException if there is no such key
     * @throws IllegalStateException    if the client has wiped this reading's values (see above): read again
     * @since 0.1
     */
    Secret secret(String key);

    /** How long ago this value was fetched from Vault. @since 0.1 */
    Duration age();

    /** Whether Vault was unavailable and this is the last known good value, older than the cache time. @since 0.1 */
    boolean isStale();
}
