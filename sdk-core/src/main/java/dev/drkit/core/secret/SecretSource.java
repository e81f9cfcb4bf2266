package dev.drkit.core.secret;

/**
 * Where a secret comes from: a file, an environment variable, a prompt, Vault. This is where modules meet
 * without depending on each other: a backup asks a {@code SecretSource} for its passphrase, and the
 * application decides whether that is a file or Vault.
 *
 * <p>Implementations are thread-safe. Each call returns a new {@link Secret} that the caller closes.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface SecretSource {

    /**
     * The current value.
     *
     * @throws dev.drkit.core.DrkitException if the value cannot be had (missing file, Vault unreachable, ...)
     */
    Secret get();
}
