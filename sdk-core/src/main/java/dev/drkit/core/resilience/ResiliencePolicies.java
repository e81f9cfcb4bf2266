package dev.drkit.core.resilience;

import dev.drkit.core.time.Sleeper;
import dev.drkit.core.DrkitException;
import dev.drkit.core.internal.Checks;
import dev.drkit.core.time.Ticker;

import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;

/**
 * Immutable configuration of the resilience policies around calls to one dependency, named by {@link #name()}:
 * retry with exponential backoff and jitter, circuit breaker, bulkhead, time limiter and rate limiter, an
 * optional shared {@link RetryBudget} and an optional Micrometer {@link MeterRegistry}. {@link #create()}
 * turns it into a {@link Resilience}, which holds the Resilience4j instances and runs calls through them.
 * Instances are thread-safe.
 *
 * <pre>{@code
 * Resilience orders = ResiliencePolicies.builder("orders-db")
 *     .maxAttempts(4)
 *     .initialBackoff(Duration.ofMillis(50))
 *     .timeout(Duration.ofSeconds(2))
 *     .retryBudget(ordersBudget)       // one budget shared by every caller of orders-db
 *     .meterRegistry(registry)
 *     .build()
 *     .create();
 * }</pre>
 *
 * <h2>Defaults</h2>
 * <table>
 * <caption>What each policy does unless configured otherwise</caption>
 * <tr><th>policy</th><th>enabled</th><th>settings</th></tr>
 * <tr><td>retry</td><td>yes</td><td>{@value #DEFAULT_MAX_ATTEMPTS} attempts in all; backoff
 *     {@value #DEFAULT_INITIAL_BACKOFF_MILLIS} ms × {@value #DEFAULT_BACKOFF_MULTIPLIER} per attempt, at most
 *     {@value #DEFAULT_MAX_BACKOFF_MILLIS} ms, each randomized by ±{@value #DEFAULT_RANDOMIZATION_FACTOR} of
 *     itself (Resilience4j's {@link IntervalFunction#ofExponentialRandomBackoff(Duration, double, double, Duration)});
 *     retries what {@link #isRetryableByDefault(Throwable)} accepts; no retry budget</td></tr>
 * <tr><td>circuit breaker</td><td>yes</td><td>opens at a {@value #DEFAULT_FAILURE_RATE_THRESHOLD}% failure
 *     rate over the last {@value #DEFAULT_SLIDING_WINDOW_SIZE} calls (count-based), once at least
 *     {@value #DEFAULT_MINIMUM_CALLS} calls were made; stays open {@value #DEFAULT_WAIT_IN_OPEN_SECONDS} s,
 *     then moves to half-open by itself; a call slower than {@value #DEFAULT_SLOW_CALL_SECONDS} s is slow, and
 *     the breaker also opens when {@value #DEFAULT_SLOW_CALL_RATE_THRESHOLD}% of calls are slow</td></tr>
 * <tr><td>bulkhead</td><td>yes</td><td>{@value #DEFAULT_MAX_CONCURRENT_CALLS} concurrent calls; a call
 *     beyond that is rejected at once (max wait 0)</td></tr>
 * <tr><td>time limiter</td><td>yes</td><td>{@value #DEFAULT_TIMEOUT_SECONDS} s per call</td></tr>
 * <tr><td>rate limiter</td><td>no</td><td>when enabled: {@value #DEFAULT_LIMIT_FOR_PERIOD} calls per
 *     {@value #DEFAULT_LIMIT_REFRESH_PERIOD_SECONDS} s, a call beyond that is rejected at once</td></tr>
 * </table>
 *
 * <p>The circuit breaker moves from open to half-open by itself (on Resilience4j's scheduler thread) rather
 * than on the next call: a readiness check built on it would otherwise keep a service out of rotation,
 * receiving no calls, so the breaker would never be asked again.
 *
 * <p>Two kinds of failure are the caller's fault, not the dependency's, and are neither retried nor counted
 * by the circuit breaker: {@link IllegalArgumentException} and drkit exceptions of kind
 * {@link DrkitException.Kind#DATA}.
 *
 * @since 0.1
 */
public final class ResiliencePolicies {

    /** Default number of attempts, the first one included: {@value}. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** Default wait before the first retry, in milliseconds: {@value}. */
    public static final long DEFAULT_INITIAL_BACKOFF_MILLIS = 100;
    /** Default factor by which each wait grows: {@value}. */
    public static final double DEFAULT_BACKOFF_MULTIPLIER = 2.0;
    /** Default longest wait between attempts, in milliseconds: {@value}. */
    public static final long DEFAULT_MAX_BACKOFF_MILLIS = 5_000;
    /** Default jitter: each wait is randomized by up to this fraction of itself either way: {@value}. */
    public static final double DEFAULT_RANDOMIZATION_FACTOR = 0.5;
    /** Default failure rate, in percent, at which the circuit breaker opens: {@value}. */
    public static final float DEFAULT_FAILURE_RATE_THRESHOLD = 50;
    /** Default size of the circuit breaker's sliding window (calls, for the default count-based window): {@value}. */
    public static final int DEFAULT_SLIDING_WINDOW_SIZE = 100;
    /** Default number of calls before the circuit breaker computes a failure rate: {@value}. */
    public static final int DEFAULT_MINIMUM_CALLS = 20;
    /** Default time the circuit breaker stays open before it lets trial calls through, in seconds: {@value}. */
    public static final long DEFAULT_WAIT_IN_OPEN_SECONDS = 30;
    /** Default duration, in seconds, beyond which the circuit breaker counts a call as slow: {@value}. */
    public static final long DEFAULT_SLOW_CALL_SECONDS = 5;
    /** Default share of slow calls, in percent, at which the circuit breaker opens: {@value}. */
    public static final float DEFAULT_SLOW_CALL_RATE_THRESHOLD = 100;
    /** Default number of calls the bulkhead lets run at once: {@value}. */
    public static final int DEFAULT_MAX_CONCURRENT_CALLS = 25;
    /** Default time limit of a call, in seconds: {@value}. */
    public static final long DEFAULT_TIMEOUT_SECONDS = 10;
    /** Default number of calls the rate limiter allows per period: {@value}. */
    public static final int DEFAULT_LIMIT_FOR_PERIOD = 50;
    /** Default rate limiter period, in seconds: {@value}. */
    public static final long DEFAULT_LIMIT_REFRESH_PERIOD_SECONDS = 1;

    private final String name;

    private final boolean retryEnabled;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final double backoffMultiplier;
    private final Duration maxBackoff;
    private final double randomizationFactor;
    private final Predicate<Throwable> retryOn;
    private final @Nullable RetryBudget retryBudget;

    private final boolean circuitBreakerEnabled;
    private final float failureRateThreshold;
    private final SlidingWindowType slidingWindowType;
    private final int slidingWindowSize;
    private final int minimumCalls;
    private final Duration waitInOpenState;
    private final Duration slowCallDurationThreshold;
    private final float slowCallRateThreshold;

    private final boolean bulkheadEnabled;
    private final int maxConcurrentCalls;
    private final Duration maxWait;

    private final boolean timeLimiterEnabled;
    private final Duration timeout;

    private final boolean rateLimiterEnabled;
    private final int limitForPeriod;
    private final Duration limitRefreshPeriod;
    private final Duration rateLimiterTimeout;

    private final @Nullable MeterRegistry meterRegistry;
    private final Ticker ticker;
    private final Sleeper sleeper;

    private ResiliencePolicies(Builder b) {
        this.name = b.name;
        this.retryEnabled = b.retryEnabled;
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.backoffMultiplier = b.backoffMultiplier;
        this.maxBackoff = b.maxBackoff;
        this.randomizationFactor = b.randomizationFactor;
        this.retryOn = b.retryOn;
        this.retryBudget = b.retryBudget;
        this.circuitBreakerEnabled = b.circuitBreakerEnabled;
        this.failureRateThreshold = b.failureRateThreshold;
        this.slidingWindowType = b.slidingWindowType;
        this.slidingWindowSize = b.slidingWindowSize;
        this.minimumCalls = b.minimumCalls;
        this.waitInOpenState = b.waitInOpenState;
        this.slowCallDurationThreshold = b.slowCallDurationThreshold;
        this.slowCallRateThreshold = b.slowCallRateThreshold;
        this.bulkheadEnabled = b.bulkheadEnabled;
        this.maxConcurrentCalls = b.maxConcurrentCalls;
        this.maxWait = b.maxWait;
        this.timeLimiterEnabled = b.timeLimiterEnabled;
        this.timeout = b.timeout;
        this.rateLimiterEnabled = b.rateLimiterEnabled;
        this.limitForPeriod = b.limitForPeriod;
        this.limitRefreshPeriod = b.limitRefreshPeriod;
        this.rateLimiterTimeout = b.rateLimiterTimeout;
        this.meterRegistry = b.meterRegistry;
        this.ticker = b.ticker;
        this.sleeper = b.sleeper;
    }

    /**
     * A builder for the dependency {@code name}, starting from the defaults in the table above.
     *
     * @param name the dependency, as it should appear in logs, metric tags and exception messages, such as
     *             {@code "orders-db"}; never a secret
     * @throws IllegalArgumentException if {@code name} is blank
     * @since 0.1
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * The defaults in the table above, for the dependency {@code name}.
     *
     * @throws IllegalArgumentException if {@code name} is blank
     * @since 0.1
     */
    public static ResiliencePolicies ofDefaults(String name) {
        return builder(name).build();
    }

    /**
     * A builder holding every setting of this configuration, to change some of them.
     *
     * @since 0.1
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Creates the runtime {@link Resilience}: new Resilience4j instances configured from this object, bound
     * to the meter registry if one is set. Each call creates new, independent instances (only the
     * {@link RetryBudget}, which is passed in, is shared).
     *
     * @since 0.1
     */
    public Resilience create() {
        return Resilience.of(this);
    }

    /**
     * The default retry predicate. It accepts every exception except those that retrying cannot fix:
     * <ul>
     * <li>{@link IllegalArgumentException}: the caller's mistake;</li>
     * <li>a {@link DrkitException} of any kind but {@link DrkitException.Kind#ENVIRONMENT}: bad data
     *     ({@code DATA}), a deadline or retry budget already exhausted further down ({@code TIMEOUT},
     *     including {@link DeadlineExceededException} and {@link RetryBudgetExhaustedException}), or a drkit bug
     *     ({@code INTERNAL});</li>
     * <li>Resilience4j's {@link CallNotPermittedException}: the circuit breaker is open, so fail fast;</li>
     * <li>{@link InterruptedException}: someone wants this thread to stop.</li>
     * </ul>
     * Bulkhead and rate limiter rejections are retried: they are momentary, and the retry budget caps them.
     *
     * @since 0.1
     */
    public static boolean isRetryableByDefault(Throwable failure) {
        if (failure instanceof IllegalArgumentException
            || failure instanceof CallNotPermittedException
            || failure instanceof InterruptedException) {
            return false;
        }
        if (failure instanceof DrkitException) {
            return ((DrkitException) failure).kind() == DrkitException.Kind.ENVIRONMENT;
        }
        return true;
    }

    /** Failures that say nothing about the dependency's health: the circuit breaker ignores them. */
    static boolean isCallersFault(Throwable failure) {
        return failure instanceof IllegalArgumentException
            || (failure instanceof DrkitException && ((DrkitException) failure).kind() == DrkitException.Kind.DATA);
    }

    RetryConfig toRetryConfig() {
        Predicate<Throwable> retryable = retryOn;
        return RetryConfig.custom()
            .maxAttempts(maxAttempts)
            .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
                initialBackoff, backoffMultiplier, randomizationFactor, maxBackoff))
            // The caller's own mistakes are never retried, whatever the predicate says.
            .retryOnException(failure -> !isCallersFault(failure) && retryable.test(failure))
            .build();
    }

    CircuitBreakerConfig toCircuitBreakerConfig() {
        return CircuitBreakerConfig.custom()
            .failureRateThreshold(failureRateThreshold)
            .slidingWindow(slidingWindowSize, minimumCalls, slidingWindowType)
            .waitDurationInOpenState(waitInOpenState)
            .slowCallDurationThreshold(slowCallDurationThreshold)
            .slowCallRateThreshold(slowCallRateThreshold)
            .automaticTransitionFromOpenToHalfOpenEnabled(true)
            .ignoreException(ResiliencePolicies::isCallersFault)
            .build();
    }

    BulkheadConfig toBulkheadConfig() {
        return BulkheadConfig.custom().maxConcurrentCalls(maxConcurrentCalls).maxWaitDuration(maxWait).build();
    }

    TimeLimiterConfig toTimeLimiterConfig() {
        return TimeLimiterConfig.custom().timeoutDuration(timeout).cancelRunningFuture(true).build();
    }

    RateLimiterConfig toRateLimiterConfig() {
        return RateLimiterConfig.custom()
            .limitForPeriod(limitForPeriod)
            .limitRefreshPeriod(limitRefreshPeriod)
            .timeoutDuration(rateLimiterTimeout)
            .build();
    }

    /**
     * The dependency these policies protect.
     *
     * @since 0.1
     */
    public String name() {
        return name;
    }

    /**
     * Whether calls are retried.
     *
     * @since 0.1
     */
    public boolean retryEnabled() {
        return retryEnabled;
    }

    /**
     * Attempts in all, the first one included.
     *
     * @since 0.1
     */
    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * Wait before the first retry, before jitter.
     *
     * @since 0.1
     */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /**
     * Factor by which each wait grows.
     *
     * @since 0.1
     */
    public double backoffMultiplier() {
        return backoffMultiplier;
    }

    /**
     * Longest wait between attempts, jitter included.
     *
     * @since 0.1
     */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /**
     * Fraction of each wait by which it is randomized either way.
     *
     * @since 0.1
     */
    public double randomizationFactor() {
        return randomizationFactor;
    }

    /**
     * Which failures are retried (the caller's own mistakes never are, see the class description).
     *
     * @since 0.1
     */
    public Predicate<Throwable> retryOn() {
        return retryOn;
    }

    /**
     * The budget that caps retries across calls, if any.
     *
     * @since 0.1
     */
    public Optional<RetryBudget> retryBudget() {
        return Optional.ofNullable(retryBudget);
    }

    /**
     * Whether calls go through a circuit breaker.
     *
     * @since 0.1
     */
    public boolean circuitBreakerEnabled() {
        return circuitBreakerEnabled;
    }

    /**
     * Failure rate, in percent, at which the circuit breaker opens.
     *
     * @since 0.1
     */
    public float failureRateThreshold() {
        return failureRateThreshold;
    }

    /**
     * Whether the circuit breaker's window counts calls or seconds.
     *
     * @since 0.1
     */
    public SlidingWindowType slidingWindowType() {
        return slidingWindowType;
    }

    /**
     * Size of the circuit breaker's window: calls, or seconds for a time-based window.
     *
     * @since 0.1
     */
    public int slidingWindowSize() {
        return slidingWindowSize;
    }

    /**
     * Calls recorded before the circuit breaker computes rates.
     *
     * @since 0.1
     */
    public int minimumCalls() {
        return minimumCalls;
    }

    /**
     * How long the circuit breaker stays open before it lets trial calls through.
     *
     * @since 0.1
     */
    public Duration waitInOpenState() {
        return waitInOpenState;
    }

    /**
     * Duration beyond which the circuit breaker counts a call as slow.
     *
     * @since 0.1
     */
    public Duration slowCallDurationThreshold() {
        return slowCallDurationThreshold;
    }

    /**
     * Share of slow calls, in percent, at which the circuit breaker opens.
     *
     * @since 0.1
     */
    public float slowCallRateThreshold() {
        return slowCallRateThreshold;
    }

    /**
     * Whether calls go through a bulkhead.
     *
     * @since 0.1
     */
    public boolean bulkheadEnabled() {
        return bulkheadEnabled;
    }

    /**
     * Calls the bulkhead lets run at once.
     *
     * @since 0.1
     */
    public int maxConcurrentCalls() {
        return maxConcurrentCalls;
    }

    /**
     * How long a call waits for the bulkhead before it is rejected.
     *
     * @since 0.1
     */
    public Duration maxWait() {
        return maxWait;
    }

    /**
     * Whether calls are time-limited.
     *
     * @since 0.1
     */
    public boolean timeLimiterEnabled() {
        return timeLimiterEnabled;
    }

    /**
     * The time limit of a call; see {@link Resilience} for how it applies to synchronous and asynchronous calls.
     *
     * @since 0.1
     */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Whether calls go through a rate limiter.
     *
     * @since 0.1
     */
    public boolean rateLimiterEnabled() {
        return rateLimiterEnabled;
    }

    /**
     * Calls the rate limiter allows per period.
     *
     * @since 0.1
     */
    public int limitForPeriod() {
        return limitForPeriod;
    }

    /**
     * The rate limiter's period.
     *
     * @since 0.1
     */
    public Duration limitRefreshPeriod() {
        return limitRefreshPeriod;
    }

    /**
     * How long a call waits for the rate limiter before it is rejected.
     *
     * @since 0.1
     */
    public Duration rateLimiterTimeout() {
        return rateLimiterTimeout;
    }

    /**
     * The registry the Resilience4j instances and the retry budget report to, if any.
     *
     * @since 0.1
     */
    public Optional<MeterRegistry> meterRegistry() {
        return Optional.ofNullable(meterRegistry);
    }

    /**
     * The monotonic time source for deadlines and the time limit.
     *
     * @since 0.1
     */
    public Ticker ticker() {
        return ticker;
    }

    /**
     * What waits between retry attempts.
     *
     * @since 0.1
     */
    public Sleeper sleeper() {
        return sleeper;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ResiliencePolicies)) {
            return false;
        }
        ResiliencePolicies that = (ResiliencePolicies) o;
        return name.equals(that.name)
            && retryEnabled == that.retryEnabled
            && maxAttempts == that.maxAttempts
            && initialBackoff.equals(that.initialBackoff)
            && Double.compare(backoffMultiplier, that.backoffMultiplier) == 0
            && maxBackoff.equals(that.maxBackoff)
            && Double.compare(randomizationFactor, that.randomizationFactor) == 0
            && retryOn.equals(that.retryOn)
            && Objects.equals(retryBudget, that.retryBudget)
            && circuitBreakerEnabled == that.circuitBreakerEnabled
            && Float.compare(failureRateThreshold, that.failureRateThreshold) == 0
            && slidingWindowType == that.slidingWindowType
            && slidingWindowSize == that.slidingWindowSize
            && minimumCalls == that.minimumCalls
            && waitInOpenState.equals(that.waitInOpenState)
            && slowCallDurationThreshold.equals(that.slowCallDurationThreshold)
            && Float.compare(slowCallRateThreshold, that.slowCallRateThreshold) == 0
            && bulkheadEnabled == that.bulkheadEnabled
            && maxConcurrentCalls == that.maxConcurrentCalls
            && maxWait.equals(that.maxWait)
            && timeLimiterEnabled == that.timeLimiterEnabled
            && timeout.equals(that.timeout)
            && rateLimiterEnabled == that.rateLimiterEnabled
            && limitForPeriod == that.limitForPeriod
            && limitRefreshPeriod.equals(that.limitRefreshPeriod)
            && rateLimiterTimeout.equals(that.rateLimiterTimeout)
            && Objects.equals(meterRegistry, that.meterRegistry)
            && ticker.equals(that.ticker)
            && sleeper.equals(that.sleeper);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, retryEnabled, maxAttempts, initialBackoff, backoffMultiplier, maxBackoff,
            randomizationFactor, retryOn, retryBudget, circuitBreakerEnabled, failureRateThreshold,
            slidingWindowType, slidingWindowSize, minimumCalls, waitInOpenState, slowCallDurationThreshold,
            slowCallRateThreshold, bulkheadEnabled, maxConcurrentCalls, maxWait, timeLimiterEnabled, timeout,
            rateLimiterEnabled, limitForPeriod, limitRefreshPeriod, rateLimiterTimeout, meterRegistry, ticker,
            sleeper);
    }

    /** The settings of the enabled policies, for logs. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("ResiliencePolicies['").append(name).append('\'');
        if (retryEnabled) {
            s.append(", retry[maxAttempts=").append(maxAttempts).append(", backoff=").append(initialBackoff)
                .append(" x").append(backoffMultiplier).append(" up to ").append(maxBackoff)
                .append(" ±").append(randomizationFactor).append(']');
            if (retryBudget != null) {
                s.append(", ").append(retryBudget);
            }
        }
        if (circuitBreakerEnabled) {
            s.append(", circuitBreaker[failureRate=").append(failureRateThreshold).append("%, window=")
                .append(slidingWindowSize).append(' ').append(slidingWindowType).append(", minimumCalls=")
                .append(minimumCalls).append(", waitInOpen=").append(waitInOpenState).append(", slowCall=")
                .append(slowCallDurationThreshold).append('@').append(slowCallRateThreshold).append("%]");
        }
        if (bulkheadEnabled) {
            s.append(", bulkhead[maxConcurrentCalls=").append(maxConcurrentCalls).append(", maxWait=")
                .append(maxWait).append(']');
        }
        if (timeLimiterEnabled) {
            s.append(", timeLimiter[timeout=").append(timeout).append(']');
        }
        if (rateLimiterEnabled) {
            s.append(", rateLimiter[").append(limitForPeriod).append(" per ").append(limitRefreshPeriod)
                .append(", timeout=").append(rateLimiterTimeout).append(']');
        }
        return s.append(']').toString();
    }

    /**
     * Builds {@link ResiliencePolicies}. Setters check single values and throw
     * {@link IllegalArgumentException}; {@link #build()} checks how values relate and throws
     * {@link IllegalStateException}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final String name;

        private boolean retryEnabled = true;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = Duration.ofMillis(DEFAULT_INITIAL_BACKOFF_MILLIS);
        private double backoffMultiplier = DEFAULT_BACKOFF_MULTIPLIER;
        private Duration maxBackoff = Duration.ofMillis(DEFAULT_MAX_BACKOFF_MILLIS);
        private double randomizationFactor = DEFAULT_RANDOMIZATION_FACTOR;
        private Predicate<Throwable> retryOn = ResiliencePolicies::isRetryableByDefault;
        private @Nullable RetryBudget retryBudget;

        private boolean circuitBreakerEnabled = true;
        private float failureRateThreshold = DEFAULT_FAILURE_RATE_THRESHOLD;
        private SlidingWindowType slidingWindowType = SlidingWindowType.COUNT_BASED;
        private int slidingWindowSize = DEFAULT_SLIDING_WINDOW_SIZE;
        private int minimumCalls = DEFAULT_MINIMUM_CALLS;
        private Duration waitInOpenState = Duration.ofSeconds(DEFAULT_WAIT_IN_OPEN_SECONDS);
        private Duration slowCallDurationThreshold = Duration.ofSeconds(DEFAULT_SLOW_CALL_SECONDS);
        private float slowCallRateThreshold = DEFAULT_SLOW_CALL_RATE_THRESHOLD;

        private boolean bulkheadEnabled = true;
        private int maxConcurrentCalls = DEFAULT_MAX_CONCURRENT_CALLS;
        private Duration maxWait = Duration.ZERO;

        private boolean timeLimiterEnabled = true;
        private Duration timeout = Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);

        private boolean rateLimiterEnabled = false;
        private int limitForPeriod = DEFAULT_LIMIT_FOR_PERIOD;
        private Duration limitRefreshPeriod = Duration.ofSeconds(DEFAULT_LIMIT_REFRESH_PERIOD_SECONDS);
        private Duration rateLimiterTimeout = Duration.ZERO;

        private @Nullable MeterRegistry meterRegistry;
        private Ticker ticker = Ticker.system();
        private Sleeper sleeper = Sleeper.system();

        private Builder(String name) {
            this.name = Checks.notBlank(name, "name");
        }

        private Builder(ResiliencePolicies base) {
            this.name = base.name;
            this.retryEnabled = base.retryEnabled;
            this.maxAttempts = base.maxAttempts;
            this.initialBackoff = base.initialBackoff;
            this.backoffMultiplier = base.backoffMultiplier;
            this.maxBackoff = base.maxBackoff;
            this.randomizationFactor = base.randomizationFactor;
            this.retryOn = base.retryOn;
            this.retryBudget = base.retryBudget;
            this.circuitBreakerEnabled = base.circuitBreakerEnabled;
            this.failureRateThreshold = base.failureRateThreshold;
            this.slidingWindowType = base.slidingWindowType;
            this.slidingWindowSize = base.slidingWindowSize;
            this.minimumCalls = base.minimumCalls;
            this.waitInOpenState = base.waitInOpenState;
            this.slowCallDurationThreshold = base.slowCallDurationThreshold;
            this.slowCallRateThreshold = base.slowCallRateThreshold;
            this.bulkheadEnabled = base.bulkheadEnabled;
            this.maxConcurrentCalls = base.maxConcurrentCalls;
            this.maxWait = base.maxWait;
            this.timeLimiterEnabled = base.timeLimiterEnabled;
            this.timeout = base.timeout;
            this.rateLimiterEnabled = base.rateLimiterEnabled;
            this.limitForPeriod = base.limitForPeriod;
            this.limitRefreshPeriod = base.limitRefreshPeriod;
            this.rateLimiterTimeout = base.rateLimiterTimeout;
            this.meterRegistry = base.meterRegistry;
            this.ticker = base.ticker;
            this.sleeper = base.sleeper;
        }

        /**
         * Whether calls are retried; default yes.
         *
         * @since 0.1
         */
        public Builder retryEnabled(boolean enabled) {
            this.retryEnabled = enabled;
            return this;
        }

        /**
         * Attempts in all, the first one included; default {@value ResiliencePolicies#DEFAULT_MAX_ATTEMPTS}.
         *
         * @throws IllegalArgumentException unless {@code 1 <= maxAttempts <= 100}
         * @since 0.1
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = Checks.inRange(maxAttempts, 1, 100, "maxAttempts");
            return this;
        }

        /**
         * Wait before the first retry, before jitter; default
         * {@value ResiliencePolicies#DEFAULT_INITIAL_BACKOFF_MILLIS} ms.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder initialBackoff(Duration initialBackoff) {
            this.initialBackoff = Checks.positive(initialBackoff, "initialBackoff");
            return this;
        }

        /**
         * Factor by which each wait grows; default {@value ResiliencePolicies#DEFAULT_BACKOFF_MULTIPLIER}.
         * 1 gives a constant backoff.
         *
         * @throws IllegalArgumentException unless {@code 1 <= multiplier <= 10}
         * @since 0.1
         */
        public Builder backoffMultiplier(double multiplier) {
            this.backoffMultiplier = Checks.inRange(multiplier, 1.0, 10.0, "backoffMultiplier");
            return this;
        }

        /**
         * Longest wait between attempts, jitter included; default
         * {@value ResiliencePolicies#DEFAULT_MAX_BACKOFF_MILLIS} ms.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = Checks.positive(maxBackoff, "maxBackoff");
            return this;
        }

        /**
         * Jitter: each wait is drawn uniformly from {@code [w × (1 - f), w × (1 + f)]} (then capped at the
         * maximum backoff); default {@value ResiliencePolicies#DEFAULT_RANDOMIZATION_FACTOR}. 0 turns jitter off.
         *
         * @throws IllegalArgumentException unless {@code 0 <= factor <= 1}
         * @since 0.1
         */
        public Builder randomizationFactor(double factor) {
            this.randomizationFactor = Checks.inRange(factor, 0.0, 1.0, "randomizationFactor");
            return this;
        }

        /**
         * Which failures are retried; default {@link ResiliencePolicies#isRetryableByDefault(Throwable)}.
         * {@link IllegalArgumentException} and {@code DATA}-kind drkit exceptions are never retried, whatever
         * this predicate says.
         *
         * @since 0.1
         */
        public Builder retryOn(Predicate<Throwable> retryOn) {
            this.retryOn = Objects.requireNonNull(retryOn, "retryOn");
            return this;
        }

        /**
         * A budget that caps retries across calls; default none. Share one budget among every caller of the
         * same dependency.
         *
         * @param budget the budget, or {@code null} for none
         * @since 0.1
         */
        public Builder retryBudget(@Nullable RetryBudget budget) {
            this.retryBudget = budget;
            return this;
        }

        /**
         * Whether calls go through a circuit breaker; default yes.
         *
         * @since 0.1
         */
        public Builder circuitBreakerEnabled(boolean enabled) {
            this.circuitBreakerEnabled = enabled;
            return this;
        }

        /**
         * Failure rate, in percent, at which the circuit breaker opens; default
         * {@value ResiliencePolicies#DEFAULT_FAILURE_RATE_THRESHOLD}.
         *
         * @throws IllegalArgumentException unless {@code 0 < percent <= 100}
         * @since 0.1
         */
        public Builder failureRateThreshold(float percent) {
            this.failureRateThreshold = percent(percent, "failureRateThreshold");
            return this;
        }

        /**
         * The circuit breaker's window: the last {@code size} calls ({@code COUNT_BASED}, the default, with
         * size {@value ResiliencePolicies#DEFAULT_SLIDING_WINDOW_SIZE}) or the last {@code size} seconds
         * ({@code TIME_BASED}).
         *
         * @throws IllegalArgumentException unless {@code 1 <= size <= 100000}
         * @since 0.1
         */
        public Builder slidingWindow(SlidingWindowType type, int size) {
            this.slidingWindowType = Objects.requireNonNull(type, "type");
            this.slidingWindowSize = Checks.inRange(size, 1, 100_000, "slidingWindowSize");
            return this;
        }

        /**
         * Calls recorded before the circuit breaker computes rates; default
         * {@value ResiliencePolicies#DEFAULT_MINIMUM_CALLS}.
         *
         * @throws IllegalArgumentException unless {@code 1 <= minimumCalls <= 100000}
         * @since 0.1
         */
        public Builder minimumCalls(int minimumCalls) {
            this.minimumCalls = Checks.inRange(minimumCalls, 1, 100_000, "minimumCalls");
            return this;
        }

        /**
         * How long the circuit breaker stays open before it lets trial calls through; default
         * {@value ResiliencePolicies#DEFAULT_WAIT_IN_OPEN_SECONDS} s.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder waitInOpenState(Duration wait) {
            this.waitInOpenState = Checks.positive(wait, "waitInOpenState");
            return this;
        }

        /**
         * Duration beyond which a call counts as slow; default {@value ResiliencePolicies#DEFAULT_SLOW_CALL_SECONDS} s.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder slowCallDurationThreshold(Duration threshold) {
            this.slowCallDurationThreshold = Checks.positive(threshold, "slowCallDurationThreshold");
            return this;
        }

        /**
         * Share of slow calls, in percent, at which the circuit breaker opens; default
         * {@value ResiliencePolicies#DEFAULT_SLOW_CALL_RATE_THRESHOLD}.
         *
         * @throws IllegalArgumentException unless {@code 0 < percent <= 100}
         * @since 0.1
         */
        public Builder slowCallRateThreshold(float percent) {
            this.slowCallRateThreshold = percent(percent, "slowCallRateThreshold");
            return this;
        }

        /**
         * Whether calls go through a bulkhead; default yes.
         *
         * @since 0.1
         */
        public Builder bulkheadEnabled(boolean enabled) {
            this.bulkheadEnabled = enabled;
            return this;
        }

        /**
         * Calls the bulkhead lets run at once; default {@value ResiliencePolicies#DEFAULT_MAX_CONCURRENT_CALLS}.
         *
         * @throws IllegalArgumentException unless {@code 1 <= maxConcurrentCalls <= 100000}
         * @since 0.1
         */
        public Builder maxConcurrentCalls(int maxConcurrentCalls) {
            this.maxConcurrentCalls = Checks.inRange(maxConcurrentCalls, 1, 100_000, "maxConcurrentCalls");
            return this;
        }

        /**
         * How long a call waits for the bulkhead before it is rejected; default zero (rejected at once).
         *
         * @throws IllegalArgumentException if negative
         * @since 0.1
         */
        public Builder maxWait(Duration maxWait) {
            this.maxWait = Checks.notNegative(maxWait, "maxWait");
            return this;
        }

        /**
         * Whether calls are time-limited; default yes.
         *
         * @since 0.1
         */
        public Builder timeLimiterEnabled(boolean enabled) {
            this.timeLimiterEnabled = enabled;
            return this;
        }

        /**
         * The time limit of a call; default {@value ResiliencePolicies#DEFAULT_TIMEOUT_SECONDS} s. See
         * {@link Resilience} for how it applies.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Checks.positive(timeout, "timeout");
            return this;
        }

        /**
         * Whether calls go through a rate limiter; default no.
         *
         * @since 0.1
         */
        public Builder rateLimiterEnabled(boolean enabled) {
            this.rateLimiterEnabled = enabled;
            return this;
        }

        /**
         * Calls the rate limiter allows per period; default {@value ResiliencePolicies#DEFAULT_LIMIT_FOR_PERIOD}.
         *
         * @throws IllegalArgumentException unless {@code 1 <= limit <= 1000000}
         * @since 0.1
         */
        public Builder limitForPeriod(int limit) {
            this.limitForPeriod = Checks.inRange(limit, 1, 1_000_000, "limitForPeriod");
            return this;
        }

        /**
         * The rate limiter's period; default {@value ResiliencePolicies#DEFAULT_LIMIT_REFRESH_PERIOD_SECONDS} s.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder limitRefreshPeriod(Duration period) {
            this.limitRefreshPeriod = Checks.positive(period, "limitRefreshPeriod");
            return this;
        }

        /**
         * How long a call waits for the rate limiter before it is rejected; default zero (rejected at once).
         *
         * @throws IllegalArgumentException if negative
         * @since 0.1
         */
        public Builder rateLimiterTimeout(Duration timeout) {
            this.rateLimiterTimeout = Checks.notNegative(timeout, "rateLimiterTimeout");
            return this;
        }

        /**
         * The registry to report to; default none. Resilience4j's tagged metrics (tag {@code name}) and the
         * retry budget's {@code drkit.retry.budget.*} meters are registered there.
         *
         * @param registry the registry, or {@code null} for none
         * @since 0.1
         */
        public Builder meterRegistry(@Nullable MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        /**
         * The monotonic time source for deadlines and the time limit; default {@link Ticker#system()}.
         *
         * @since 0.1
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /**
         * What waits between retry attempts; default {@link Sleeper#system()}. Tests pass one that advances
         * their ticker.
         *
         * @since 0.1
         */
        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /**
         * The configuration.
         *
         * @throws IllegalStateException if {@code maxBackoff} is shorter than {@code initialBackoff}, or a
         *                               count-based window is smaller than {@code minimumCalls}
         * @since 0.1
         */
        public ResiliencePolicies build() {
            Checks.state(maxBackoff.compareTo(initialBackoff) >= 0,
                "maxBackoff (%s) must not be shorter than initialBackoff (%s)", maxBackoff, initialBackoff);
            Checks.state(slidingWindowType != SlidingWindowType.COUNT_BASED || minimumCalls <= slidingWindowSize,
                "minimumCalls (%s) must not exceed a count-based slidingWindowSize (%s)", minimumCalls,
                slidingWindowSize);
            return new ResiliencePolicies(this);
        }

        private static float percent(float value, String name) {
            if (!(value > 0 && value <= 100)) {
                throw new IllegalArgumentException(
                    name + " must be greater than 0 and at most 100, but was " + value);
            }
            return value;
        }
    }
}
