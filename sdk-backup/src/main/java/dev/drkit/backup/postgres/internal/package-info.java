/**
 * Machinery of the PostgreSQL backup sources, restore verification, the WAL archive and
 * {@link dev.drkit.backup.postgres.PitrDrill}: child processes with their password in a private {@code PGPASSFILE},
 * catalog queries, the record kept beside each archived WAL file, safe extraction of a base backup's tar stream, the
 * scratch copy's recovery settings, and reading the scratch server's log.
 *
 * <p>Not a public API: users must not import it; types here may change in any release.
 */
@NullMarked
package dev.drkit.backup.postgres.internal;

import org.jspecify.annotations.NullMarked;
