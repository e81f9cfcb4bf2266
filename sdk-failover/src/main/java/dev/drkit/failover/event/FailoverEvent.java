package dev.drkit.failover.event;

import dev.drkit.failover.Endpoint;
import dev.drkit.failover.Topology;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A change of the topology a {@link dev.drkit.failover.FailoverDataSource} follows, or a sign of one
 * ({@link Type#CONNECTION_EVICTED}). Instances are immutable and
 * thread-safe.
 *
 * @param type           what happened
 * @param dataSourceName the data source's name
 * @param endpoint       the host it happened to
 * @param at             when it was noticed
 * @param elapsed        for {@link Type#PRIMARY_LOST}, the time since the last probe that saw the host as the
 *                       primary (time to detect); for {@link Type#PRIMARY_ELECTED} after a loss, the time since the loss
 *                       was noticed (time to recover); otherwise empty
 * @param detail         a one-line explanation (never a secret)
 * @param topology       the topology after the change
 * @since 0.1
 */
public record FailoverEvent(Type type, String dataSourceName, Endpoint endpoint, Instant at,
                            Optional<Duration> elapsed, String detail, Topology topology) {

    /** Checks that no component is null. */
    public FailoverEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(dataSourceName, "dataSourceName");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(elapsed, "elapsed");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(topology, "topology");
    }

    /**
     * The kinds of topology change.
     *
     * @since 0.1
     */
    public enum Type {
        /** The primary stopped answering, refused connections, or went into recovery: writes wait from now. */
        PRIMARY_LOST,
        /** A host was confirmed as primary; writes go to it from now. After a loss this ends the failover. */
        PRIMARY_ELECTED,
        /** A host claims to be primary but is refused: older timeline, or another cluster. */
        HOST_FENCED,
        /**
         * A host's role changed in a way that does not move the primary (a replica lost or back), or a standby
         * started or stopped taking reads (its replay lag crossed {@code maxReplicaLag}, or it left the primary's
         * timeline or came back to it). The detail says which.
         */
        HOST_CHANGED,
        /**
         * Published right after the {@link #PRIMARY_ELECTED} of a failover when the old primary did not require a
         * synchronous standby and either the promoted host lacked WAL the old primary had already flushed, or the
         * data source handed out connections to the old primary after its last probe (whose commits no WAL position
         * shows): writes acknowledged to clients in that window may be lost. The event's endpoint is the old
         * primary; its detail gives both WAL positions (the old primary's flushed LSN at its last good probe, the
         * promoted host's received LSN at its last probe as a standby), the difference in bytes, which is a lower
         * bound, and whether work came after the last probe. A drill counts the rows actually lost.
         */
        POSSIBLE_DATA_LOSS,
        /**
         * A pooled connection to this host was found closed by its server as it was borrowed (the server sent its
         * last words while the connection sat idle, and validation failed) and was evicted before anything was
         * sent on it. The host's other idle connections are retired and it is probed at once: a host that is going
         * away is usually lost soon after. Not a topology change by itself; published on the monitor thread like
         * the others, before what that probe finds.
         */
        CONNECTION_EVICTED,
        /**
         * A split brain: no primary is known, and several hosts of the cluster claim primary on its newest timeline
         * (two standbys promoted, a promotion while the old primary was cut off but not down). None is written to,
         * and claims seen beside another's do not count towards an election: one is elected only once every other
         * is in recovery or has failed {@code failAfter} probes in a row, after its own
         * {@code confirmations}. Published once when the split brain starts; the endpoint is one of the claimants,
         * the detail names them all.
         */
        SPLIT_BRAIN
    }
}
