package dev.drkit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads, without initialising them, the classes a JDK class list ({@code lib/classlist}) names: {@link LauncherTest}
 * runs it with the launcher's class-data sharing archive to see where they come from.
 */
public final class ClassListProbe {

    private ClassListProbe() {
    }

    public static void main(String[] args) throws IOException {
        for (String name : classNames(Path.of(args[0]))) {
            try {
                Class.forName(name, false, ClassLoader.getSystemClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // not in this JDK: nothing to look at
            }
        }
    }

    /** The binary names of the classes a class list names (comments and {@code @} directives left out). */
    static List<String> classNames(Path classList) throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(classList)) {
            if (!line.isBlank() && !line.startsWith("#") && !line.startsWith("@")) {
                names.add(line.split(" ", 2)[0].replace('/', '.'));
            }
        }
        return names;
    }
}
