/**
 * HashiCorp Vault for services that must keep running: AppRole login (role and secret ID from private files,
 * or a response-wrapped secret ID), the token renewed ahead of its end and replaced by a new login at its max
 * TTL, KV v1 and v2 reads cached and served last-known-good through an outage, dynamic database credentials
 * renewed and rotated ahead of their max TTL, and a {@link dev.drkit.secrets.LeakTripwire} that recognises every
 * secret value held.
 *
 * <p>Start with {@link dev.drkit.secrets.VaultClient#start(dev.drkit.secrets.VaultConfig)}. Machinery lives in
 * {@code dev.drkit.secrets.internal}, which applications must not import. Every call to Vault goes through
 * sdk-core's resilience policies.
 */
@NullMarked
package dev.drkit.secrets;

import org.jspecify.annotations.NullMarked;
