/**
 * Encrypted, checksummed, verifiable backups.
 *
 * <p>Today: the streaming pipeline ({@link dev.drkit.backup.BackupPipeline}) that compresses with zstd, encrypts
 * as an OpenPGP message stock {@code gpg} can read, and hashes both sides in one pass; and the way back, which
 * verifies integrity before it reports end of stream. Manifests, stores, restore, verification and retention
 * come next; PostgreSQL sources will live in {@code dev.drkit.backup.postgres}. See the module README.
 */
@NullMarked
package dev.drkit.backup;

import org.jspecify.annotations.NullMarked;
