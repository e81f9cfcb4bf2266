/**
 * Micrometer meters of a {@link dev.drkit.failover.FailoverDataSource}; the only package of the module that
 * imports Micrometer.
 */
@NullMarked
package dev.drkit.failover.micrometer;

import org.jspecify.annotations.NullMarked;
