package dev.drkit.backup;

/**
 * How thoroughly a backup is verified.
 *
 * @since 0.1
 */
public enum VerificationMode {
    /**
     * Without a key: the manifest parses and matches its own checksum, and the stored data has the size and
     * SHA-256 the manifest records. Detects damage in the store; cannot detect a manifest edited together with its
     * checksum.
     */
    QUICK,
    /**
     * With the key: everything {@link #QUICK} checks, plus the manifest's HMAC, decryption with the OpenPGP
     * integrity check, the zstd checksum, the plaintext SHA-256 and, for directories, every entry. Writes nothing.
     */
    FULL
}
