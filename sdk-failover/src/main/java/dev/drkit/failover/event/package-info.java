/**
 * Events of a {@link dev.drkit.failover.FailoverDataSource}: what changed in the topology it follows.
 */
@NullMarked
package dev.drkit.failover.event;

import org.jspecify.annotations.NullMarked;
