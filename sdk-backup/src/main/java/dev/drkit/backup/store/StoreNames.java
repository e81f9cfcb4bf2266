package dev.drkit.backup.store;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The rule for backup ids and object names: 1 to 128 characters of {@code [A-Za-z0-9._-]}, starting with a
 * letter or digit. Safe as a file name and as an S3 key segment on every platform, and never {@code .} or
 * {@code ..}.
 *
 * @since 0.1
 */
public final class StoreNames {

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private StoreNames() {
    }

    /** Whether {@code name} follows the rule. */
    public static boolean isValid(String name) {
        return VALID.matcher(Objects.requireNonNull(name, "name")).matches();
    }

    /**
     * {@code name}, if it follows the rule.
     *
     * @param what what the name is, for the message ("backup id", "object name")
     * @throws IllegalArgumentException otherwise
     */
    public static String check(String name, String what) {
        Objects.requireNonNull(name, what);
        if (!isValid(name)) {
            throw new IllegalArgumentException(what + " must be 1 to 128 characters of [A-Za-z0-9._-] starting "
                + "with a letter or digit, but was \"" + (name.length() > 140 ? name.substring(0, 140) + "..." : name)
                .replaceAll("\\p{Cntrl}", "?") + "\"");
        }
        return name;
    }
}
