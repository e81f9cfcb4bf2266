package dev.drkit.core.resilience;

import dev.drkit.core.testing.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.DataIntegrityException;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.time.ManualTicker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ResilienceTest {

    private final ManualTicker ticker = new ManualTicker();
    private final TickingSleeper sleeper = new TickingSleeper(ticker);
    private final List<ScheduledExecutorService> schedulers = new ArrayList<>();
    private final List<Runnable> cleanups = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        schedulers.forEach(ScheduledExecutorService::shutdownNow);
        cleanups.forEach(Runnable::run);
    }

    /** Fixed 100 ms, 200 ms, 400 ms, ... backoff without jitter, on the manual ticker. */
    private ResiliencePolicies.Builder policies() {
        return ResiliencePolicies.builder("orders-db")
            .initialBackoff(Duration.ofMillis(100))
            .backoffMultiplier(2.0)
            .maxBackoff(Duration.ofSeconds(10))
            .randomizationFactor(0)
            .ticker(ticker)
            .sleeper(sleeper);
    }

    /** A call that fails {@code failures} times with {@code failure}, then returns "ok". */
    private static Supplier<String> failing(int failures, Supplier<RuntimeException> failure, AtomicInteger calls) {
        return () -> {
            if (calls.incrementAndGet() <= failures) {
                throw failure.get();
            }
            return "ok";
        };
    }

    private static RuntimeException unavailable() {
        return new UncheckedIOException(new IOException("connection refused"));
    }

    @Test
    void retriesWithExponentialBackoffUntilTheCallSucceeds() {
        Resilience orders = policies().maxAttempts(3).build().create();
        AtomicInteger calls = new AtomicInteger();

        String result = orders.execute(failing(2, ResilienceTest::unavailable, calls));

        assertThat(result).isEqualTo("ok");
        assertThat(calls).hasValue(3);
        assertThat(sleeper.sleeps()).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
        Retry.Metrics metrics = orders.retry().orElseThrow().getMetrics();
        assertThat(metrics.getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);
    }

    @Test
    void rethrowsTheLastFailureUnchangedWhenTheAttemptsRunOut() {
        Resilience orders = policies().maxAttempts(3).build().create();
        AtomicInteger calls = new AtomicInteger();
        RuntimeException last = new IllegalStateException("third");
        List<RuntimeException> failures = List.of(unavailable(), unavailable(), last);

        assertThatThrownBy(() -> orders.execute(() -> {
            throw failures.get(calls.getAndIncrement());
        })).isSameAs(last);

        assertThat(calls).hasValue(3);
        assertThat(orders.retry().orElseThrow().getMetrics().getNumberOfFailedCallsWithRetryAttempt()).isEqualTo(1);
    }

    @Test
    void doesNotRetryTheCallersMistakesOrBadData() {
        Resilience orders = policies().maxAttempts(5).build().create();
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> orders.execute(failing(9, () -> new IllegalArgumentException("bad id"), calls)))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> orders.execute(failing(9,
            () -> new DataIntegrityException("checksum mismatch", Map.of(), null), calls)))
            .isInstanceOf(DataIntegrityException.class);

        assertThat(calls).hasValue(2);
        assertThat(sleeper.sleeps()).isEmpty();
    }

    @Test
    void retriesEnvironmentFailures() {
        Resilience orders = policies().maxAttempts(2).build().create();
        AtomicInteger calls = new AtomicInteger();

        String result = orders.execute(failing(1, () -> new EnvironmentException("host unreachable", null), calls));

        assertThat(result).isEqualTo("ok");
        assertThat(calls).hasValue(2);
    }

    @Test
    void retryOnDecidesWhichFailuresAreRetried() {
        Resilience orders = policies().maxAttempts(5).retryOn(e -> e instanceof UncheckedIOException).build().create();
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> orders.execute(failing(9, IllegalStateException::new, calls)))
            .isInstanceOf(IllegalStateException.class);

        assertThat(calls).hasValue(1);
    }

    @Test
    void stopsWithATypedExceptionWhenTheRetryBudgetIsExhausted() {
        RetryBudget budget = RetryBudget.builder().ratio(0.2).minRetriesPerSecond(0).ticker(ticker).build();
        Resilience orders = policies().maxAttempts(5).retryBudget(budget).build().create();
        for (int i = 0; i < 10; i++) {
            orders.execute(() -> "ok");
        }
        AtomicInteger calls = new AtomicInteger();
        RuntimeException last = unavailable();

        // 11 calls deposit 2.2 retries: the failing call gets two, and its third failure is final.
        assertThatThrownBy(() -> orders.execute(() -> {
            calls.incrementAndGet();
            throw last;
        })).isInstanceOfSatisfying(RetryBudgetExhaustedException.class, e -> {
            assertThat(e.name()).isEqualTo("orders-db");
            assertThat(e.attempts()).isEqualTo(3);
            assertThat(e.callsInWindow()).isEqualTo(11);
            assertThat(e.retriesInWindow()).isEqualTo(2);
            assertThat(e.getCause()).isSameAs(last);
            assertThat(e.getMessage()).isEqualTo("Retry 'orders-db' refused after 3 attempts: retry budget exhausted "
                + "(2 retries for 11 calls in the window); last failure java.io.UncheckedIOException");
        });

        assertThat(calls).hasValue(3);
        assertThat(budget.snapshot().totalRejected()).isEqualTo(1);
    }

    @Test
    void resilience4jsOwnDecoratorsAlsoRespectTheBudget() {
        RetryBudget budget = RetryBudget.builder().ratio(0).minRetriesPerSecond(0).ticker(ticker).build();
        Resilience orders = policies().retryBudget(budget).build().create();
        Retry retry = orders.retry().orElseThrow();

        Supplier<String> decorated = Retry.decorateSupplier(retry, () -> {
            throw unavailable();
        });

        assertThatThrownBy(decorated::get).isInstanceOf(RetryBudgetExhaustedException.class);
    }

    @Test
    void retryStopsBeforeAnAttemptThatCouldNotStartBeforeTheDeadlineAndNeverSleepsPastIt() throws Exception {
        Resilience orders = policies().maxAttempts(10).build().create();
        AtomicInteger calls = new AtomicInteger();
        RuntimeException last = unavailable();
        Deadline deadline = Deadline.after(Duration.ofSeconds(1), ticker);

        // Each attempt takes 50 ms: they run at 0, 150, 400 and 850 ms; the next would start at 900 + 800 ms.
        assertThatThrownBy(() -> Deadline.runWithin(deadline, () -> orders.execute(() -> {
            calls.incrementAndGet();
            ticker.advance(Duration.ofMillis(50));
            throw last;
        }))).isInstanceOfSatisfying(DeadlineExceededException.class, e -> {
            assertThat(e.operation()).isEqualTo("orders-db");
            assertThat(e.exceededBy()).isEqualTo(Duration.ofMillis(700));
            assertThat(e.getCause()).isSameAs(last);
            assertThat(e.getMessage()).isEqualTo("Retry 'orders-db' stopped after 4 attempts: the next one, due in "
                + "800ms, would start 700ms after the deadline (100ms remaining); last failure "
                + "java.io.UncheckedIOException");
        });

        assertThat(calls).hasValue(4);
        assertThat(sleeper.sleeps()).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400));
        assertThat(deadline.isExpired()).isFalse();
    }

    @Test
    void theTimeLimitBoundsRetriesOfASynchronousCallLikeADeadline() {
        Resilience orders = policies().maxAttempts(10).timeout(Duration.ofSeconds(1)).build().create();
        AtomicInteger timeouts = new AtomicInteger();
        orders.timeLimiter().orElseThrow().getEventPublisher().onTimeout(e -> timeouts.incrementAndGet());
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> orders.execute(() -> {
            calls.incrementAndGet();
            ticker.advance(Duration.ofMillis(50));
            throw unavailable();
        })).isInstanceOf(DeadlineExceededException.class);

        assertThat(calls).hasValue(4);
        assertThat(timeouts).hasValue(1);
    }

    @Test
    void anExpiredDeadlineFailsFastWithoutCallingTheDependencyOrCountingAgainstIt() {
        Resilience orders = policies().build().create();
        AtomicInteger calls = new AtomicInteger();
        Deadline expired = Deadline.after(Duration.ZERO, ticker);

        assertThatThrownBy(() -> Deadline.supplyWithin(expired, () -> orders.execute(() -> calls.incrementAndGet())))
            .isInstanceOf(DeadlineExceededException.class)
            .hasMessage("Deadline of 'orders-db' exceeded by 0ms");

        assertThat(calls).hasValue(0);
        assertThat(orders.circuitBreaker().orElseThrow().getMetrics().getNumberOfFailedCalls()).isZero();
    }

    @Test
    void anOpenCircuitBreakerFailsFastAndIsNotRetried() {
        Resilience orders = policies().maxAttempts(5).build().create();
        orders.circuitBreaker().orElseThrow().transitionToOpenState();
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> orders.execute(() -> calls.incrementAndGet()))
            .isInstanceOf(CallNotPermittedException.class);

        assertThat(calls).hasValue(0);
        assertThat(sleeper.sleeps()).isEmpty();
    }

    @Test
    void theCircuitBreakerOpensOnFailuresButIgnoresTheCallersMistakes() {
        Resilience orders = policies().retryEnabled(false).slidingWindow(
            io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType.COUNT_BASED, 4)
            .minimumCalls(4).build().create();
        CircuitBreaker breaker = orders.circuitBreaker().orElseThrow();

        for (int i = 0; i < 10; i++) {
            assertThatThrownBy(() -> orders.execute(() -> {
                throw new IllegalArgumentException("bad id");
            })).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);

        for (int i = 0; i < 4; i++) {
            assertThatThrownBy(() -> orders.execute(() -> {
                throw unavailable();
            })).isInstanceOf(UncheckedIOException.class);
        }
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void aFullBulkheadRejectsWithResilience4jsException() {
        Resilience orders = policies().retryEnabled(false).maxConcurrentCalls(1).build().create();

        assertThatThrownBy(() -> orders.execute(() -> orders.execute(() -> "nested")))
            .isInstanceOf(BulkheadFullException.class);
    }

    @Test
    void theRateLimiterRejectsCallsBeyondTheLimit() {
        Resilience orders = policies().retryEnabled(false).rateLimiterEnabled(true).limitForPeriod(2)
            .limitRefreshPeriod(Duration.ofHours(1)).build().create();

        orders.execute(() -> "one");
        orders.execute(() -> "two");

        assertThatThrownBy(() -> orders.execute(() -> "three")).isInstanceOf(RequestNotPermitted.class);
    }

    @Test
    void disabledPoliciesHaveNoInstance() {
        Resilience plain = policies().retryEnabled(false).circuitBreakerEnabled(false).bulkheadEnabled(false)
            .timeLimiterEnabled(false).build().create();

        assertThat(plain.retry()).isEmpty();
        assertThat(plain.circuitBreaker()).isEmpty();
        assertThat(plain.bulkhead()).isEmpty();
        assertThat(plain.timeLimiter()).isEmpty();
        assertThat(plain.rateLimiter()).isEmpty();
        assertThat(plain.retryBudget()).isEmpty();
        assertThat(plain.execute(() -> "ok")).isEqualTo("ok");
    }

    @Test
    void theCallableVariantRetriesAndPassesCheckedExceptionsThroughUnchanged() {
        Resilience orders = policies().maxAttempts(2).build().create();
        AtomicInteger calls = new AtomicInteger();
        IOException last = new IOException("second");

        assertThatThrownBy(() -> orders.executeCallable(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IOException("first");
            }
            throw last;
        })).isSameAs(last);

        assertThat(calls).hasValue(2);
    }

    @Test
    void registersResilience4jAndRetryBudgetMetersWhenGivenARegistry() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RetryBudget budget = RetryBudget.builder().ratio(1.0).minRetriesPerSecond(0).ticker(ticker).build();
        Resilience orders = policies().retryBudget(budget).meterRegistry(registry).rateLimiterEnabled(true).build()
            .create();
        AtomicInteger calls = new AtomicInteger();

        orders.execute(failing(1, ResilienceTest::unavailable, calls));

        assertThat(registry.get("resilience4j.circuitbreaker.state").tag("name", "orders-db").gauges()).isNotEmpty();
        assertThat(registry.get("resilience4j.retry.calls").tag("name", "orders-db")
            .tag("kind", "successful_with_retry").functionCounter().count()).isEqualTo(1.0);
        assertThat(registry.get("resilience4j.bulkhead.available.concurrent.calls").tag("name", "orders-db").gauge()
            .value()).isEqualTo(25.0);
        assertThat(registry.get("resilience4j.timelimiter.calls").tag("name", "orders-db").tag("kind", "successful")
            .counter().count()).isEqualTo(1.0);
        assertThat(registry.get("resilience4j.ratelimiter.available.permissions").tag("name", "orders-db").gauge())
            .isNotNull();
        assertThat(registry.get("drkit.retry.budget.calls").tag("name", "orders-db").functionCounter().count())
            .isEqualTo(1.0);
        assertThat(registry.get("drkit.retry.budget.retries").tag("name", "orders-db").tag("outcome", "granted")
            .functionCounter().count()).isEqualTo(1.0);
        assertThat(registry.get("drkit.retry.budget.retries").tag("outcome", "rejected").functionCounter().count())
            .isZero();
        assertThat(registry.get("drkit.retry.budget.available").tag("name", "orders-db").gauge().value()).isZero();
    }

    @Test
    void logsTheCircuitBreakerOpeningAtWarnWithTheDependencyNameFirst() {
        LogCapture logs = captureLogs(Resilience.class);
        Resilience orders = policies().retryEnabled(false)
            .slidingWindow(io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType.COUNT_BASED, 4)
            .minimumCalls(4).build().create();
        CircuitBreaker breaker = orders.circuitBreaker().orElseThrow();

        orders.execute(() -> "ok");
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> orders.execute(() -> {
                throw unavailable();
            })).isInstanceOf(UncheckedIOException.class);
        }
        breaker.transitionToHalfOpenState();

        assertThat(logs.events()).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
            .extracting(ILoggingEvent::getLevel, ILoggingEvent::getFormattedMessage)
            .containsExactly(
                org.assertj.core.groups.Tuple.tuple(Level.WARN,
                    "Circuit breaker 'orders-db' changed from CLOSED to OPEN: failure rate 75.0%, slow-call rate 0.0% "
                        + "over 4 calls"),
                org.assertj.core.groups.Tuple.tuple(Level.INFO,
                    "Circuit breaker 'orders-db' changed from OPEN to HALF_OPEN"));
    }

    @Test
    void warnsWhenRetriesRunOutAtMostOncePerIntervalThenLogsAtDebug() {
        LogCapture logs = captureLogs(BudgetedRetry.class);
        Resilience orders = policies().maxAttempts(2).circuitBreakerEnabled(false).build().create();

        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> orders.execute(() -> {
                throw unavailable();
            })).isInstanceOf(UncheckedIOException.class);
        }

        assertThat(logs.events()).filteredOn(e -> e.getFormattedMessage().contains("gave up"))
            .extracting(ILoggingEvent::getLevel)
            .containsExactly(Level.WARN, Level.DEBUG, Level.DEBUG);
        assertThat(logs.events()).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
            .containsExactly("Retry 'orders-db' gave up after 2 attempts; last failure java.io.UncheckedIOException");
    }

    @Test
    void asynchronousCallsAreRetriedOnTheScheduler() throws Exception {
        Resilience orders = ResiliencePolicies.builder("orders-api").initialBackoff(Duration.ofMillis(1))
            .randomizationFactor(0).maxAttempts(3).build().create();
        ScheduledExecutorService scheduler = scheduler();
        AtomicInteger calls = new AtomicInteger();

        String result = orders.executeAsync(() -> calls.incrementAndGet() < 3
                ? CompletableFuture.failedFuture(new IOException("refused"))
                : CompletableFuture.completedFuture("ok"), scheduler)
            .toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertThat(result).isEqualTo("ok");
        assertThat(calls).hasValue(3);
    }

    @Test
    void asynchronousCallsFailWithTheTypedExceptionWhenTheBudgetIsExhausted() {
        RetryBudget budget = RetryBudget.builder().ratio(0).minRetriesPerSecond(0).build();
        Resilience orders = ResiliencePolicies.builder("orders-api").initialBackoff(Duration.ofMillis(1))
            .retryBudget(budget).build().create();
        IOException failure = new IOException("refused");

        CompletableFuture<String> result = orders.<String>executeAsync(
            () -> CompletableFuture.failedFuture(failure), scheduler()).toCompletableFuture();

        assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(RetryBudgetExhaustedException.class)
            .cause()
            .isSameAs(failure);
    }

    @Test
    void anAsynchronousCallThatThrowsInsteadOfReturningAStageFailsTheStageOnEveryAttempt() throws Exception {
        Resilience orders = ResiliencePolicies.builder("orders-api").initialBackoff(Duration.ofMillis(1))
            .randomizationFactor(0).maxAttempts(3).circuitBreakerEnabled(false).bulkheadEnabled(false).build()
            .create();
        AtomicInteger calls = new AtomicInteger();
        IllegalStateException closed = new IllegalStateException("client closed");

        // first attempt a failed stage, the retry throws on the scheduler's thread
        CompletableFuture<String> retried = orders.<String>executeAsync(() -> {
            if (calls.incrementAndGet() == 1) {
                return CompletableFuture.failedFuture(new IOException("refused"));
            }
            throw closed;
        }, scheduler()).toCompletableFuture();
        // the first attempt throws on the caller's thread
        CompletionStage<String> first = orders.executeAsync(() -> {
            throw closed;
        }, scheduler());

        assertThatThrownBy(() -> retried.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
            .cause().isSameAs(closed);
        assertThat(calls).as("a throw is a failed attempt, retried like any other").hasValue(3);
        assertThatThrownBy(() -> first.toCompletableFuture().get(10, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class).cause().isSameAs(closed);
    }

    @Test
    void asynchronousCallsAreTimedOutByTheTimeLimiter() {
        Resilience orders = ResiliencePolicies.builder("orders-api").retryEnabled(false)
            .timeout(Duration.ofMillis(20)).build().create();

        CompletableFuture<String> result = orders.<String>executeAsync(CompletableFuture::new, scheduler())
            .toCompletableFuture();

        assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(java.util.concurrent.TimeoutException.class);
    }

    @Test
    void anAsynchronousAttemptIsCutAtTheCallersDeadlineWhenItComesBeforeTheTimeLimit() {
        Resilience orders = ResiliencePolicies.builder("orders-api").initialBackoff(Duration.ofMillis(1))
            .timeout(Duration.ofMinutes(5)).build().create();
        CompletableFuture<String> neverAnswered = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger timeouts = new AtomicInteger();
        orders.timeLimiter().orElseThrow().getEventPublisher().onTimeout(event -> timeouts.incrementAndGet());

        CompletableFuture<String> result = Deadline.supplyWithin(Deadline.after(Duration.ofMillis(200)),
            () -> orders.<String>executeAsync(() -> {
                calls.incrementAndGet();
                return neverAnswered;
            }, scheduler())).toCompletableFuture();

        // Without the deadline the attempt would run for the whole five-minute time limit.
        assertThatThrownBy(() -> result.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
            .cause().isInstanceOf(DeadlineExceededException.class);
        assertThat(calls).as("no retry after the deadline").hasValue(1);
        assertThat(neverAnswered).as("the time limiter cancels the attempt it gave up on").isCancelled();
        assertThat(timeouts).as("the time limiter's events count the attempt as timed out").hasValue(1);
    }

    @Test
    void withoutATimeLimiterTheCallersDeadlineStillEndsAnAsynchronousCall() {
        Resilience orders = ResiliencePolicies.builder("orders-api").retryEnabled(false).timeLimiterEnabled(false)
            .build().create();
        CompletableFuture<String> neverAnswered = new CompletableFuture<>();

        CompletableFuture<String> result = Deadline.supplyWithin(Deadline.after(Duration.ofMillis(100)),
            () -> orders.<String>executeAsync(() -> neverAnswered, scheduler())).toCompletableFuture();

        assertThatThrownBy(() -> result.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
            .cause().isInstanceOf(DeadlineExceededException.class);
    }

    private ScheduledExecutorService scheduler() {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        schedulers.add(scheduler);
        return scheduler;
    }

    private LogCapture captureLogs(Class<?> type) {
        LogCapture capture = LogCapture.of(type);
        cleanups.add(capture::close);
        return capture;
    }
}
