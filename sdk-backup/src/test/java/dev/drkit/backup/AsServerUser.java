package dev.drkit.backup;

import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.ServerSideJava;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * For tests of what a user who is not root meets (root may read, write and search anything, so permissions would
 * test nothing): when this JVM is root, such a user is the unprivileged one PostgreSQL would run as
 * ({@link PgCluster#serverUser()}), and code runs as it in a JVM of its own, started by {@code runuser}.
 */
public final class AsServerUser {

    private AsServerUser() {
    }

    /** The user to run as, or empty when this JVM is not root (it is such a user itself). */
    public static Optional<String> user() {
        return PgCluster.serverUser();
    }

    /** Gives every file and directory of {@code tree} to {@link #user()} (nothing when there is none). */
    public static void giveTree(Path tree) throws IOException {
        Optional<String> user = user();
        if (user.isEmpty()) {
            return;
        }
        UserPrincipal owner = tree.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user.get());
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Files.setOwner(path, owner);
            }
        }
    }

    /**
     * Runs {@code mainClass} with {@code args} as {@link #user()} (which must be present), this JVM's class path
     * copied into {@code libraryDirectory} for it to read; returns an empty string when it exited 0, else the exit
     * code and its output.
     */
    public static String run(Path libraryDirectory, Class<?> mainClass, String... args) throws Exception {
        StringBuilder command = new StringBuilder(ServerSideJava.commandLine(libraryDirectory, mainClass));
        for (String arg : args) {
            command.append(' ').append(ServerSideJava.shellQuote(arg));
        }
        Process process = new ProcessBuilder("runuser", "-u", user().orElseThrow(), "--", "/bin/sh", "-c",
            command.toString()).directory(Path.of("/").toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return "did not exit within 120 s: " + output;
        }
        return process.exitValue() == 0 ? "" : "exit " + process.exitValue() + ": " + output;
    }
}
