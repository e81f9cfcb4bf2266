package dev.drkit.secrets;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What is known about a Vault token: never the token itself (nor its accessor). Immutable.
 *
 * <p>A token that never expires (Vault reports a TTL of 0 and no expiry time, as for a root token) has
 * {@link #NO_EXPIRY} as its {@link #ttl()} and {@link Instant#MAX} as its {@link #expiresAt()}; {@link #expires()}
 * tells the two kinds apart.
 *
 * @since 0.1
 */
public final class TokenInfo {

    /**
     * The time left on a token that never expires: {@link Long#MAX_VALUE} nanoseconds (about 292 years), so that
     * comparisons such as {@code ttl().compareTo(margin) < 0} never take such a token for one about to expire, and
     * {@code toNanos()}, {@code toMillis()} and {@code toSeconds()} still work.
     *
     * @since 0.1
     */
    public static final Duration NO_EXPIRY = Duration.ofNanos(Long.MAX_VALUE);

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
     * @param ttl       the time left, or {@link #NO_EXPIRY}
     * @param expiresAt when it expires, or {@link Instant#MAX} if it never does
     * @param renewable whether it can be renewed
     * @param policies  its policies; copied
     * @since 0.1
     */
    public static TokenInfo of(Duration ttl, Instant expiresAt, boolean renewable, List<String> policies) {
        return new TokenInfo(ttl, expiresAt, renewable, policies);
    }

    /**
     * The time left: {@link #NO_EXPIRY} for a token that never expires, zero for one that has expired.
     *
     * @since 0.1
     */
    public Duration ttl() {
        return ttl;
    }

    /**
     * When the token expires, as far as the client knows; {@link Instant#MAX} for a token that never expires.
     *
     * @since 0.1
     */
    public Instant expiresAt() {
        return expiresAt;
    }

    /**
     * Whether the token expires at all: false for a token that never does (such as root), which needs no renewal.
     *
     * @since 0.1
     */
    public boolean expires() {
        return !ttl.equals(NO_EXPIRY);
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
        return "TokenInfo[ttl=" + (expires() ? ttl.toString() : "never expires") + ", renewable=" + renewable
            + ", policies=" + policies + "]";
    }
}
