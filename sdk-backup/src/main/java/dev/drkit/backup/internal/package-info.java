/**
 * The machinery behind {@code dev.drkit.backup}: OpenPGP and zstd stream plumbing. Not part of the API: no
 * compatibility guarantees; do not import it.
 */
@NullMarked
package dev.drkit.backup.internal;

import org.jspecify.annotations.NullMarked;
