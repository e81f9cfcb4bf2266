/**
 * The machinery behind {@link dev.drkit.backup.postgres.PitrDrill}: extracting a base backup's tar stream safely,
 * writing the scratch copy's recovery settings, and reading the scratch server's log.
 *
 * <p>Not a public API: types here may change in any release.
 */
@NullMarked
package dev.drkit.backup.postgres.internal;

import org.jspecify.annotations.NullMarked;
