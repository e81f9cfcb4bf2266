/**
 * Local PostgreSQL clusters for drills, failover and tests: finding the binaries ({@link dev.drkit.postgres.PgBinaries}),
 * creating, starting, stopping, crashing and promoting clusters and streaming replicas
 * ({@link dev.drkit.postgres.PgCluster}), on 127.0.0.1 only, in temporary directories that are removed on close
 * and at JVM exit; a watchdog process stops the server and removes its directory when the JVM is killed.
 *
 * <p>{@code dev.drkit.postgres.internal} has no compatibility guarantees.
 */
@NullMarked
package dev.drkit.postgres;

import org.jspecify.annotations.NullMarked;
