package dev.drkit.core.resilience;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRateLimiterMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRetryMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedTimeLimiterMetrics;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs calls to one dependency through the policies of a {@link ResiliencePolicies}: it holds the
 * Resilience4j instances (each available through its accessor, empty when disabled), binds them to Micrometer
 * when a registry is configured, and logs what an operator needs. Instances are thread-safe; create one per
 * dependency and keep it (meters refer to it only weakly).
 *
 * <pre>{@code
 * Resilience orders = ResiliencePolicies.ofDefaults("orders-db").create();
 * Order order = orders.execute(() -> client.load(orderId));          // run now
 * Supplier<Order> loader = orders.decorate(() -> client.load(orderId)); // run later, as often as needed
 * }</pre>
 *
 * <h2>Order of nesting</h2>
 * A synchronous call ({@link #execute(Supplier)}, {@link #decorate(Supplier)}, {@link #executeCallable},
 * {@link #decorateCallable}) runs as
 *
 * <pre>
 * deadline(timeout,                  time limiter: Deadline.after(timeout), or the current deadline if sooner
 *   retry(budget, deadline,          stops when attempts, deadline or budget run out; waits with backoff
 *     checkDeadline(                 before each attempt: fails fast once the deadline has passed
 *       circuitBreaker(
 *         rateLimiter(
 *           bulkhead(
 *             call))))))
 * </pre>
 *
 * so every attempt, retries included, goes through the circuit breaker, the rate limiter and the bulkhead;
 * and the retry never starts an attempt the deadline would not let start, nor waits past the deadline. A
 * synchronous call is never interrupted: the time limit bounds when attempts may start and how long the retry
 * waits, and the call itself can bound its own I/O by {@link Deadline#current()} (for example with
 * {@link Deadline#timeoutFor(java.time.Duration)}). The time limiter instance counts these calls (success,
 * failure, timeout) in its metrics.
 *
 * <p>An asynchronous call ({@link #executeAsync}) runs as
 * {@code retry(budget, deadline, checkDeadline(circuitBreaker(rateLimiter(bulkhead(timeLimiter(call))))))}:
 * there each attempt really is timed out, after the time limit or, if sooner, at the deadline current when
 * {@code executeAsync} was called, if any (which also bounds the retries).
 *
 * <h2>Exceptions</h2>
 * <table>
 * <caption>What a call throws, and when</caption>
 * <tr><th>when</th><th>thrown</th></tr>
 * <tr><td>the call fails and is not retried, or the attempts run out</td><td>the call's last exception,
 *     unchanged (checked ones too, from the {@code Callable} variants)</td></tr>
 * <tr><td>the deadline or time limit has passed, or the next retry could not start before it</td>
 *     <td>{@link DeadlineExceededException} (drkit, kind {@code TIMEOUT}), with the last failure as cause
 *     when a retry stopped</td></tr>
 * <tr><td>the retry budget has no retry left</td><td>{@link RetryBudgetExhaustedException} (drkit, kind
 *     {@code TIMEOUT}), with the last failure as cause</td></tr>
 * <tr><td>the circuit breaker is open</td><td>Resilience4j's {@link CallNotPermittedException}, not
 *     retried</td></tr>
 * <tr><td>the bulkhead is full</td><td>Resilience4j's {@link BulkheadFullException}, retried</td></tr>
 * <tr><td>the rate limiter refuses</td><td>Resilience4j's {@link RequestNotPermitted}, retried</td></tr>
 * <tr><td>an asynchronous attempt exceeds the time limit</td><td>{@link TimeoutException} from
 *     Resilience4j's time limiter, retried; at the deadline, {@link DeadlineExceededException}</td></tr>
 * </table>
 * Asynchronous calls complete their stage exceptionally with the same exceptions.
 *
 * <h2>Logs</h2>
 * Every line starts with the policy and the dependency's name ({@code Circuit breaker 'orders-db' ...}).
 * Circuit breaker changes: WARN when it opens, INFO otherwise. Retries: DEBUG for each retry; WARN when a call
 * gives up after all its attempts or the retry budget refuses, at most once per 30 seconds each, DEBUG for the
 * rest. Bulkhead and rate limiter rejections: the same, WARN at most once per 30 seconds, DEBUG otherwise.
 * Only exception class names are logged, never messages, which may hold data.
 *
 * <h2>Metrics</h2>
 * With a registry, Resilience4j's tagged meters ({@code resilience4j.circuitbreaker.*},
 * {@code resilience4j.retry.*}, {@code resilience4j.bulkhead.*}, {@code resilience4j.timelimiter.*},
 * {@code resilience4j.ratelimiter.*}, tag {@code name}) and, with a retry budget,
 * {@code drkit.retry.budget.calls}, {@code drkit.retry.budget.retries} (tag {@code outcome=granted|rejected})
 * and the gauge {@code drkit.retry.budget.available}, all tagged {@code name}.
 *
 * @since 0.1
 */
public final class Resilience {

    private static final Logger log = LoggerFactory.getLogger(Resilience.class);

    private final ResiliencePolicies policies;
    private final String name;
    private final @Nullable Retry retry;
    private final @Nullable CircuitBreaker circuitBreaker;
    private final @Nullable Bulkhead bulkhead;
    private final @Nullable TimeLimiter timeLimiter;
    private final @Nullable RateLimiter rateLimiter;

    private Resilience(ResiliencePolicies policies) {
        this.policies = policies;
        this.name = policies.name();
        MeterRegistry meters = policies.meterRegistry().orElse(null);

        if (policies.retryEnabled()) {
            BudgetedRetry budgeted = new BudgetedRetry(name, policies.toRetryConfig(),
                policies.retryBudget().orElse(null), policies);
            if (meters != null) {
                // Resilience4j's binder reads a registry; put this retry in one in place of the stock kind.
                RetryRegistry registry = RetryRegistry.of(policies.toRetryConfig());
                registry.retry(name);
                registry.replace(name, budgeted);
                TaggedRetryMetrics.ofRetryRegistry(registry).bindTo(meters);
            }
            this.retry = budgeted;
        } else {
            this.retry = null;
        }

        if (policies.circuitBreakerEnabled()) {
            CircuitBreakerRegistry registry = CircuitBreakerRegistry.of(policies.toCircuitBreakerConfig());
            this.circuitBreaker = registry.circuitBreaker(name);
            if (meters != null) {
                TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(registry).bindTo(meters);
            }
        } else {
            this.circuitBreaker = null;
        }

        if (policies.bulkheadEnabled()) {
            BulkheadRegistry registry = BulkheadRegistry.of(policies.toBulkheadConfig());
            this.bulkhead = registry.bulkhead(name);
            if (meters != null) {
                TaggedBulkheadMetrics.ofBulkheadRegistry(registry).bindTo(meters);
            }
        } else {
            this.bulkhead = null;
        }

        if (policies.timeLimiterEnabled()) {
            TimeLimiterRegistry registry = TimeLimiterRegistry.of(policies.toTimeLimiterConfig());
            this.timeLimiter = registry.timeLimiter(name);
            if (meters != null) {
                TaggedTimeLimiterMetrics.ofTimeLimiterRegistry(registry).bindTo(meters);
            }
        } else {
            this.timeLimiter = null;
        }

        if (policies.rateLimiterEnabled()) {
            RateLimiterRegistry registry = RateLimiterRegistry.of(policies.toRateLimiterConfig());
            this.rateLimiter = registry.rateLimiter(name);
            if (meters != null) {
                TaggedRateLimiterMetrics.ofRateLimiterRegistry(registry).bindTo(meters);
            }
        } else {
            this.rateLimiter = null;
        }

        if (meters != null && retry != null) {
            policies.retryBudget().ifPresent(budget -> bindBudget(budget, meters));
        }
        attachLogging();
    }

    /**
     * Creates the Resilience4j instances that {@code policies} describe.
     *
     * @since 0.1
     */
    public static Resilience of(ResiliencePolicies policies) {
        return new Resilience(Objects.requireNonNull(policies, "policies"));
    }

    private void bindBudget(RetryBudget budget, MeterRegistry meters) {
        FunctionCounter.builder("drkit.retry.budget.calls", budget, b -> b.snapshot().totalCalls())
            .description("Calls recorded by the retry budget")
            .tag("name", name)
            .register(meters);
        FunctionCounter.builder("drkit.retry.budget.retries", budget, b -> b.snapshot().totalRetries())
            .description("Retries asked of the retry budget, by whether it granted them")
            .tag("name", name)
            .tag("outcome", "granted")
            .register(meters);
        FunctionCounter.builder("drkit.retry.budget.retries", budget, b -> b.snapshot().totalRejected())
            .description("Retries asked of the retry budget, by whether it granted them")
            .tag("name", name)
            .tag("outcome", "rejected")
            .register(meters);
        Gauge.builder("drkit.retry.budget.available", budget, b -> b.snapshot().availableRetries())
            .description("Retries the retry budget would grant now")
            .tag("name", name)
            .register(meters);
    }

    private void attachLogging() {
        CircuitBreaker breaker = circuitBreaker;
        if (breaker != null) {
            breaker.getEventPublisher().onStateTransition(event -> {
                CircuitBreaker.State from = event.getStateTransition().getFromState();
                CircuitBreaker.State to = event.getStateTransition().getToState();
                if (to == CircuitBreaker.State.OPEN || to == CircuitBreaker.State.FORCED_OPEN) {
                    CircuitBreaker.Metrics metrics = breaker.getMetrics();
                    if (metrics.getFailureRate() >= 0) {
                        log.warn("Circuit breaker '{}' changed from {} to {}: failure rate {}%, slow-call rate {}% "
                                + "over {} calls", name, from, to, metrics.getFailureRate(), metrics.getSlowCallRate(),
                            metrics.getNumberOfBufferedCalls());
                    } else {
                        // Opened by hand, before enough calls were recorded to compute rates.
                        log.warn("Circuit breaker '{}' changed from {} to {}", name, from, to);
                    }
                } else {
                    log.info("Circuit breaker '{}' changed from {} to {}", name, from, to);
                }
            });
            breaker.getEventPublisher().onCallNotPermitted(event ->
                log.debug("Circuit breaker '{}' refused a call: it is {}", name, breaker.getState()));
        }
        if (bulkhead != null) {
            WarnLimiter warnings = new WarnLimiter(policies.ticker());
            int max = policies.maxConcurrentCalls();
            bulkhead.getEventPublisher().onCallRejected(event -> {
                if (warnings.tryWarn()) {
                    log.warn("Bulkhead '{}' rejected a call: all {} permits in use", name, max);
                } else {
                    log.debug("Bulkhead '{}' rejected a call: all {} permits in use", name, max);
                }
            });
        }
        if (rateLimiter != null) {
            WarnLimiter warnings = new WarnLimiter(policies.ticker());
            int limit = policies.limitForPeriod();
            String period = policies.limitRefreshPeriod().toString();
            rateLimiter.getEventPublisher().onFailure(event -> {
                if (warnings.tryWarn()) {
                    log.warn("Rate limiter '{}' rejected a call: more than {} calls per {}", name, limit, period);
                } else {
                    log.debug("Rate limiter '{}' rejected a call: more than {} calls per {}", name, limit, period);
                }
            });
        }
    }

    /**
     * Runs {@code call} now through the policies, in the order described above.
     *
     * @return what {@code call} returned
     * @throws RuntimeException what the table in the class description says
     * @since 0.1
     */
    public <T> T execute(Supplier<T> call) {
        return decorate(call).get();
    }

    /**
     * Wraps {@code call} in the policies, in the order described above, to run later, as often as needed.
     * Each run of the result is one call: it records one call on the retry budget and gets its own deadline.
     *
     * @since 0.1
     */
    public <T> Supplier<T> decorate(Supplier<T> call) {
        Objects.requireNonNull(call, "call");
        Supplier<T> decorated = call;
        if (bulkhead != null) {
            decorated = Bulkhead.decorateSupplier(bulkhead, decorated);
        }
        if (rateLimiter != null) {
            decorated = RateLimiter.decorateSupplier(rateLimiter, decorated);
        }
        if (circuitBreaker != null) {
            decorated = CircuitBreaker.decorateSupplier(circuitBreaker, decorated);
        }
        Supplier<T> attempt = decorated;
        decorated = () -> {
            checkDeadline();
            return attempt.get();
        };
        if (retry != null) {
            decorated = Retry.decorateSupplier(retry, decorated);
        }
        TimeLimiter limiter = timeLimiter;
        if (limiter != null) {
            Supplier<T> limited = decorated;
            decorated = () -> {
                Deadline deadline = Deadline.after(policies.timeout(), policies.ticker());
                T result;
                try {
                    result = Deadline.supplyWithin(deadline, limited);
                } catch (RuntimeException | Error e) {
                    limiter.onError(asTimeout(e));
                    throw e;
                }
                limiter.onSuccess();
                return result;
            };
        }
        return decorated;
    }

    /**
     * Runs {@code call} now through the policies, in the order described above.
     *
     * @return what {@code call} returned
     * @throws Exception what {@code call} threw last, unchanged, or what the table in the class description says
     * @since 0.1
     */
    public <T> T executeCallable(Callable<T> call) throws Exception {
        return decorateCallable(call).call();
    }

    /**
     * Wraps {@code call} in the policies, in the order described above, to run later, as often as needed.
     *
     * @since 0.1
     */
    public <T> Callable<T> decorateCallable(Callable<T> call) {
        Objects.requireNonNull(call, "call");
        Callable<T> decorated = call;
        if (bulkhead != null) {
            decorated = Bulkhead.decorateCallable(bulkhead, decorated);
        }
        if (rateLimiter != null) {
            decorated = RateLimiter.decorateCallable(rateLimiter, decorated);
        }
        if (circuitBreaker != null) {
            decorated = CircuitBreaker.decorateCallable(circuitBreaker, decorated);
        }
        Callable<T> attempt = decorated;
        decorated = () -> {
            checkDeadline();
            return attempt.call();
        };
        if (retry != null) {
            decorated = Retry.decorateCallable(retry, decorated);
        }
        TimeLimiter limiter = timeLimiter;
        if (limiter != null) {
            Callable<T> limited = decorated;
            decorated = () -> {
                Deadline deadline = Deadline.after(policies.timeout(), policies.ticker());
                T result;
                try {
                    result = Deadline.runWithin(deadline, limited);
                } catch (Exception | Error e) {
                    limiter.onError(asTimeout(e));
                    throw e;
                }
                limiter.onSuccess();
                return result;
            };
        }
        return decorated;
    }

    /**
     * Runs an asynchronous call through the policies:
     * {@code retry(checkDeadline(circuitBreaker(rateLimiter(bulkhead(timeLimiter(call))))))}. The time limiter
     * times out each attempt; retries are scheduled on {@code scheduler}, which also runs the time limiter's
     * timeouts. The deadline current on the calling thread, if any, bounds the retries.
     *
     * @return a stage completed with the call's result or, exceptionally, with what the table in the class
     *         description says
     * @since 0.1
     */
    public <T> CompletionStage<T> executeAsync(Supplier<? extends CompletionStage<T>> call,
                                               ScheduledExecutorService scheduler) {
        Objects.requireNonNull(call, "call");
        Objects.requireNonNull(scheduler, "scheduler");
        // Attempts after the first run on the scheduler's threads: carry the caller's deadline explicitly.
        Deadline deadline = Deadline.current().orElse(null);
        Supplier<CompletionStage<T>> decorated = () -> stageOf(call);
        if (timeLimiter != null || deadline != null) {
            Supplier<CompletionStage<T>> unlimited = decorated;
            decorated = () -> limited(unlimited, scheduler, deadline);
        }
        if (bulkhead != null) {
            decorated = Bulkhead.decorateCompletionStage(bulkhead, decorated);
        }
        if (rateLimiter != null) {
            decorated = RateLimiter.decorateCompletionStage(rateLimiter, decorated);
        }
        if (circuitBreaker != null) {
            decorated = CircuitBreaker.decorateCompletionStage(circuitBreaker, decorated);
        }
        Supplier<CompletionStage<T>> attempt = decorated;
        decorated = () -> {
            if (deadline != null && deadline.isExpired()) {
                return CompletableFuture.failedFuture(
                    new DeadlineExceededException(name, deadline.remaining().negated()));
            }
            return attempt.get();
        };
        if (retry != null) {
            decorated = Retry.decorateCompletionStage(retry, scheduler, decorated);
        }
        return decorated.get();
    }

    /**
     * One attempt, failed when the time limit has passed or, if sooner, the caller's deadline: Resilience4j's time
     * limiter gave every attempt the whole time limit, so an attempt started just before the deadline completed its
     * stage up to a whole time limit after it. Past the time limit it fails with the time limiter's
     * {@link TimeoutException} (retried); past the deadline with a {@link DeadlineExceededException}. The time
     * limiter's events and metrics count each attempt as its own decorator did.
     */
    private <T> CompletionStage<T> limited(Supplier<CompletionStage<T>> call, ScheduledExecutorService scheduler,
                                           @Nullable Deadline deadline) {
        TimeLimiter limiter = timeLimiter;
        long limitNanos = limiter != null ? policies.timeout().toNanos() : Long.MAX_VALUE;
        boolean deadlineFirst = deadline != null && deadline.remainingNanos() < limitNanos;
        if (deadlineFirst) {
            limitNanos = Math.max(0, deadline.remainingNanos());
        }
        CompletionStage<T> stage = call.get();
        if (limitNanos == Long.MAX_VALUE) {
            return stage;
        }
        CompletableFuture<T> promise = new CompletableFuture<>();
        AtomicBoolean givenUp = new AtomicBoolean();
        ScheduledFuture<?> timer = scheduler.schedule(() -> {
            if (promise.isDone()) {
                return;
            }
            givenUp.set(true);
            // Cancelled before the caller hears of the timeout, so that the caller never sees the attempt running.
            if (stage instanceof Future<?> running
                && (limiter == null || limiter.getTimeLimiterConfig().shouldCancelRunningFuture())) {
                running.cancel(true);
            }
            Throwable late = deadlineFirst ? new DeadlineExceededException(name, deadline.remaining().negated())
                : TimeLimiter.createdTimeoutExceptionWithName(name, null);
            if (promise.completeExceptionally(late) && limiter != null) {
                limiter.onError(asTimeout(late));
            }
        }, limitNanos, TimeUnit.NANOSECONDS);
        stage.whenComplete((result, failure) -> {
            timer.cancel(false);
            if (givenUp.get()) {
                return;
            }
            boolean completed = failure == null ? promise.complete(result) : promise.completeExceptionally(failure);
            if (completed && limiter != null) {
                if (failure == null) {
                    limiter.onSuccess();
                } else {
                    limiter.onError(failure);
                }
            }
        });
        return promise;
    }

    /**
     * The stage {@code call} returns, or one failed with what it threw (or with a NullPointerException for no stage):
     * a throw escaped the caller on the first attempt, and on a retry, run on the scheduler, it was lost there and
     * left the returned stage never completed. Only the circuit breaker's and the bulkhead's decorators, when on,
     * caught it.
     */
    private static <T> CompletionStage<T> stageOf(Supplier<? extends CompletionStage<T>> call) {
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (Throwable e) {
            return CompletableFuture.failedFuture(e);
        }
        return stage != null ? stage
            : CompletableFuture.failedFuture(new NullPointerException("the asynchronous call returned no stage"));
    }

    private void checkDeadline() {
        Optional<Deadline> deadline = Deadline.current();
        if (deadline.isPresent()) {
            deadline.get().checkNotExpired(name);
        }
    }

    private Throwable asTimeout(Throwable failure) {
        if (failure instanceof DeadlineExceededException) {
            return TimeLimiter.createdTimeoutExceptionWithName(name, failure);
        }
        return failure;
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
     * The configuration this was created from.
     *
     * @since 0.1
     */
    public ResiliencePolicies policies() {
        return policies;
    }

    /**
     * The retry: a Resilience4j {@link Retry} that also respects the retry budget and the current deadline,
     * so it keeps doing so when used with Resilience4j's own decorators. Empty when retry is disabled.
     *
     * @since 0.1
     */
    public Optional<Retry> retry() {
        return Optional.ofNullable(retry);
    }

    /**
     * The circuit breaker; empty when disabled.
     *
     * @since 0.1
     */
    public Optional<CircuitBreaker> circuitBreaker() {
        return Optional.ofNullable(circuitBreaker);
    }

    /**
     * The bulkhead; empty when disabled.
     *
     * @since 0.1
     */
    public Optional<Bulkhead> bulkhead() {
        return Optional.ofNullable(bulkhead);
    }

    /**
     * The time limiter; empty when disabled.
     *
     * @since 0.1
     */
    public Optional<TimeLimiter> timeLimiter() {
        return Optional.ofNullable(timeLimiter);
    }

    /**
     * The rate limiter; empty when disabled.
     *
     * @since 0.1
     */
    public Optional<RateLimiter> rateLimiter() {
        return Optional.ofNullable(rateLimiter);
    }

    /**
     * The retry budget; empty when none is configured.
     *
     * @since 0.1
     */
    public Optional<RetryBudget> retryBudget() {
        return policies.retryBudget();
    }

    @Override
    public String toString() {
        return "Resilience[" + policies + "]";
    }
}
