/**
 * A failover-aware PostgreSQL {@code DataSource} on HikariCP: finds the primary among the hosts it is given,
 * notices within about a second when it dies or freezes, follows the promoted replica, routes read-only work to
 * replicas within a lag bound, and never writes to a host in recovery or to a demoted primary that came back.
 *
 * <p>Start with {@link dev.drkit.failover.FailoverDataSource} and {@link dev.drkit.failover.FailoverConfig}.
 * Events are in {@code dev.drkit.failover.event}, Micrometer metrics in {@code dev.drkit.failover.micrometer},
 * and a drill that measures all this against real servers in {@code dev.drkit.failover.drill}.
 */
@NullMarked
package dev.drkit.failover;

import org.jspecify.annotations.NullMarked;
