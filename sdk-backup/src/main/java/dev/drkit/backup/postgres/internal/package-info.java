/**
 * The machinery behind {@code dev.drkit.backup.postgres}'s WAL archive: the record kept beside each archived file.
 * Not part of the API: no compatibility guarantees; do not import it.
 */
@NullMarked
package dev.drkit.backup.postgres.internal;

import org.jspecify.annotations.NullMarked;
