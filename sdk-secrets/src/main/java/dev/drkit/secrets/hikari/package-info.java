/**
 * HikariCP adapter: rotating credentials as a {@code HikariCredentialsProvider}, with old connections
 * soft-evicted after each rotation. HikariCP is an optional dependency; only this package uses it.
 */
@NullMarked
package dev.drkit.secrets.hikari;

import org.jspecify.annotations.NullMarked;
