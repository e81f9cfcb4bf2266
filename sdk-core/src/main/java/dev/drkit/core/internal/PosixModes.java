package dev.drkit.core.internal;

import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Renders POSIX permission sets the way {@code ls -l} and {@code chmod} show them.
 * Internal: no compatibility guarantees.
 */
public final class PosixModes {

    private PosixModes() {
    }

    /** The octal mode, four digits with a leading zero: {@code 0640}. */
    public static String octal(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            mode |= 1 << (8 - p.ordinal());
        }
        return String.format("0%03o", mode);
    }

    /** The octal mode followed by the symbolic one: {@code 0640 (rw-r-----)}. */
    public static String describe(Set<PosixFilePermission> permissions) {
        return octal(permissions) + " (" + PosixFilePermissions.toString(permissions) + ")";
    }
}
