/**
 * Machinery of the PostgreSQL backup sources and restore verification: child processes with their password in a
 * private {@code PGPASSFILE}, catalog queries, tar extraction. Not an API: users must not import it.
 */
@NullMarked
package dev.drkit.backup.postgres.internal;

import org.jspecify.annotations.NullMarked;
