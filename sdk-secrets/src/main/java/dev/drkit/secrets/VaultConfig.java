package dev.drkit.secrets;

import dev.drkit.core.resilience.ResiliencePolicies;
import dev.drkit.core.time.Ticker;
import dev.drkit.secrets.internal.TaskScheduler;
import org.jspecify.annotations.Nullable;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Immutable configuration of a {@link VaultClient}. Instances are thread-safe; the {@link Builder} is not.
 *
 * <pre>{@code
 * VaultConfig config = VaultConfig.builder(URI.create("https://vault.example:8200"),
 *         VaultAuth.appRoleFiles(Path.of("/etc/app/role-id"), Path.of("/etc/app/secret-id")))
 *     .name("orders")
 *     .kvCacheTtl(Duration.ofMinutes(1))
 *     .maxStaleness(Duration.ofMinutes(30))
 *     .build();
 * }</pre>
 *
 * <table>
 * <caption>Settings</caption>
 * <tr><th>setting</th><th>default</th><th>valid</th></tr>
 * <tr><td>{@code name}</td><td>{@value #DEFAULT_NAME}</td><td>printable, in logs, metric tags, messages</td></tr>
 * <tr><td>{@code requestTimeout}</td><td>{@value #DEFAULT_REQUEST_TIMEOUT_MILLIS} ms</td><td>1 ms to 10 min</td></tr>
 * <tr><td>{@code connectTimeout}</td><td>{@value #DEFAULT_CONNECT_TIMEOUT_MILLIS} ms</td><td>1 ms to 10 min</td></tr>
 * <tr><td>{@code kvCacheTtl}</td><td>{@value #DEFAULT_KV_CACHE_TTL_SECONDS} s</td><td>0 to 365 days (0: no cache)
 *     </td></tr>
 * <tr><td>{@code maxStaleness}</td><td>{@value #DEFAULT_MAX_STALENESS_SECONDS} s</td><td>0 to 365 days, &ge;
 *     kvCacheTtl</td></tr>
 * <tr><td>{@code renewFraction}</td><td>2/3</td><td>[{@value #MIN_RENEW_FRACTION}, {@value #MAX_RENEW_FRACTION}]
 *     </td></tr>
 * <tr><td>{@code renewJitter}</td><td>{@value #DEFAULT_RENEW_JITTER}</td><td>[0, 0.5]</td></tr>
 * <tr><td>{@code minRetryDelay}</td><td>{@value #DEFAULT_MIN_RETRY_DELAY_MILLIS} ms</td><td>10 ms to 10 min</td></tr>
 * <tr><td>{@code maxRetryDelay}</td><td>{@value #DEFAULT_MAX_RETRY_DELAY_SECONDS} s</td><td>10 ms to 1 h, &ge;
 *     minRetryDelay</td></tr>
 * <tr><td>{@code allowRootToken}</td><td>false</td><td></td></tr>
 * <tr><td>{@code revokeOnClose}</td><td>true</td><td></td></tr>
 * <tr><td>{@code policies}</td><td>{@link ResiliencePolicies#ofDefaults(String)} for the name, with attempts
 *     of {@value #DEFAULT_MAX_ATTEMPTS}, a first backoff of 100 ms and the ticker; made by {@link Builder#build()}
 *     from the name and ticker then set, so {@code toBuilder().name(...)} gets policies of the new name, unless
 *     policies were set explicitly</td><td>only unavailability (unreachable,
 *     sealed, 5xx) is retried, whatever the policies' own predicate says; a login, an unwrap or new database
 *     credentials only when Vault surely did not carry them out (else {@link VaultException.Reason#OUTCOME_UNKNOWN})
 *     </td></tr>
 * </table>
 *
 * @since 0.1
 */
public final class VaultConfig {

    /** Default client name: {@value}. */
    public static final String DEFAULT_NAME = "vault";
    /** Default time limit of one HTTP request, in milliseconds: {@value}. */
    public static final long DEFAULT_REQUEST_TIMEOUT_MILLIS = 5_000;
    /** Default time limit of a TCP connect, in milliseconds: {@value}. */
    public static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 2_000;
    /** Default time a KV read is served from the cache without asking Vault, in seconds: {@value}. */
    public static final long DEFAULT_KV_CACHE_TTL_SECONDS = 60;
    /** Default oldest last-known-good value served while Vault is unavailable, in seconds: {@value}. */
    public static final long DEFAULT_MAX_STALENESS_SECONDS = 1_800;
    /** Default jitter: renewals come up to this fraction of their delay early: {@value}. */
    public static final double DEFAULT_RENEW_JITTER = 0.1;
    /** Default shortest wait before retrying a failed renewal or login, in milliseconds: {@value}. */
    public static final long DEFAULT_MIN_RETRY_DELAY_MILLIS = 1_000;
    /** Default longest wait before retrying a failed renewal or login, in seconds: {@value}. */
    public static final long DEFAULT_MAX_RETRY_DELAY_SECONDS = 30;
    /** Default attempts per call to Vault, the first included: {@value}. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** Smallest renewFraction: {@value}. Below it a token is renewed far more often than it needs. */
    public static final double MIN_RENEW_FRACTION = 0.1;
    /** Largest renewFraction: {@value}. Above it too little time is left to retry a failed renewal. */
    public static final double MAX_RENEW_FRACTION = 0.9;

    private static final Duration MIN_RETRY_DELAY_FLOOR = Duration.ofMillis(10);
    private static final Duration MIN_RETRY_DELAY_CEILING = Duration.ofMinutes(10);
    private static final Duration MAX_RETRY_DELAY_CEILING = Duration.ofHours(1);
    private static final Duration TIMEOUT_CEILING = Duration.ofMinutes(10);
    private static final Duration CACHE_CEILING = Duration.ofDays(365);

    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9_./-]+");

    private final String name;
    private final URI address;
    private final VaultAuth auth;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final Duration kvCacheTtl;
    private final Duration maxStaleness;
    private final double renewFraction;
    private final double renewJitter;
    private final Duration minRetryDelay;
    private final Duration maxRetryDelay;
    private final boolean allowRootToken;
    private final boolean revokeOnClose;
    private final ResiliencePolicies policies;
    /** The policies set with {@link Builder#policies}; null when {@link #policies} are the defaults for the name. */
    private final @Nullable ResiliencePolicies explicitPolicies;
    private final Ticker ticker;
    private final Clock clock;
    private final LeakTripwire tripwire;
    private final @Nullable TaskScheduler scheduler;
    private final @Nullable Random random;

    private VaultConfig(Builder b) {
        this.name = b.name;
        this.address = b.address;
        this.auth = b.auth;
        this.requestTimeout = b.requestTimeout;
        this.connectTimeout = b.connectTimeout;
        this.kvCacheTtl = b.kvCacheTtl;
        this.maxStaleness = b.maxStaleness;
        this.renewFraction = b.renewFraction;
        this.renewJitter = b.renewJitter;
        this.minRetryDelay = b.minRetryDelay;
        this.maxRetryDelay = b.maxRetryDelay;
        this.allowRootToken = b.allowRootToken;
        this.revokeOnClose = b.revokeOnClose;
        this.explicitPolicies = b.policies;
        // Made here, not kept from an earlier build: toBuilder().name(...) or .ticker(...) must not keep defaults
        // made for the old name (in every metric tag and message) or the old ticker.
        this.policies = b.policies != null ? b.policies : ResiliencePolicies.builder(b.name)
            .maxAttempts(DEFAULT_MAX_ATTEMPTS)
            .initialBackoff(Duration.ofMillis(100))
            .ticker(b.ticker)
            .build();
        this.ticker = b.ticker;
        this.clock = b.clock;
        this.tripwire = b.tripwire;
        this.scheduler = b.scheduler;
        this.random = b.random;
    }

    /**
     * A builder for a client of the Vault at {@code address} that logs in with {@code auth}.
     *
     * @param address Vault's address, {@code http://} or {@code https://} with a host, such as
     *                {@code https://vault.example:8200}
     * @throws IllegalArgumentException if {@code address} is not an http(s) URI with a host, or has a path other than {@code /}
     * @since 0.1
     */
    public static Builder builder(URI address, VaultAuth auth) {
        return new Builder(address, auth);
    }

    /**
     * A builder holding every setting of this configuration.
     *
     * @since 0.1
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The client's name, in every log line, metric tag and message. @since 0.1 */
    public String name() {
        return name;
    }

    /** Vault's address. @since 0.1 */
    public URI address() {
        return address;
    }

    /** How the client logs in. @since 0.1 */
    public VaultAuth auth() {
        return auth;
    }

    /** Time limit of one HTTP request. @since 0.1 */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** Time limit of a TCP connect. @since 0.1 */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** How long a KV read is served from the cache without asking Vault. @since 0.1 */
    public Duration kvCacheTtl() {
        return kvCacheTtl;
    }

    /** The oldest last-known-good value served while Vault is unavailable. @since 0.1 */
    public Duration maxStaleness() {
        return maxStaleness;
    }

    /** The fraction of the time left after which a token or lease is renewed. @since 0.1 */
    public double renewFraction() {
        return renewFraction;
    }

    /** Up to this fraction of a renewal's delay is taken off at random. @since 0.1 */
    public double renewJitter() {
        return renewJitter;
    }

    /** Shortest wait before retrying a failed background renewal or login. @since 0.1 */
    public Duration minRetryDelay() {
        return minRetryDelay;
    }

    /** Longest wait before retrying a failed background renewal or login. @since 0.1 */
    public Duration maxRetryDelay() {
        return maxRetryDelay;
    }

    /** Whether a root token is accepted (with a warning at every start). @since 0.1 */
    public boolean allowRootToken() {
        return allowRootToken;
    }

    /** Whether {@link VaultClient#close()} revokes the token (and with it every lease it created). @since 0.1 */
    public boolean revokeOnClose() {
        return revokeOnClose;
    }

    /** The resilience policies every call to Vault goes through. @since 0.1 */
    public ResiliencePolicies policies() {
        return policies;
    }

    /** The monotonic time source for TTLs, ages and schedules. @since 0.1 */
    public Ticker ticker() {
        return ticker;
    }

    /** The wall clock, for the instants reported (expiry times). @since 0.1 */
    public Clock clock() {
        return clock;
    }

    /** The tripwire every secret value this client holds is registered with. @since 0.1 */
    public LeakTripwire tripwire() {
        return tripwire;
    }

    Optional<TaskScheduler> scheduler() {
        return Optional.ofNullable(scheduler);
    }

    Optional<Random> random() {
        return Optional.ofNullable(random);
    }

    @Override
    public String toString() {
        return "VaultConfig[name=" + name + ", address=" + address + ", auth=" + auth + ", kvCacheTtl=" + kvCacheTtl
            + ", maxStaleness=" + maxStaleness + "]";
    }

    static String checkPath(String path, String argumentName) {
        Objects.requireNonNull(path, argumentName);
        if (!PATH.matcher(path).matches() || path.startsWith("/") || path.contains("..")) {
            throw new IllegalArgumentException(argumentName + " must be a Vault path of letters, digits, '_', '-', '.'"
                + " and '/', not starting with '/' and without '..', but was \"" + printable(path) + "\"");
        }
        return path;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 100; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }

    /**
     * Builds a {@link VaultConfig}. Not thread-safe. Setters reject bad values at once
     * ({@link IllegalArgumentException} naming the setting and the value); {@link #build()} checks how they relate.
     *
     * @since 0.1
     */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private URI address;
        private VaultAuth auth;
        private Duration requestTimeout = Duration.ofMillis(DEFAULT_REQUEST_TIMEOUT_MILLIS);
        private Duration connectTimeout = Duration.ofMillis(DEFAULT_CONNECT_TIMEOUT_MILLIS);
        private Duration kvCacheTtl = Duration.ofSeconds(DEFAULT_KV_CACHE_TTL_SECONDS);
        private Duration maxStaleness = Duration.ofSeconds(DEFAULT_MAX_STALENESS_SECONDS);
        private double renewFraction = 2.0 / 3.0;
        private double renewJitter = DEFAULT_RENEW_JITTER;
        private Duration minRetryDelay = Duration.ofMillis(DEFAULT_MIN_RETRY_DELAY_MILLIS);
        private Duration maxRetryDelay = Duration.ofSeconds(DEFAULT_MAX_RETRY_DELAY_SECONDS);
        private boolean allowRootToken;
        private boolean revokeOnClose = true;
        private @Nullable ResiliencePolicies policies;
        private Ticker ticker = Ticker.system();
        private Clock clock = Clock.systemUTC();
        private LeakTripwire tripwire = LeakTripwire.global();
        private @Nullable TaskScheduler scheduler;
        private @Nullable Random random;

        private Builder(URI address, VaultAuth auth) {
            address(address);
            this.auth = Objects.requireNonNull(auth, "auth");
        }

        private Builder(VaultConfig c) {
            this.name = c.name;
            this.address = c.address;
            this.auth = c.auth;
            this.requestTimeout = c.requestTimeout;
            this.connectTimeout = c.connectTimeout;
            this.kvCacheTtl = c.kvCacheTtl;
            this.maxStaleness = c.maxStaleness;
            this.renewFraction = c.renewFraction;
            this.renewJitter = c.renewJitter;
            this.minRetryDelay = c.minRetryDelay;
            this.maxRetryDelay = c.maxRetryDelay;
            this.allowRootToken = c.allowRootToken;
            this.revokeOnClose = c.revokeOnClose;
            this.policies = c.explicitPolicies;
            this.ticker = c.ticker;
            this.clock = c.clock;
            this.tripwire = c.tripwire;
            this.scheduler = c.scheduler;
            this.random = c.random;
        }

        /** @see VaultConfig#builder(URI, VaultAuth) @since 0.1 */
        public Builder address(URI address) {
            Objects.requireNonNull(address, "address");
            String scheme = address.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || address.getHost() == null
                || (address.getRawPath() != null && !address.getRawPath().isEmpty() && !address.getRawPath().equals("/"))
                || address.getRawUserInfo() != null || address.getRawQuery() != null) {
                throw new IllegalArgumentException("address must be http(s)://host[:port] without a path, user or query,"
                    + " but was \"" + printable(address.getScheme() + "://" + address.getHost() + ":" + address.getPort()
                    + (address.getRawPath() == null ? "" : address.getRawPath())) + "\"");
            }
            this.address = address;
            return this;
        }

        /** How the client logs in. @since 0.1 */
        public Builder auth(VaultAuth auth) {
            this.auth = Objects.requireNonNull(auth, "auth");
            return this;
        }

        /** @throws IllegalArgumentException if blank or not printable @since 0.1 */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank() || name.length() > 100 || !name.equals(printable(name))) {
                throw new IllegalArgumentException("name must be 1 to 100 printable characters, but was \""
                    + printable(name) + "\"");
            }
            this.name = name;
            return this;
        }

        /** @throws IllegalArgumentException unless positive and at most 10 minutes @since 0.1 */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, TIMEOUT_CEILING, "requestTimeout");
            return this;
        }

        /** @throws IllegalArgumentException unless positive and at most 10 minutes @since 0.1 */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, TIMEOUT_CEILING, "connectTimeout");
            return this;
        }

        /** @throws IllegalArgumentException if negative or longer than 365 days @since 0.1 */
        public Builder kvCacheTtl(Duration ttl) {
            this.kvCacheTtl = notNegative(ttl, CACHE_CEILING, "kvCacheTtl");
            return this;
        }

        /** @throws IllegalArgumentException if negative or longer than 365 days @since 0.1 */
        public Builder maxStaleness(Duration staleness) {
            this.maxStaleness = notNegative(staleness, CACHE_CEILING, "maxStaleness");
            return this;
        }

        /**
         * The fraction of the time left on a token or lease after which it is renewed.
         *
         * @throws IllegalArgumentException unless between {@value #MIN_RENEW_FRACTION} and {@value #MAX_RENEW_FRACTION}
         * @since 0.1
         */
        public Builder renewFraction(double fraction) {
            if (!(fraction >= MIN_RENEW_FRACTION && fraction <= MAX_RENEW_FRACTION)) {
                throw new IllegalArgumentException("renewFraction must be between " + MIN_RENEW_FRACTION + " and "
                    + MAX_RENEW_FRACTION + ", but was " + fraction);
            }
            this.renewFraction = fraction;
            return this;
        }

        /** @throws IllegalArgumentException unless between 0 and 0.5 @since 0.1 */
        public Builder renewJitter(double jitter) {
            if (!(jitter >= 0 && jitter <= 0.5)) {
                throw new IllegalArgumentException("renewJitter must be between 0 and 0.5, but was " + jitter);
            }
            this.renewJitter = jitter;
            return this;
        }

        /**
         * The first wait before retrying a failed background renewal or login; after the token or lease has ended,
         * retries back off from it to {@link #maxRetryDelay}.
         *
         * @throws IllegalArgumentException unless between 10 ms and 10 minutes
         * @since 0.1
         */
        public Builder minRetryDelay(Duration delay) {
            this.minRetryDelay = between(delay, MIN_RETRY_DELAY_FLOOR, MIN_RETRY_DELAY_CEILING, "minRetryDelay");
            return this;
        }

        /**
         * The longest wait before retrying a failed background renewal or login.
         *
         * @throws IllegalArgumentException unless between 10 ms and 1 hour
         * @since 0.1
         */
        public Builder maxRetryDelay(Duration delay) {
            this.maxRetryDelay = between(delay, MIN_RETRY_DELAY_FLOOR, MAX_RETRY_DELAY_CEILING, "maxRetryDelay");
            return this;
        }

        /** Accept a root token (a warning is logged at every start). Default false. @since 0.1 */
        public Builder allowRootToken(boolean allow) {
            this.allowRootToken = allow;
            return this;
        }

        /** Revoke the token (and its leases) on close. Default true. @since 0.1 */
        public Builder revokeOnClose(boolean revoke) {
            this.revokeOnClose = revoke;
            return this;
        }

        /**
         * The resilience policies calls go through; only unavailability is ever retried. Unless set, {@link #build()}
         * makes the defaults for the name and ticker set by then. Kept by {@link VaultConfig#toBuilder()} only when
         * set here.
         *
         * @since 0.1
         */
        public Builder policies(ResiliencePolicies policies) {
            this.policies = Objects.requireNonNull(policies, "policies");
            return this;
        }

        /** The monotonic time source; default {@link Ticker#system()}. @since 0.1 */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** The wall clock for reported instants; default UTC system clock. @since 0.1 */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The tripwire secret values are registered with; default {@link LeakTripwire#global()}. @since 0.1 */
        public Builder tripwire(LeakTripwire tripwire) {
            this.tripwire = Objects.requireNonNull(tripwire, "tripwire");
            return this;
        }

        /** Tests drive background work on a manual clock. */
        Builder scheduler(TaskScheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** Tests make the jitter of renewals and retries repeatable; default a {@code SecureRandom}. */
        Builder random(Random random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * @throws IllegalStateException if maxStaleness is shorter than kvCacheTtl, or maxRetryDelay shorter than minRetryDelay
         * @since 0.1
         */
        public VaultConfig build() {
            if (maxStaleness.compareTo(kvCacheTtl) < 0) {
                throw new IllegalStateException("maxStaleness (" + maxStaleness + ") must not be shorter than kvCacheTtl ("
                    + kvCacheTtl + ")");
            }
            if (maxRetryDelay.compareTo(minRetryDelay) < 0) {
                throw new IllegalStateException("maxRetryDelay (" + maxRetryDelay + ") must not be shorter than"
                    + " minRetryDelay (" + minRetryDelay + ")");
            }
            return new VaultConfig(this);
        }

        private static Duration positive(Duration d, Duration max, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero() || d.compareTo(max) > 0) {
                throw new IllegalArgumentException(name + " must be positive and at most " + max + ", but was " + d);
            }
            return d;
        }

        private static Duration notNegative(Duration d, Duration max, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.compareTo(max) > 0) {
                throw new IllegalArgumentException(name + " must be between " + Duration.ZERO + " and " + max
                    + ", but was " + d);
            }
            return d;
        }

        private static Duration between(Duration d, Duration min, Duration max, String name) {
            Objects.requireNonNull(d, name);
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", but was " + d);
            }
            return d;
        }
    }
}
