package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

import java.util.Objects;

/**
 * A {@link DecryptionKey} that is a passphrase. Made by {@link DecryptionKey#passphrase(Secret)}.
 * Immutable and thread-safe; {@link #toString()} shows the secret's label only.
 *
 * @since 0.1
 */
public final class PassphraseKey implements DecryptionKey {

    private final Secret passphrase;

    PassphraseKey(Secret passphrase) {
        this.passphrase = Objects.requireNonNull(passphrase, "passphrase");
    }

    /** The passphrase. */
    public Secret passphrase() {
        return passphrase;
    }

    @Override
    public String toString() {
        return "PassphraseKey[" + passphrase + "]";
    }
}
