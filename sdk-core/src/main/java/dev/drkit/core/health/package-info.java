/**
 * Liveness and readiness: {@link dev.drkit.core.health.HealthCheck}s of the process itself and of the
 * dependencies it uses, each dependency with a {@link dev.drkit.core.health.Criticality}, aggregated by
 * {@link dev.drkit.core.health.HealthMonitor} into a {@link dev.drkit.core.health.HealthReport} with explicit
 * rules and a JSON form.
 *
 * <pre>{@code
 * HealthMonitor health = HealthMonitor.builder()
 *     .liveness("event-loop", () -> loop.isAlive() ? HealthResult.up() : HealthResult.down("event loop stopped"))
 *     .dependency("orders-db", Criticality.CRITICAL, HealthCheck.circuitBreaker(orders.circuitBreaker().get()))
 *     .dependency("recommendations", Criticality.OPTIONAL, HealthCheck.circuitBreaker(recs))
 *     .build();
 *
 * HealthReport ready = health.readiness();
 * respond(ready.passing() ? 200 : 503, ready.toJson());
 * }</pre>
 *
 * @since 0.1
 */
@NullMarked
package dev.drkit.core.health;

import org.jspecify.annotations.NullMarked;
