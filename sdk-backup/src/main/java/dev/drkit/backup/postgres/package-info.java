/**
 * PostgreSQL point-in-time recovery, checked: {@link dev.drkit.backup.postgres.WalArchiveVerifier} walks the
 * records of a WAL archive from a base backup's start through its end and on to the newest segment, across
 * timelines, and reports faults by segment and LSN, whether a target time is reachable
 * ({@link dev.drkit.backup.postgres.PitrVerdict}) and the honest RPO, in an
 * {@link dev.drkit.backup.postgres.ArchiveReport}.
 *
 * <p>{@link dev.drkit.backup.postgres.WalArchive} is drkit's own encrypted WAL archive in a backup store: what
 * {@code drkit wal-push} and {@code wal-fetch} run as {@code archive_command} and {@code restore_command}; the
 * verifier reads it as well as a plain directory.
 *
 * <p>Still to come here: dump and base-backup sources for the backup pipeline, and restore drills. See {@code docs/pitr.md}.
 *
 * @since 0.1
 */
@NullMarked
package dev.drkit.backup.postgres;

import org.jspecify.annotations.NullMarked;
