/**
 * Disaster-recovery drills measured honestly: a {@link dev.drkit.core.drill.RecoveryTimeline} of what
 * happened when, a {@link dev.drkit.core.drill.RecoveryVerifier} that measures the recovery time (RTO) with
 * user-level probes, a {@link dev.drkit.core.drill.CanaryWriter} that measures data loss (RPO, lost records)
 * with numbered writes, and a {@link dev.drkit.core.drill.DrillReport} with a verdict against targets,
 * kept in a {@link dev.drkit.core.drill.DrillHistory}.
 *
 * <p>Every measurement states its uncertainty: a recovery seen by a probe every 250 ms is known to 250 ms,
 * not better. Time is measured on a monotonic {@link dev.drkit.core.time.Ticker}; wall-clock instants from a
 * {@link java.time.Clock} are kept only for reports.
 */
@NullMarked
package dev.drkit.core.drill;

import org.jspecify.annotations.NullMarked;
