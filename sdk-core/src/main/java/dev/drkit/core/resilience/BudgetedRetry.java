package dev.drkit.core.resilience;

import dev.drkit.core.time.Sleeper;
import io.github.resilience4j.core.EventConsumer;
import io.github.resilience4j.core.EventProcessor;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.functions.Either;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.event.RetryEvent;
import io.github.resilience4j.retry.event.RetryOnErrorEvent;
import io.github.resilience4j.retry.event.RetryOnIgnoredErrorEvent;
import io.github.resilience4j.retry.event.RetryOnRetryEvent;
import io.github.resilience4j.retry.event.RetryOnSuccessEvent;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Resilience4j {@link Retry} that also respects a {@link RetryBudget} and the current {@link Deadline}, and
 * waits through an injectable {@link Sleeper}. Resilience4j's own implementation sleeps with
 * {@code Thread.sleep} and has no hook for either check, so this one implements the interface; being a real
 * {@code Retry}, it works with Resilience4j's decorators, events and Micrometer binding.
 *
 * <p>After a failed attempt, in this order: a failure the predicate rejects is rethrown unchanged; when the
 * attempts are used up the last failure is rethrown unchanged; when the next attempt could not start before
 * the deadline a {@link DeadlineExceededException} is thrown; when the budget has no retry left a
 * {@link RetryBudgetExhaustedException} is thrown (both with the failure as cause); otherwise it waits and the
 * caller tries again. Each new call records one call on the budget.
 */
final class BudgetedRetry implements Retry {

    private static final Logger log = LoggerFactory.getLogger(BudgetedRetry.class);

    private final String name;
    private final RetryConfig config;
    private final int maxAttempts;
    private final Predicate<Throwable> retryOn;
    private final IntervalBiFunction<Object> interval;
    private final @Nullable RetryBudget budget;
    private final Sleeper sleeper;
    private final WarnLimiter givingUpWarnings;
    private final WarnLimiter budgetWarnings;
    private final Events events = new Events();
    private final RetryMetrics metrics = new RetryMetrics();

    private final LongAdder succeededWithoutRetry = new LongAdder();
    private final LongAdder succeededWithRetry = new LongAdder();
    private final LongAdder failedWithoutRetry = new LongAdder();
    private final LongAdder failedWithRetry = new LongAdder();
    private final LongAdder totalAttempts = new LongAdder();

    BudgetedRetry(String name, RetryConfig config, @Nullable RetryBudget budget, ResiliencePolicies policies) {
        this.name = name;
        this.config = config;
        this.maxAttempts = config.getMaxAttempts();
        this.retryOn = config.getExceptionPredicate();
        this.interval = config.getIntervalBiFunction();
        this.budget = budget;
        this.sleeper = policies.sleeper();
        this.givingUpWarnings = new WarnLimiter(policies.ticker());
        this.budgetWarnings = new WarnLimiter(policies.ticker());
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public <T> Context<T> context() {
        if (budget != null) {
            budget.recordCall();
        }
        return new SyncContext<>(Deadline.current().orElse(null));
    }

    @Override
    public <T> AsyncContext<T> asyncContext() {
        if (budget != null) {
            budget.recordCall();
        }
        return new AsyncContextImpl<>(Deadline.current().orElse(null));
    }

    @Override
    public RetryConfig getRetryConfig() {
        return config;
    }

    @Override
    public Map<String, String> getTags() {
        return Map.of();
    }

    @Override
    public EventPublisher getEventPublisher() {
        return events;
    }

    @Override
    public Metrics getMetrics() {
        return metrics;
    }

    /** What happens after a failed attempt: wait this long and try again, or end the call with this failure. */
    private static final class Decision {
        final long waitMillis;
        final @Nullable Throwable failure;

        private Decision(long waitMillis, @Nullable Throwable failure) {
            this.waitMillis = waitMillis;
            this.failure = failure;
        }

        static Decision retryAfter(long millis) {
            return new Decision(millis, null);
        }

        static Decision fail(Throwable failure) {
            return new Decision(-1, failure);
        }
    }

    /** The state of one call; used by one thread at a time (the attempts of a call happen one after another). */
    private abstract class CallState {
        private final @Nullable Deadline deadline;
        private int failedAttempts;
        private @Nullable Throwable lastFailure;

        CallState(@Nullable Deadline deadline) {
            this.deadline = deadline;
        }

        final void succeeded() {
            totalAttempts.increment();
            if (failedAttempts == 0) {
                succeededWithoutRetry.increment();
            } else {
                succeededWithRetry.increment();
                int attempts = failedAttempts;
                Throwable last = lastFailure;
                events.publish(new RetryOnSuccessEvent(name, attempts, last));
                log.debug("Retry '{}' succeeded at attempt {} of {}", name, attempts + 1, maxAttempts);
            }
        }

        final Decision failed(Throwable failure) {
            totalAttempts.increment();
            if (!retryOn.test(failure)) {
                failedWithoutRetry.increment();
                events.publish(new RetryOnIgnoredErrorEvent(name, failure));
                return Decision.fail(failure);
            }
            int attempts = ++failedAttempts;
            lastFailure = failure;
            if (attempts >= maxAttempts) {
                giveUp(attempts, failure);
                if (givingUpWarnings.tryWarn()) {
                    log.warn("Retry '{}' gave up after {} attempts; last failure {}", name, attempts, failure.getClass().getName());
                } else {
                    log.debug("Retry '{}' gave up after {} attempts; last failure {}", name, attempts, failure.getClass().getName());
                }
                return Decision.fail(failure);
            }
            long waitMillis = Math.max(0, interval.apply(attempts, Either.left(failure)));
            if (deadline != null) {
                long remaining = deadline.remainingNanos();
                long wait = TimeUnit.MILLISECONDS.toNanos(waitMillis);
                if (wait >= remaining) {
                    // The next attempt could only start at or after the deadline: stop now rather than sleep.
                    giveUp(attempts, failure);
                    Duration over = Duration.ofNanos(wait - remaining);
                    log.debug("Retry '{}' stopped after {} attempts: the next one, due in {} ms, would start {} after "
                        + "the deadline", name, attempts, waitMillis, DeadlineExceededException.millis(over));
                    return Decision.fail(new DeadlineExceededException("Retry '" + name + "' stopped after " + attempts
                        + (attempts == 1 ? " attempt" : " attempts") + ": the next one, due in " + waitMillis
                        + "ms, would start " + DeadlineExceededException.millis(over) + " after the deadline ("
                        + DeadlineExceededException.millis(Duration.ofNanos(Math.max(0, remaining)))
                        + " remaining); last failure " + failure.getClass().getName(), name, over, failure));
                }
            }
            if (budget != null && !budget.tryAcquireRetry()) {
                giveUp(attempts, failure);
                RetryBudget.Snapshot snapshot = budget.snapshot();
                if (budgetWarnings.tryWarn()) {
                    log.warn("Retry '{}' refused a retry: retry budget exhausted ({})", name, snapshot);
                } else {
                    log.debug("Retry '{}' refused a retry: retry budget exhausted ({})", name, snapshot);
                }
                return Decision.fail(new RetryBudgetExhaustedException(name, attempts, snapshot, failure));
            }
            events.publish(new RetryOnRetryEvent(name, attempts, failure, waitMillis));
            log.debug("Retry '{}' attempt {} of {} failed with {}; retrying in {} ms", name, attempts, maxAttempts,
                failure.getClass().getName(), waitMillis);
            return Decision.retryAfter(waitMillis);
        }

        private void giveUp(int attempts, Throwable failure) {
            (attempts > 1 ? failedWithRetry : failedWithoutRetry).increment();
            events.publish(new RetryOnErrorEvent(name, attempts, failure));
        }
    }

    private final class SyncContext<T> extends CallState implements Context<T> {

        SyncContext(@Nullable Deadline deadline) {
            super(deadline);
        }

        @Override
        public void onComplete() {
            succeeded();
        }

        /** Results are never retried: only failures are. */
        @Override
        public boolean onResult(T result) {
            return false;
        }

        @Override
        public void onError(Exception exception) throws Exception {
            Decision decision = failed(exception);
            if (decision.failure != null) {
                throw decision.failure instanceof Exception ? (Exception) decision.failure : exception;
            }
            if (!sleep(decision.waitMillis)) {
                throw exception;
            }
        }

        @Override
        public void onRuntimeError(RuntimeException exception) {
            Decision decision = failed(exception);
            if (decision.failure != null) {
                throw decision.failure instanceof RuntimeException ? (RuntimeException) decision.failure : exception;
            }
            if (!sleep(decision.waitMillis)) {
                throw exception;
            }
        }

        /** Waits; on interrupt, keeps the interrupt for the caller and says to stop retrying. */
        private boolean sleep(long millis) {
            try {
                sleeper.sleep(Duration.ofMillis(millis));
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private final class AsyncContextImpl<T> extends CallState implements AsyncContext<T> {

        AsyncContextImpl(@Nullable Deadline deadline) {
            super(deadline);
        }

        @Override
        public void onComplete() {
            succeeded();
        }

        @Override
        public long onError(Throwable throwable) {
            Throwable failure = unwrap(throwable);
            Decision decision = failed(failure);
            if (decision.failure == null) {
                // Resilience4j reads a wait below 1 ms as "do not retry": the retry was granted, so wait 1 ms.
                return Math.max(1, decision.waitMillis);
            }
            if (decision.failure == failure) {
                // Resilience4j completes the call with the failure it passed in when told not to retry.
                return -1;
            }
            // Resilience4j completes the call with whatever this method throws.
            throw (RuntimeException) decision.failure;
        }

        @Override
        public long onResult(T result) {
            return -1;
        }

        private Throwable unwrap(Throwable throwable) {
            if ((throwable instanceof CompletionException || throwable instanceof ExecutionException)
                && throwable.getCause() != null) {
                return throwable.getCause();
            }
            return throwable;
        }
    }

    private static final class Events extends EventProcessor<RetryEvent> implements EventPublisher {

        void publish(RetryEvent event) {
            if (hasConsumers()) {
                processEvent(event);
            }
        }

        @Override
        public EventPublisher onRetry(EventConsumer<RetryOnRetryEvent> consumer) {
            registerConsumer(RetryOnRetryEvent.class.getName(), consumer);
            return this;
        }

        @Override
        public EventPublisher onSuccess(EventConsumer<RetryOnSuccessEvent> consumer) {
            registerConsumer(RetryOnSuccessEvent.class.getName(), consumer);
            return this;
        }

        @Override
        public EventPublisher onError(EventConsumer<RetryOnErrorEvent> consumer) {
            registerConsumer(RetryOnErrorEvent.class.getName(), consumer);
            return this;
        }

        @Override
        public EventPublisher onIgnoredError(EventConsumer<RetryOnIgnoredErrorEvent> consumer) {
            registerConsumer(RetryOnIgnoredErrorEvent.class.getName(), consumer);
            return this;
        }
    }

    private final class RetryMetrics implements Metrics {

        @Override
        public long getNumberOfSuccessfulCallsWithoutRetryAttempt() {
            return succeededWithoutRetry.sum();
        }

        @Override
        public long getNumberOfFailedCallsWithoutRetryAttempt() {
            return failedWithoutRetry.sum();
        }

        @Override
        public long getNumberOfSuccessfulCallsWithRetryAttempt() {
            return succeededWithRetry.sum();
        }

        @Override
        public long getNumberOfFailedCallsWithRetryAttempt() {
            return failedWithRetry.sum();
        }

        @Override
        public long getNumberOfTotalCalls() {
            return totalAttempts.sum();
        }
    }
}
