package dev.drkit.backup.postgres;

/**
 * What {@link WalArchive#push} did with one file.
 *
 * @param walFileName     the file's name in the archive
 * @param bytes           its size
 * @param sha256          the SHA-256 of its content, lowercase hex
 * @param storedBytes     the size of the compressed, encrypted object in the store
 * @param alreadyArchived true if the archive held this name with identical content already, and nothing was written
 * @since 0.1
 */
public record WalPushResult(String walFileName, long bytes, String sha256, long storedBytes, boolean alreadyArchived) {
}
