package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

/**
 * How a backup is encrypted. Every mode produces an OpenPGP message (RFC 4880 / 9580 v1 formats: AES-256,
 * integrity protected with a modification detection code) that stock {@code gpg} 2.2 and later can decrypt.
 *
 * <p>Today there is one mode, {@link PassphraseEncryption}. Public-key recipients (so that the host that takes
 * backups cannot read them) are planned as a second implementation of this interface.
 *
 * @since 0.1
 */
public sealed interface Encryption permits PassphraseEncryption {

    /**
     * Passphrase mode with the default key derivation ({@link PassphraseEncryption#DEFAULT_S2K_BYTES} bytes of
     * iterated and salted SHA-256).
     *
     * @param passphrase read when a stream is opened; the caller keeps ownership and may close it afterwards
     */
    static PassphraseEncryption passphrase(Secret passphrase) {
        return PassphraseEncryption.builder(passphrase).build();
    }
}
