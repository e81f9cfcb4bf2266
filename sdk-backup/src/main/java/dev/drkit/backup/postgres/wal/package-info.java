/**
 * The machinery behind {@link dev.drkit.backup.postgres.WalArchiveVerifier}: a streaming reader of PostgreSQL
 * write-ahead log segments (page headers, record headers, continuation records, CRC-32C, previous-record links),
 * timeline history files, and the parts of a plain-format base backup the verifier needs ({@code backup_label},
 * {@code backup_manifest}, {@code global/pg_control}).
 *
 * <p>Not a public API: types here may change in any release. Everything read here is treated as untrusted bytes;
 * no length read from a file is trusted before it is checked.
 */
@NullMarked
package dev.drkit.backup.postgres.wal;

import org.jspecify.annotations.NullMarked;
