/**
 * What every drkit module shares: the exception root, secrets, resilience policies, drills, health and SLOs.
 *
 * <p>Subpackages: {@code secret} (the redacting {@code Secret} type, secure credential files),
 * {@code resilience} (Resilience4j policies, retry budget, deadlines), {@code drill} (recovery timelines,
 * RTO/RPO measurement, drill reports), {@code health} (liveness and readiness), {@code slo} (objectives and
 * burn-rate alerts), {@code time} (monotonic tickers). {@code internal} has no compatibility guarantees.
 */
@NullMarked
package dev.drkit.core;

import org.jspecify.annotations.NullMarked;
