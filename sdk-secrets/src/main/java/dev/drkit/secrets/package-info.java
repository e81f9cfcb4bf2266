/**
 * HashiCorp Vault AppRole login, token and lease renewal, KV and dynamic database credentials, and
 * last-known-good caching while Vault is down.
 *
 * <p>Not yet implemented: this module is reserved so that the build, the BOM and the module names are stable.
 * See the module README for the plan.
 */
@NullMarked
package dev.drkit.secrets;

import org.jspecify.annotations.NullMarked;
