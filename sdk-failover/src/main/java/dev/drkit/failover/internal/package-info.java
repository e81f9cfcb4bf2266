/**
 * The machinery of {@link dev.drkit.failover.FailoverDataSource}: probes, the topology monitor and the pools.
 * Internal: no compatibility guarantees.
 */
@NullMarked
package dev.drkit.failover.internal;

import org.jspecify.annotations.NullMarked;
