package dev.drkit.backup;

import dev.drkit.backup.internal.SafePaths;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One entry of a directory backup as its manifest records it: a path relative to the backed-up directory (with
 * {@code /} separators, never absolute, never {@code ..}), its type, size, permission bits, modification time and,
 * for regular files, the SHA-256 of its contents; for symbolic links, the link's target text.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public final class ManifestEntry {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final String path;
    private final EntryType type;
    private final long size;
    private final int mode;
    private final Instant mtime;
    private final @Nullable String sha256;
    private final @Nullable String linkTarget;

    private ManifestEntry(String path, EntryType type, long size, int mode, Instant mtime, @Nullable String sha256,
                          @Nullable String linkTarget) {
        this.path = SafePaths.check(Objects.requireNonNull(path, "path"));
        this.type = Objects.requireNonNull(type, "type");
        this.mtime = Objects.requireNonNull(mtime, "mtime");
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative, but was " + size);
        }
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("mode must be between 0 and 07777, but was 0" + Integer.toOctalString(mode));
        }
        this.size = size;
        this.mode = mode;
        this.sha256 = sha256;
        this.linkTarget = linkTarget;
    }

    /**
     * A regular file.
     *
     * @throws IllegalArgumentException if the path is not a safe relative path, the size is negative, the mode is
     *                                  outside 0..07777 or the digest is not 64 lowercase hex digits
     */
    public static ManifestEntry file(String path, long size, int mode, Instant mtime, String sha256) {
        Objects.requireNonNull(sha256, "sha256");
        if (!SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256 must be 64 lowercase hex digits, but was \""
                + (sha256.length() > 80 ? sha256.substring(0, 80) + "..." : sha256) + "\"");
        }
        return new ManifestEntry(path, EntryType.FILE, size, mode, mtime, sha256, null);
    }

    /** A directory. */
    public static ManifestEntry directory(String path, int mode, Instant mtime) {
        return new ManifestEntry(path, EntryType.DIRECTORY, 0, mode, mtime, null, null);
    }

    /**
     * A symbolic link whose target is {@code target} (any text; it is stored, never followed).
     *
     * @throws IllegalArgumentException if the target is empty, longer than 4096 characters or holds a NUL
     */
    public static ManifestEntry symlink(String path, String target, Instant mtime) {
        Objects.requireNonNull(target, "target");
        if (target.isEmpty() || target.length() > SafePaths.MAX_LENGTH || target.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("symbolic link target must be 1 to " + SafePaths.MAX_LENGTH
                + " characters without NUL, but had " + target.length() + " characters");
        }
        return new ManifestEntry(path, EntryType.SYMLINK, 0, 0777, mtime, null, target);
    }

    /** The path relative to the backed-up directory, {@code /}-separated, without a trailing slash. */
    public String path() {
        return path;
    }

    /** The entry's type. */
    public EntryType type() {
        return type;
    }

    /** The size in bytes of a regular file; 0 for directories and links. */
    public long size() {
        return size;
    }

    /** The permission bits (including setuid, setgid and sticky), 0..07777. */
    public int mode() {
        return mode;
    }

    /** The permission bits as four octal digits, as {@code stat -c %a} would show them zero-padded: {@code "0644"}. */
    public String modeOctal() {
        return String.format("%04o", mode);
    }

    /** The modification time. */
    public Instant mtime() {
        return mtime;
    }

    /** The SHA-256 of a regular file's contents, lowercase hex; empty for directories and links. */
    public Optional<String> sha256() {
        return Optional.ofNullable(sha256);
    }

    /** A symbolic link's target text; empty for files and directories. */
    public Optional<String> linkTarget() {
        return Optional.ofNullable(linkTarget);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof ManifestEntry)) {
            return false;
        }
        ManifestEntry that = (ManifestEntry) other;
        return path.equals(that.path) && type == that.type && size == that.size && mode == that.mode
            && mtime.equals(that.mtime) && Objects.equals(sha256, that.sha256)
            && Objects.equals(linkTarget, that.linkTarget);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, type, size, mode, mtime, sha256, linkTarget);
    }

    @Override
    public String toString() {
        return "ManifestEntry[" + type.name().toLowerCase(java.util.Locale.ROOT) + " " + path + ", size=" + size
            + ", mode=" + modeOctal() + "]";
    }
}
