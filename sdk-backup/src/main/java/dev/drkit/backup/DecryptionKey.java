package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

/**
 * What opens an encrypted backup: the passphrase it was encrypted with, or (for backups encrypted to public-key
 * recipients) a matching private key.
 *
 * <p>Instances hold references, not copies: the caller keeps ownership of the {@link Secret}s inside and closes
 * them when done. {@link #toString()} never shows key material.
 *
 * @since 0.1
 */
public sealed interface DecryptionKey permits PassphraseKey {

    /** The passphrase a backup was encrypted with ({@link Encryption#passphrase(Secret)}). */
    static PassphraseKey passphrase(Secret passphrase) {
        return new PassphraseKey(passphrase);
    }
}
