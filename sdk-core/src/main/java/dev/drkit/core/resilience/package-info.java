/**
 * Resilience for calls to a dependency: Resilience4j's retry, circuit breaker, bulkhead, time limiter and
 * rate limiter configured from one {@link dev.drkit.core.resilience.ResiliencePolicies} object, plus what
 * Resilience4j lacks: a {@link dev.drkit.core.resilience.RetryBudget} that caps retries at a fraction of
 * recent calls, and a monotonic {@link dev.drkit.core.resilience.Deadline} that propagates to nested calls.
 *
 * <pre>{@code
 * Resilience orders = ResiliencePolicies.builder("orders-db")
 *     .maxAttempts(3)
 *     .retryBudget(RetryBudget.ofDefaults())
 *     .meterRegistry(registry)
 *     .build()
 *     .create();
 *
 * Order order = orders.execute(() -> client.load(orderId));
 * }</pre>
 *
 * @since 0.1
 */
@NullMarked
package dev.drkit.core.resilience;

import org.jspecify.annotations.NullMarked;
