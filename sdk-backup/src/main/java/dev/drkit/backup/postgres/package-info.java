/**
 * PostgreSQL point-in-time recovery, checked: {@link dev.drkit.backup.postgres.WalArchiveVerifier} walks the
 * records of a WAL archive from a base backup's start through its end and on to the newest segment, across
 * timelines, and reports faults by segment and LSN, whether a target time is reachable
 * ({@link dev.drkit.backup.postgres.PitrVerdict}) and the honest RPO, in an
 * {@link dev.drkit.backup.postgres.ArchiveReport}. {@link dev.drkit.backup.postgres.PitrDrill} restores a base
 * backup into a scratch cluster, replays the archive to a target time, checks known facts there and reports the
 * RTO and the point reached ({@link dev.drkit.backup.postgres.PitrDrillReport}).
 *
 * <p>Backups of PostgreSQL for the backup pipeline: {@link dev.drkit.backup.postgres.PgBackupSource} streams
 * {@code pg_dump}, {@code pg_dumpall --globals-only} or {@code pg_basebackup} with the password only in a private
 * {@code PGPASSFILE}, labelled ({@link dev.drkit.backup.postgres.PgLabels}); {@link dev.drkit.backup.postgres.PgBackups}
 * backs up a whole server; {@link dev.drkit.backup.postgres.PgRestoreVerifier} proves a backup by restoring it into a
 * scratch cluster. See {@code docs/postgres-backup.md}.
 *
 * <p>{@link dev.drkit.backup.postgres.WalArchive} is drkit's own encrypted WAL archive in a backup store: what
 * {@code drkit wal-push} and {@code wal-fetch} run as {@code archive_command} and {@code restore_command}; the
 * verifier reads it as well as a plain directory.
 *
 * @since 0.1
 */
@NullMarked
package dev.drkit.backup.postgres;

import org.jspecify.annotations.NullMarked;
