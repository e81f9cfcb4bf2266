package dev.drkit.backup.postgres;

/**
 * The labels drkit records in the manifest of a PostgreSQL backup, so that tools (and {@link PgRestoreVerifier})
 * can tell what a backup is without decrypting it. Values are plain text; LSNs as PostgreSQL prints them
 * ({@code 0/2000028}).
 *
 * @since 0.1
 */
public final class PgLabels {

    /** What the backup is: {@value #KIND_DUMP}, {@value #KIND_GLOBALS} or {@value #KIND_BASE_BACKUP}. */
    public static final String KIND = "pg.kind";
    /** A {@code pg_dump -Fc} archive of one database, for {@code pg_restore}. */
    public static final String KIND_DUMP = "dump";
    /** {@code pg_dumpall --globals-only}: roles and tablespaces as SQL, for {@code psql}. */
    public static final String KIND_GLOBALS = "globals";
    /** The tar stream of {@code pg_basebackup -D - -Ft -X fetch}, with {@code backup_manifest} and the WAL inside. */
    public static final String KIND_BASE_BACKUP = "basebackup";

    /** The database a dump holds. */
    public static final String DATABASE = "pg.database";
    /** {@code host:port} of the server backed up. */
    public static final String SERVER = "pg.server";
    /** The role that made the backup. */
    public static final String USER = "pg.user";
    /** The server's version ({@code server_version}). */
    public static final String SERVER_VERSION = "pg.server.version";
    /** The server's version number ({@code server_version_num}, {@code 150018} say). */
    public static final String SERVER_VERSION_NUM = "pg.server.version.num";
    /** The cluster's system identifier, where the role may read it ({@code pg_control_system()}). */
    public static final String SYSTEM_IDENTIFIER = "pg.system.identifier";
    /** A base backup's start LSN (its checkpoint's redo point). */
    public static final String START_LSN = "pg.start.lsn";
    /** A base backup's end LSN: a restore of it is consistent from here on. */
    public static final String STOP_LSN = "pg.stop.lsn";
    /** A base backup's timeline. */
    public static final String TIMELINE = "pg.timeline";
    /** The number of tables whose rows were counted. */
    public static final String TABLES = "pg.tables";
    /** The rows of those tables, exactly ({@code count(*)}). */
    public static final String ROWS = "pg.rows";
    /** The SHA-256 of the sorted per-table counts (per database for a base backup). */
    public static final String COUNTS_SHA256 = "pg.counts.sha256";
    /** The SHA-256 of the normalized schema description (relations, columns, indexes, constraints). */
    public static final String SCHEMA_SHA256 = "pg.schema.sha256";
    /** Why counts were not recorded (turned off, not permitted, or the data changed during a base backup). */
    public static final String COUNTS_SKIPPED = "pg.counts.skipped";
    /** The databases a base backup's counts cover. */
    public static final String DATABASES = "pg.databases";
    /** The run that made several backups together ({@code drkit pg backup --all}). */
    public static final String RUN = "pg.run";
    /** How many backups that run made when complete. */
    public static final String RUN_SIZE = "pg.run.size";

    private PgLabels() {
    }
}
