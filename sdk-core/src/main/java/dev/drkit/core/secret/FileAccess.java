package dev.drkit.core.secret;

/**
 * Relaxations of the checks {@link Secrets#fromFile(java.nio.file.Path, FileAccess...)} makes before it
 * reads a secret file. Without any, the file must be a regular file (not a symbolic link) that only its
 * owner may read or write, as {@code ssh} and PostgreSQL's {@code .pgpass} require.
 *
 * <p>Immutable and thread-safe, as enums are.
 *
 * @since 0.1
 */
public enum FileAccess {

    /**
     * Also accept files its group may read ({@code 0640}), for secrets shared with a service group, as
     * PostgreSQL accepts for a root-owned server key. Group write and any access by others are still refused.
     *
     * @since 0.1
     */
    ALLOW_GROUP_READABLE,

    /**
     * Follow a symbolic link and check the file it points to (Kubernetes mounts secrets as links to a
     * hidden {@code ..data} directory). The target is held to the same checks as a file named directly.
     *
     * @since 0.1
     */
    FOLLOW_SYMLINKS
}
