package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

/**
 * How a backup is encrypted. Every mode produces an OpenPGP message (RFC 4880 / 9580 v1 formats: AES-256,
 * integrity protected with a modification detection code) that stock {@code gpg} 2.2 and later can decrypt.
 *
 * <p>Two modes: {@link PassphraseEncryption}, where the passphrase both writes and reads backups; and
 * {@link RecipientEncryption}, where backups are encrypted to OpenPGP public keys and only the matching private
 * keys read them, so the host that takes backups cannot. See {@code docs/keys.md}.
 *
 * @since 0.1
 */
public sealed interface Encryption permits PassphraseEncryption, RecipientEncryption {

    /**
     * Passphrase mode with the default key derivation ({@link PassphraseEncryption#DEFAULT_S2K_BYTES} bytes of
     * iterated and salted SHA-256).
     *
     * @param passphrase read when a stream is opened; the caller keeps ownership and may close it afterwards
     */
    static PassphraseEncryption passphrase(Secret passphrase) {
        return PassphraseEncryption.builder(passphrase).build();
    }

    /**
     * Public-key mode: backups that only the holders of the private keys of {@code first} and {@code more} can
     * read. For a passphrase as well, use {@link RecipientEncryption#builder()}.
     *
     * @since 0.1
     */
    static RecipientEncryption recipients(RecipientKey first, RecipientKey... more) {
        RecipientEncryption.Builder builder = RecipientEncryption.builder().recipient(first);
        for (RecipientKey key : more) {
            builder.recipient(key);
        }
        return builder.build();
    }
}
