/** drkit's shared machinery. Not an API: no compatibility guarantees; do not import from applications. */
@NullMarked
package dev.drkit.core.internal;

import org.jspecify.annotations.NullMarked;
