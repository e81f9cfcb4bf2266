package dev.drkit.postgres;

/**
 * Whether a replica's primary waits for it on commit.
 *
 * @since 0.1
 */
public enum ReplicationMode {
    /**
     * Commits on the primary return before the replica has the WAL: fast, but a crash of the primary can lose
     * acknowledged commits.
     */
    ASYNC,
    /**
     * The replica is named in the primary's {@code synchronous_standby_names}; a commit returns only once the
     * replica has flushed its WAL. With several synchronous replicas, commits wait for all of them.
     */
    SYNC
}
