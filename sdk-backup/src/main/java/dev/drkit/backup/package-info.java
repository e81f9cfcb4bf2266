/**
 * Encrypted, checksummed, verifiable backups.
 *
 * <p>{@link dev.drkit.backup.BackupEngine} makes, lists, verifies and restores backups in a
 * {@link dev.drkit.backup.store.BackupStore}, each with an authenticated manifest. Underneath,
 * {@link dev.drkit.backup.BackupPipeline} compresses with zstd, encrypts as an OpenPGP message stock {@code gpg}
 * can read (a passphrase or public-key recipients), and hashes both sides in one pass. Retention planning lives in
 * {@code dev.drkit.backup.retention}, WAL archive verification in {@code dev.drkit.backup.postgres}. See the
 * module README.
 */
@NullMarked
package dev.drkit.backup;

import org.jspecify.annotations.NullMarked;
