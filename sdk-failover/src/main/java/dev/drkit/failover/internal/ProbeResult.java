package dev.drkit.failover.internal;

import dev.drkit.failover.Endpoint;

/**
 * The answer of one probe of one host.
 *
 * @param endpoint     the host
 * @param ok           whether it answered the probe query
 * @param reachable    whether it answered at all (an authentication error still proves the host is alive)
 * @param inRecovery   {@code pg_is_in_recovery()}
 * @param walPosition  written (primary) or replayed (standby) WAL position in bytes, or -1
 * @param timeline     the timeline: of the WAL being written on a primary, of the last restartpoint on a standby
 * @param receivedTimeline on a standby whose WAL receiver runs, the timeline it is receiving
 *                     ({@code pg_stat_wal_receiver.received_tli}); 0 when none runs, on a primary, and when the
 *                     probe's role may not read it (PostgreSQL 15 shows it only to {@code pg_read_all_stats})
 * @param systemId     {@code pg_control_system().system_identifier}
 * @param durableLsn   WAL position that would survive this host's crash: flushed ({@code pg_current_wal_flush_lsn()})
 *                     on a primary, received and synced ({@code pg_last_wal_receive_lsn()}) on a standby; or -1
 * @param synchronous  whether the host requires synchronous standbys ({@code synchronous_standby_names} set)
 * @param failure      why it failed (class and SQL state only), or empty
 * @param nanos        when it finished, on {@link System#nanoTime()}
 */
record ProbeResult(Endpoint endpoint, boolean ok, boolean reachable, boolean inRecovery, long walPosition,
                   int timeline, int receivedTimeline, long systemId, long durableLsn, boolean synchronous,
                   String failure, long nanos) {

    static ProbeResult failed(Endpoint endpoint, boolean reachable, String failure) {
        return new ProbeResult(endpoint, false, reachable, false, -1, 0, 0, 0, -1, false, failure, System.nanoTime());
    }

    /**
     * The timeline the host is on: a primary's {@link #timeline()}; for a standby the newer of its last
     * restartpoint's and the one it is receiving. A standby that follows a promotion receives the new timeline at
     * once but reaches it in its control file only at its next restartpoint (up to {@code checkpoint_timeout}
     * later); one that cannot follow (an old primary with WAL past the fork point) stays on the old one.
     */
    int effectiveTimeline() {
        return inRecovery ? Math.max(timeline, receivedTimeline) : timeline;
    }
}
