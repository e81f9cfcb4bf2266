package dev.drkit.failover;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Counters of a {@link FailoverDataSource} since it was created, for dashboards and drills. Instances are
 * immutable snapshots.
 *
 * @param primaryLosses     times the primary was lost
 * @param failovers         times writes moved to another host after a loss
 * @param fencings          times a host was fenced
 * @param lastTimeToDetect  for the latest loss: from the primary's last good probe to the loss being declared
 * @param lastTimeToRecover for the latest recovery: from the loss being declared to a primary being elected
 * @param requestsDelayed   {@code getConnection()} calls that had to wait for a primary and then got one
 * @param requestsFailed    {@code getConnection()} calls that gave up, and transactions that failed with a lost
 *                          connection
 * @param listenerFailures  exceptions thrown by listeners
 * @param possibleDataLosses failovers after which the promoted host lacked WAL the old primary had flushed while
 *                          it did not require a synchronous standby: writes acknowledged in that window may be lost
 *                          (see {@link dev.drkit.failover.event.FailoverEvent.Type#POSSIBLE_DATA_LOSS})
 * @param lastUnreplicatedBytes for the latest failover: bytes of WAL the old primary had flushed (as its last good
 *                          probe saw) beyond what the promoted host had received (as its last probe as a standby
 *                          saw); 0 if none or not known
 * @param evictedOnBorrow   per configured host, in the configured order: pooled connections found closed by their
 *                          server when they were borrowed (the server spoke while they sat idle and they failed
 *                          validation), and evicted before anything was sent on them
 * @since 0.1
 */
public record FailoverStats(long primaryLosses, long failovers, long fencings, Optional<Duration> lastTimeToDetect,
                            Optional<Duration> lastTimeToRecover, long requestsDelayed, long requestsFailed,
                            long listenerFailures, long possibleDataLosses, long lastUnreplicatedBytes,
                            Map<Endpoint, Long> evictedOnBorrow) {

    /** Copies the map, keeping its order. */
    public FailoverStats {
        Objects.requireNonNull(lastTimeToDetect, "lastTimeToDetect");
        Objects.requireNonNull(lastTimeToRecover, "lastTimeToRecover");
        evictedOnBorrow = Collections.unmodifiableMap(new LinkedHashMap<>(evictedOnBorrow));
    }

    /** Pooled connections evicted on borrow, all hosts together (see {@link #evictedOnBorrow()}). @since 0.1 */
    public long evictedOnBorrowTotal() {
        long total = 0;
        for (long n : evictedOnBorrow.values()) {
            total += n;
        }
        return total;
    }
}
