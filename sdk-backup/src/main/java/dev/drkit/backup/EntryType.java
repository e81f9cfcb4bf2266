package dev.drkit.backup;

/**
 * The type of one entry of a directory backup.
 *
 * @since 0.1
 */
public enum EntryType {
    /** A regular file: its bytes are in the archive and its SHA-256 in the manifest. */
    FILE,
    /** A directory. */
    DIRECTORY,
    /** A symbolic link, stored as a link (its target text), never followed. */
    SYMLINK
}
