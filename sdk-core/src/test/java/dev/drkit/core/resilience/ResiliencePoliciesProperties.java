package dev.drkit.core.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.core.functions.Either;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class ResiliencePoliciesProperties {

    static Gen<ResiliencePolicies> policies() {
        Gen<ResiliencePolicies.Builder> retry = integers().between(1, 100).zip(integers().between(1, 1000),
            integers().between(10, 100), integers().between(0, 100), (attempts, backoffMs, multiplierTenths, jitter) ->
                ResiliencePolicies.builder("dep-" + attempts)
                    .maxAttempts(attempts)
                    .initialBackoff(Duration.ofMillis(backoffMs))
                    .maxBackoff(Duration.ofMillis(backoffMs * 10L))
                    .backoffMultiplier(multiplierTenths / 10.0)
                    .randomizationFactor(jitter / 100.0));
        return retry.zip(integers().between(1, 100), integers().between(1, 500), booleans().all(),
            (builder, rate, window, flags) -> builder
                .failureRateThreshold(rate)
                .slidingWindow(flags ? SlidingWindowType.TIME_BASED : SlidingWindowType.COUNT_BASED, window)
                .minimumCalls(Math.max(1, window / 2))
                .maxConcurrentCalls(window)
                .timeout(Duration.ofMillis(window * 7L))
                .rateLimiterEnabled(flags)
                .limitForPeriod(rate)
                .bulkheadEnabled(!flags)
                .build());
    }

    @Test
    void toBuilderBuildsAnEqualConfiguration() {
        AtomicInteger examples = new AtomicInteger();
        qt().withExamples(200).forAll(policies()).checkAssert(policies -> {
            ResiliencePolicies copy = policies.toBuilder().build();
            examples.incrementAndGet();

            assertThat(copy).isEqualTo(policies).hasSameHashCodeAs(policies);
            assertThat(copy.toString()).isEqualTo(policies.toString());
        });
        // QuickTheories skips values it has already tried, so a few examples may not run
        assertThat(examples.get()).isGreaterThanOrEqualTo(180);
    }

    @Test
    void backoffStaysWithinZeroAndTheMaximum() {
        AtomicInteger examples = new AtomicInteger();
        AtomicInteger waited = new AtomicInteger();
        qt().withExamples(200).forAll(policies(), integers().between(1, 30)).checkAssert((policies, attempt) -> {
            long wait = policies.toRetryConfig().<Object>getIntervalBiFunction()
                .apply(attempt, Either.left(new RuntimeException("failed")));
            examples.incrementAndGet();
            if (wait > 0) {
                waited.incrementAndGet();
            }

            assertThat(wait).isBetween(0L, policies.maxBackoff().toMillis());
        });
        assertThat(examples.get()).isGreaterThanOrEqualTo(180);
        assertThat(waited.get()).as("examples with a positive wait").isGreaterThan(100);
    }
}
