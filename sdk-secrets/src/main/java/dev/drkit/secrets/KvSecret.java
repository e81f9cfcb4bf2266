package dev.drkit.secrets;

import dev.drkit.core.secret.Secret;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A KV secret as read: its keys, values (as {@link Secret}s), version and metadata, and how old the reading is.
 * {@code toString()} shows the path, version, keys and age, never a value. Immutable.
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
     * A new copy of the value of {@code key}, which the caller closes. Non-string JSON values come as their JSON text.
     *
     * @throws IllegalArgumentException if there is no such key
     * @since 0.1
     */
    Secret secret(String key);

    /** How long ago this value was fetched from Vault. @since 0.1 */
    Duration age();

    /** Whether Vault was unavailable and this is the last known good value, older than the cache time. @since 0.1 */
    boolean isStale();
}
