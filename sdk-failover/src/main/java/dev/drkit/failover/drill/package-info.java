/**
 * The failover drill: a primary and a replica on this machine, a steady numbered write load through a
 * {@code DataSource}, a broken primary (crash, freeze, zombie), a promotion, and a
 * {@link dev.drkit.core.drill.DrillReport} of what the application saw. Needs {@code drkit-postgres} on the
 * class path (an optional dependency of this module).
 */
@NullMarked
package dev.drkit.failover.drill;

import org.jspecify.annotations.NullMarked;
