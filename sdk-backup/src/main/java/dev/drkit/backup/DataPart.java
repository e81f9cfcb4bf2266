package dev.drkit.backup;

import java.util.Objects;

/**
 * One stored object of a backup's encrypted data, as its manifest records it ({@link BackupManifest#parts()}):
 * its name in the store, its size and its SHA-256 (lowercase hex, as {@code sha256sum} prints it).
 *
 * <p>Each part is a complete OpenPGP message that stock {@code gpg --decrypt} opens on its own; the decrypted
 * parts, concatenated in order, are the backup's compressed stream.
 *
 * @param object the object's name in the store, such as {@code data.00000.pgp}
 * @param bytes  its size in bytes
 * @param sha256 its SHA-256, 64 lowercase hex digits
 * @since 0.1
 */
public record DataPart(String object, long bytes, String sha256) {

    /** Checks the fields are present. */
    public DataPart {
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(sha256, "sha256");
    }

    /** The object name of part {@code index} (counting from 0): {@code data.00000.pgp}, {@code data.00001.pgp}, ... */
    public static String objectName(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("index must not be negative, but was " + index);
        }
        return String.format(java.util.Locale.ROOT, "data.%05d.pgp", index);
    }
}
