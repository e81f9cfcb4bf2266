package dev.drkit.core.internal;

import java.util.Objects;

/**
 * Checks the names people give things (drills, steps, probes, canaries): they appear in logs, reports and
 * thread names, so they must fit on one line. Internal: no compatibility guarantees.
 */
public final class Names {

    private Names() {
    }

    /**
     * {@code value}, if it is 1 to {@code maxLength} characters, not blank, with no control characters.
     *
     * @throws NullPointerException     if {@code value} is null, naming {@code argumentName}
     * @throws IllegalArgumentException otherwise: {@code name must be 1 to 100 printable characters, but was "..."}
     */
    public static String printable(String value, int maxLength, String argumentName) {
        Objects.requireNonNull(value, argumentName);
        Checks.positive(maxLength, "maxLength");
        if (value.isBlank() || value.length() > maxLength || value.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(argumentName + " must be 1 to " + maxLength
                + " printable characters, but was \"" + Text.oneLine(value, maxLength + 20) + "\"");
        }
        return value;
    }
}
