/**
 * A failover-aware PostgreSQL {@code DataSource} on HikariCP: finds the primary, notices when it dies,
 * follows the promoted replica, routes read-only work to replicas, and never writes to a demoted primary.
 *
 * <p>Not yet implemented: this module is reserved so that the build, the BOM and the module names are stable.
 * See the module README for the plan.
 */
@NullMarked
package dev.drkit.failover;

import org.jspecify.annotations.NullMarked;
