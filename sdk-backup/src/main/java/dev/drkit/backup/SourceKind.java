package dev.drkit.backup;

/**
 * What a backup was made from, as recorded in its manifest.
 *
 * @since 0.1
 */
public enum SourceKind {
    /** One regular file; the plaintext is its bytes. */
    FILE,
    /** A directory tree; the plaintext is a POSIX (PAX) tar stream of it. */
    DIRECTORY,
    /** An {@link java.io.InputStream} from a supplier (a database dump, a pipe); the plaintext is its bytes. */
    STREAM
}
