/**
 * Service level objectives over Micrometer: an {@link dev.drkit.core.slo.ServiceLevelObjective} (availability,
 * or latency under a threshold, with a target over a window), an {@link dev.drkit.core.slo.SloTracker} that
 * counts good and bad events in bounded time buckets, reports the error budget left and burn rates, and
 * evaluates the Google SRE workbook's multi-window, multi-burn-rate {@link dev.drkit.core.slo.BurnRateAlert}s.
 *
 * <pre>{@code
 * SloTracker checkout = SloTracker.of(ServiceLevelObjective.availability("checkout", 0.999)
 *     .meterRegistry(registry)
 *     .build());
 * checkout.record(response.isSuccess());
 * if (!checkout.firingAlerts().isEmpty()) { ... }
 * }</pre>
 *
 * @since 0.1
 */
@NullMarked
package dev.drkit.core.slo;

import org.jspecify.annotations.NullMarked;
