/** Micrometer binding of a {@link dev.drkit.secrets.VaultClient}'s counters; the only package importing Micrometer. */
@NullMarked
package dev.drkit.secrets.micrometer;

import org.jspecify.annotations.NullMarked;
