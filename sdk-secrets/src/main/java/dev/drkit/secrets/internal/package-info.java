/** sdk-secrets' machinery. Not an API: no compatibility guarantees; do not import from applications. */
@NullMarked
package dev.drkit.secrets.internal;

import org.jspecify.annotations.NullMarked;
