/** Monotonic time sources: the system's, and a manual one for tests. */
@NullMarked
package dev.drkit.core.time;

import org.jspecify.annotations.NullMarked;
