package dev.drkit.core.health;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

import java.util.Objects;

/**
 * Checks one thing, the process itself or one dependency, and says how it is. Implementations should be
 * quick and thread-safe: {@link HealthMonitor} may run them concurrently, and counts a check that throws or
 * takes longer than its timeout as {@link HealthStatus#DOWN}, with the exception's type as the detail.
 *
 * <pre>{@code
 * HealthCheck disk = () -> store.freeBytes() > minFree
 *     ? HealthResult.up()
 *     : HealthResult.degraded("less than " + minFree + " bytes free");
 * }</pre>
 *
 * @since 0.1
 */
@FunctionalInterface
public interface HealthCheck {

    /**
     * Checks now.
     *
     * @return the result; never {@code null}
     * @throws Exception if the check itself fails, which counts as DOWN
     * @since 0.1
     */
    HealthResult check() throws Exception;

    /**
     * A check that reports a Resilience4j circuit breaker's state, without making a call through it:
     * CLOSED (and DISABLED, METRICS_ONLY) is UP, HALF_OPEN is DEGRADED (trial calls are being let through),
     * OPEN and FORCED_OPEN are DOWN. The detail names the state and, when open, the failure rate.
     *
     * <p>A breaker that only moves from OPEN to HALF_OPEN when called can keep a CRITICAL dependency DOWN
     * forever once the service is out of rotation and receives no calls; breakers created by
     * {@code ResiliencePolicies} move by themselves.
     *
     * @since 0.1
     */
    static HealthCheck circuitBreaker(CircuitBreaker breaker) {
        Objects.requireNonNull(breaker, "breaker");
        return () -> {
            CircuitBreaker.State state = breaker.getState();
            switch (state) {
                case OPEN:
                case FORCED_OPEN:
                    float failureRate = breaker.getMetrics().getFailureRate();
                    return HealthResult.down("circuit breaker " + state
                        + (failureRate >= 0 ? " (failure rate " + failureRate + "%)" : ""));
                case HALF_OPEN:
                    return HealthResult.degraded("circuit breaker HALF_OPEN");
                default:
                    return HealthResult.up("circuit breaker " + state);
            }
        };
    }
}
