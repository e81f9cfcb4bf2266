package dev.drkit.core.secret;

import org.jspecify.annotations.Nullable;

import java.io.Console;

/**
 * Reads a password without echoing it: {@link Console#readPassword} in production, a fake in tests.
 */
@FunctionalInterface
interface PasswordPrompt {

    /** The characters typed, or {@code null} at end of input. */
    char @Nullable [] readPassword(String prompt);

    /** The JVM's console, or {@code null} when standard input or output is not a terminal. */
    static @Nullable PasswordPrompt system() {
        Console console = System.console();
        if (console == null) {
            return null;
        }
        // "%s" so that a prompt holding '%' is printed, not taken as a format
        return prompt -> console.readPassword("%s", prompt);
    }
}
