package dev.drkit.failover;

/**
 * What the topology monitor believes a host is, from its latest probes.
 *
 * @since 0.1
 */
public enum HostRole {
    /** Not probed successfully yet. */
    UNKNOWN,
    /** The confirmed primary: writes go here. */
    PRIMARY,
    /** Not in recovery, but not (yet) confirmed as the primary: no writes go here until it is. */
    CANDIDATE,
    /**
     * In recovery (a streaming replica or a standby): read-only work may go here when it is on the primary's
     * timeline and within the lag bound ({@link FailoverConfig#maxReplicaLag()}).
     */
    STANDBY,
    /**
     * Claims to be a primary but must not be written to: an older timeline than the primary's (an old primary
     * that came back), or another cluster ({@code system_identifier}). Nothing is routed to it.
     */
    FENCED,
    /** Its latest probes failed: refused, timed out, or it answered with an error. */
    UNREACHABLE
}
