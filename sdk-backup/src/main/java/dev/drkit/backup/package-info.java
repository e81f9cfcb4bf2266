/**
 * Encrypted, checksummed, verifiable backups with retention; PostgreSQL dumps, base backups, the WAL archive
 * and PITR verification live in {@code dev.drkit.backup.postgres}.
 *
 * <p>Not yet implemented: this module is reserved so that the build, the BOM and the module names are stable.
 * See the module README for the plan.
 */
@NullMarked
package dev.drkit.backup;

import org.jspecify.annotations.NullMarked;
