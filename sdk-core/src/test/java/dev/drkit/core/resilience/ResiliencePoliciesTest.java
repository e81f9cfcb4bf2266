package dev.drkit.core.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.DataIntegrityException;
import dev.drkit.core.EnvironmentException;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.functions.Either;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ResiliencePoliciesTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        ResiliencePolicies policies = ResiliencePolicies.ofDefaults("orders-db");

        assertThat(policies.name()).isEqualTo("orders-db");
        assertThat(policies.retryEnabled()).isTrue();
        assertThat(policies.maxAttempts()).isEqualTo(3);
        assertThat(policies.initialBackoff()).isEqualTo(Duration.ofMillis(100));
        assertThat(policies.backoffMultiplier()).isEqualTo(2.0);
        assertThat(policies.maxBackoff()).isEqualTo(Duration.ofSeconds(5));
        assertThat(policies.randomizationFactor()).isEqualTo(0.5);
        assertThat(policies.retryBudget()).isEmpty();
        assertThat(policies.circuitBreakerEnabled()).isTrue();
        assertThat(policies.failureRateThreshold()).isEqualTo(50f);
        assertThat(policies.slidingWindowType()).isEqualTo(SlidingWindowType.COUNT_BASED);
        assertThat(policies.slidingWindowSize()).isEqualTo(100);
        assertThat(policies.minimumCalls()).isEqualTo(20);
        assertThat(policies.waitInOpenState()).isEqualTo(Duration.ofSeconds(30));
        assertThat(policies.bulkheadEnabled()).isTrue();
        assertThat(policies.maxConcurrentCalls()).isEqualTo(25);
        assertThat(policies.maxWait()).isZero();
        assertThat(policies.timeLimiterEnabled()).isTrue();
        assertThat(policies.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(policies.rateLimiterEnabled()).isFalse();
        assertThat(policies.meterRegistry()).isEmpty();
    }

    @Test
    void theResilience4jInstancesCarryTheSettings() {
        Resilience resilience = ResiliencePolicies.builder("orders-db")
            .maxAttempts(4)
            .failureRateThreshold(25)
            .waitInOpenState(Duration.ofSeconds(7))
            .maxConcurrentCalls(3)
            .timeout(Duration.ofMillis(1500))
            .rateLimiterEnabled(true)
            .limitForPeriod(9)
            .build()
            .create();

        assertThat(resilience.retry().orElseThrow().getRetryConfig().getMaxAttempts()).isEqualTo(4);
        CircuitBreaker breaker = resilience.circuitBreaker().orElseThrow();
        assertThat(breaker.getName()).isEqualTo("orders-db");
        assertThat(breaker.getCircuitBreakerConfig().getFailureRateThreshold()).isEqualTo(25f);
        assertThat(breaker.getCircuitBreakerConfig().isAutomaticTransitionFromOpenToHalfOpenEnabled()).isTrue();
        assertThat(resilience.bulkhead().orElseThrow().getBulkheadConfig().getMaxConcurrentCalls()).isEqualTo(3);
        assertThat(resilience.timeLimiter().orElseThrow().getTimeLimiterConfig().getTimeoutDuration())
            .isEqualTo(Duration.ofMillis(1500));
        assertThat(resilience.rateLimiter().orElseThrow().getRateLimiterConfig().getLimitForPeriod()).isEqualTo(9);
    }

    @Test
    void theBackoffGrowsExponentiallyUpToTheMaximum() {
        ResiliencePolicies policies = ResiliencePolicies.builder("orders-db")
            .initialBackoff(Duration.ofMillis(100))
            .backoffMultiplier(3)
            .maxBackoff(Duration.ofSeconds(1))
            .randomizationFactor(0)
            .build();

        IntervalBiFunction<Object> interval = policies.toRetryConfig().getIntervalBiFunction();
        Either<Throwable, Object> failure = Either.left(new IOException("reset"));

        assertThat(interval.apply(1, failure)).isEqualTo(100L);
        assertThat(interval.apply(2, failure)).isEqualTo(300L);
        assertThat(interval.apply(3, failure)).isEqualTo(900L);
        assertThat(interval.apply(4, failure)).isEqualTo(1000L);
    }

    @Test
    void theDefaultRetryPredicateRetriesOnlyWhatRetryingCanFix() {
        assertThat(ResiliencePolicies.isRetryableByDefault(new IOException("reset"))).isTrue();
        assertThat(ResiliencePolicies.isRetryableByDefault(new EnvironmentException("unreachable", null))).isTrue();
        assertThat(ResiliencePolicies.isRetryableByDefault(new IllegalArgumentException("bad id"))).isFalse();
        assertThat(ResiliencePolicies.isRetryableByDefault(new NumberFormatException("x"))).isFalse();
        assertThat(ResiliencePolicies.isRetryableByDefault(new DataIntegrityException("bad", Map.of(), null)))
            .isFalse();
        assertThat(ResiliencePolicies.isRetryableByDefault(new DeadlineExceededException("op", Duration.ZERO)))
            .isFalse();
        assertThat(ResiliencePolicies.isRetryableByDefault(
            CallNotPermittedException.createCallNotPermittedException(CircuitBreaker.ofDefaults("x")))).isFalse();
        assertThat(ResiliencePolicies.isRetryableByDefault(new InterruptedException())).isFalse();
    }

    @Test
    void rejectsOutOfRangeValuesNamingTheSettingAndTheValue() {
        ResiliencePolicies.Builder builder = ResiliencePolicies.builder("orders-db");

        assertThatThrownBy(() -> builder.maxAttempts(0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("maxAttempts must be between 1 and 100, but was 0");
        assertThatThrownBy(() -> builder.failureRateThreshold(0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("failureRateThreshold must be greater than 0 and at most 100, but was 0.0");
        assertThatThrownBy(() -> builder.randomizationFactor(1.5))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("randomizationFactor must be between 0.0 and 1.0, but was 1.5");
        assertThatThrownBy(() -> builder.timeout(Duration.ZERO))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("timeout must be positive, but was PT0S");
        assertThatThrownBy(() -> ResiliencePolicies.builder(" "))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("name must not be blank, but was ' '");
    }

    @Test
    void buildRejectsSettingsThatContradictEachOther() {
        assertThatThrownBy(() -> ResiliencePolicies.builder("orders-db")
            .initialBackoff(Duration.ofSeconds(2)).maxBackoff(Duration.ofSeconds(1)).build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("maxBackoff (PT1S) must not be shorter than initialBackoff (PT2S)");
        assertThatThrownBy(() -> ResiliencePolicies.builder("orders-db")
            .slidingWindow(SlidingWindowType.COUNT_BASED, 10).minimumCalls(20).build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("minimumCalls (20) must not exceed a count-based slidingWindowSize (10)");
    }

    @Test
    void toStringListsOnlyTheEnabledPolicies() {
        ResiliencePolicies policies = ResiliencePolicies.builder("orders-db").bulkheadEnabled(false)
            .circuitBreakerEnabled(false).build();

        assertThat(policies.toString()).isEqualTo("ResiliencePolicies['orders-db', retry[maxAttempts=3, "
            + "backoff=PT0.1S x2.0 up to PT5S ±0.5], timeLimiter[timeout=PT10S]]");
    }
}
