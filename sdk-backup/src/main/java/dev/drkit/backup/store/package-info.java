/**
 * Where backups are kept: the {@link dev.drkit.backup.store.BackupStore} contract (visible only when complete, one
 * writer at a time, foreign entries left alone) and its implementations.
 */
@NullMarked
package dev.drkit.backup.store;

import org.jspecify.annotations.NullMarked;
