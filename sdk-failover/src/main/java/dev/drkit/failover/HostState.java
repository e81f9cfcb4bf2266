package dev.drkit.failover;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One host as the topology monitor saw it at its latest probe. Instances are immutable and thread-safe.
 *
 * @param endpoint      the host
 * @param role          what the monitor believes it is
 * @param timeline      its timeline at the latest successful probe, or 0 if never probed successfully: on a
 *                      primary, of the WAL it writes; on a standby, the newer of its last restartpoint's and the
 *                      one its WAL receiver is receiving (when the probe's role may see it)
 * @param walPosition   its WAL position (written on a primary, replayed on a standby) in bytes, or -1 if unknown
 * @param replicaLag    for a standby on the primary's timeline, how far its replay is behind the primary, if known;
 *                      empty for a standby on another timeline, whose position cannot be compared with the
 *                      primary's (it takes no read-only work, see {@link FailoverConfig#maxReplicaLag()})
 * @param lastSeen      when a probe last succeeded, if ever
 * @param failedProbes  failed probes in a row
 * @param lastFailure   why the latest probe failed (class and SQL state, never a secret), or empty
 * @since 0.1
 */
public record HostState(Endpoint endpoint, HostRole role, int timeline, long walPosition,
                        Optional<Duration> replicaLag, Optional<Instant> lastSeen, int failedProbes,
                        String lastFailure) {

    /** Checks that no component is null. */
    public HostState {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(replicaLag, "replicaLag");
        Objects.requireNonNull(lastSeen, "lastSeen");
        Objects.requireNonNull(lastFailure, "lastFailure");
    }
}
