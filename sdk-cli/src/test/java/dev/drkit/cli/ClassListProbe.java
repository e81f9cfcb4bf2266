package dev.drkit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads, without initialising them, the classes a JDK class list ({@code lib/classlist}) names: {@link LauncherTest}
 * runs it with the launcher's class-data sharing archive to see where they come from.
 */
public final class ClassListProbe {

    private ClassListProbe() {
    }

    public static void main(String[] args) throws IOException {
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (line.isBlank() || line.startsWith("#") || line.startsWith("@")) {
                continue;
            }
            String name = line.split(" ", 2)[0].replace('/', '.');
            try {
                Class.forName(name, false, ClassLoader.getSystemClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // not in this JDK: nothing to look at
            }
        }
    }
}
