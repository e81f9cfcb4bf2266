package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

/**
 * What opens an encrypted backup: the passphrase it was encrypted with ({@link PassphraseKey}), or, for backups
 * encrypted to public-key recipients, a matching private key ({@link Identity}).
 *
 * <p>Instances hold references, not copies: the caller keeps ownership of the {@link Secret}s it passed in and
 * closes them when done (an {@link Identity} read from a file owns the key bytes it read and wipes them on
 * close). {@link #toString()} never shows key material.
 *
 * @since 0.1
 */
public sealed interface DecryptionKey permits PassphraseKey, Identity {

    /** The passphrase a backup was encrypted with ({@link Encryption#passphrase(Secret)}). */
    static PassphraseKey passphrase(Secret passphrase) {
        return new PassphraseKey(passphrase);
    }

    /**
     * The passphrase-protected OpenPGP private key in {@code keyFile}, for backups encrypted to its public key
     * ({@link Encryption#recipients(RecipientKey, RecipientKey...)}). Same as
     * {@link Identity#fromFile(java.nio.file.Path, Secret, dev.drkit.core.secret.FileAccess...)}.
     *
     * @throws OpenPgpKeyException if the file holds no usable private key or the passphrase does not unlock it
     * @since 0.1
     */
    static Identity privateKey(java.nio.file.Path keyFile, Secret passphrase) {
        return Identity.fromFile(keyFile, passphrase);
    }

    /**
     * The unprotected OpenPGP private key in {@code keyFile}. Same as
     * {@link Identity#fromFile(java.nio.file.Path, dev.drkit.core.secret.FileAccess...)}.
     *
     * @throws OpenPgpKeyException if the file holds no usable private key, or the key is protected
     * @since 0.1
     */
    static Identity privateKey(java.nio.file.Path keyFile) {
        return Identity.fromFile(keyFile);
    }
}
