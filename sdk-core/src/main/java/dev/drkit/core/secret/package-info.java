/**
 * Secret values that do not leak ({@link dev.drkit.core.secret.Secret}), where they come from
 * ({@link dev.drkit.core.secret.SecretSource}, {@link dev.drkit.core.secret.Secrets}), and private credential
 * files for child processes ({@link dev.drkit.core.secret.CredentialFiles}).
 */
@NullMarked
package dev.drkit.core.secret;

import org.jspecify.annotations.NullMarked;
