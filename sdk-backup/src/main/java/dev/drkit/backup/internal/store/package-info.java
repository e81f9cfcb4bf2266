/**
 * The machinery behind {@code dev.drkit.backup.store}: writer locks, durable files and safe removal of directory
 * trees. Not part of the API: no compatibility guarantees; do not import it.
 */
@NullMarked
package dev.drkit.backup.internal.store;

import org.jspecify.annotations.NullMarked;
