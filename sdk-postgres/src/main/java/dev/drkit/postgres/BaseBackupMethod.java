package dev.drkit.postgres;

/**
 * How a replica's data directory is copied from its primary.
 *
 * @since 0.1
 */
public enum BaseBackupMethod {
    /** {@link #PG_BASEBACKUP} when the binaries have {@code pg_basebackup}, else {@link #LOW_LEVEL_API}. */
    AUTO,
    /**
     * {@code pg_basebackup -R -X stream -C -S <slot>}, with the password in a 0600 {@code PGPASSFILE}. Needs the
     * {@code pg_basebackup} tool (the embedded binaries do not ship it).
     */
    PG_BASEBACKUP,
    /**
     * A physical replication slot, then {@code pg_backup_start}, a file copy of the data directory (leaving out
     * postmaster.pid, WAL, slots and runtime files), {@code pg_backup_stop} and its {@code backup_label}; the
     * replica streams the WAL from the slot. Needs only the server.
     */
    LOW_LEVEL_API
}
