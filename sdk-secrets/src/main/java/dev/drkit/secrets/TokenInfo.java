package dev.drkit.secrets;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What is known about a Vault token: never the token itself (nor its accessor). Immutable.
 *
 * @since 0.1
 */
public final class TokenInfo {

    private final Duration ttl;
    private final Instant expiresAt;
    private final boolean renewable;
    private final List<String> policies;

    private TokenInfo(Duration ttl, Instant expiresAt, boolean renewable, List<String> policies) {
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
        this.renewable = renewable;
        this.policies = List.copyOf(policies);
    }

    /**
     * A token's facts.
     *
     * @since 0.1
     */
    public static TokenInfo of(Duration ttl, Instant expiresAt, boolean renewable, List<String> policies) {
        return new TokenInfo(ttl, expiresAt, renewable, policies);
    }

    /** The time left (zero for a token that does not expire, such as root). @since 0.1 */
    public Duration ttl() {
        return ttl;
    }

    /** When the token expires, as far as the client knows. @since 0.1 */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** Whether the token can be renewed. @since 0.1 */
    public boolean renewable() {
        return renewable;
    }

    /** The token's policies. @since 0.1 */
    public List<String> policies() {
        return policies;
    }

    /** Whether this is a root token. @since 0.1 */
    public boolean isRoot() {
        return policies.contains("root");
    }

    @Override
    public String toString() {
        return "TokenInfo[ttl=" + ttl + ", renewable=" + renewable + ", policies=" + policies + "]";
    }
}
