package dev.drkit.backup;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Stock tools the interoperability tests run (gpg, zstd, tar, jq), found as a shell would find them. */
public final class ExternalTools {

    private ExternalTools() {
    }

    /** Whether {@code tool} is an executable in a directory of {@code PATH}. */
    public static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String directory : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(directory, tool))) {
                return true;
            }
        }
        return false;
    }
}
