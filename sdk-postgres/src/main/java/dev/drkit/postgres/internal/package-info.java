/**
 * The machinery behind {@code dev.drkit.postgres}: child processes, running as another OS user, the embedded
 * binaries, configuration files, data directory copies and cleanup on exit.
 *
 * <p>Not an API: no compatibility guarantees; do not import from applications.
 */
@NullMarked
package dev.drkit.postgres.internal;

import org.jspecify.annotations.NullMarked;
