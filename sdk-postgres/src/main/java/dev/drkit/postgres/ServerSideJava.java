package dev.drkit.postgres;

import dev.drkit.core.EnvironmentException;
import org.jspecify.annotations.Nullable;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A {@code java} command line that the PostgreSQL server's operating-system user can run, for settings such as
 * {@code archive_command} and {@code restore_command} that call back into Java (for example
 * {@code drkit wal-push %p}).
 *
 * <p>When the JVM runs as root, the server runs as an unprivileged user ({@link PgCluster#serverUser()}) that
 * usually cannot read the JVM's class path (a build's local repository under {@code /root}, say). So the class
 * path is copied into a directory of the caller's choosing, readable by everyone (0755 directories, 0644 files).
 * Copy only what holds no secrets: a class path does not. The JVM starts with a small heap and the serial
 * collector, since such commands run once per WAL file and start-up dominates (C1-only compilation would slow the
 * OpenPGP key derivation a passphrase needs).
 *
 * <p>The command line is a short script path, not the whole {@code java -cp ...} line: PostgreSQL 15 builds
 * {@code archive_command} into a buffer of 1024 bytes and silently cuts longer commands.
 *
 * <p>With a training class ({@link #commandLine(Path, Class, Class)}), the JVM's start is shortened further by an
 * application class-data sharing archive: the training class's {@code main} runs once, when the script is made,
 * listing the classes it loads, a static archive of them (and of the JDK's default list) is dumped, and the script
 * maps it ({@code -XX:SharedArchiveFile}). Directories on the class path are copied as jars for this, since the archive
 * takes only jars. If the archive cannot be made, the script runs without it; a JVM that finds it unusable
 * (another JDK) ignores it without a word.
 *
 * @since 0.1
 */
public final class ServerSideJava {

    private ServerSideJava() {
    }

    /**
     * Copies this JVM's class path into {@code libraryDirectory} (created, or reused if it exists), writes a script
     * there that runs {@code mainClass} from that copy with the script's arguments, and returns the script's path
     * as a shell word. Append the program's arguments to it; quote any that may contain shell characters.
     *
     * @param libraryDirectory where to copy the class path; every directory above it must be searchable by the
     *                         server's user
     * @param mainClass        the class whose {@code main} runs
     * @throws EnvironmentException if the class path cannot be copied
     */
    public static String commandLine(Path libraryDirectory, Class<?> mainClass) {
        return commandLine(libraryDirectory, mainClass, null);
    }

    /**
     * As {@link #commandLine(Path, Class)}, and the script maps a class-data sharing archive made by running
     * {@code training}'s {@code main} (no arguments) once now, in a JVM of its own with the copied class path: give
     * a class that runs what the command will run (the classes it loads are what the archive holds). Its output is
     * discarded; a training that fails or leaves no archive only costs the archive.
     *
     * @param training a class with a {@code main} that exercises the command, or {@code null} for no archive
     * @throws EnvironmentException if the class path cannot be copied
     * @since 0.1
     */
    public static String commandLine(Path libraryDirectory, Class<?> mainClass, @Nullable Class<?> training) {
        Objects.requireNonNull(libraryDirectory, "libraryDirectory");
        Objects.requireNonNull(mainClass, "mainClass");
        if (libraryDirectory.toAbsolutePath().toString().contains(File.pathSeparator)) {
            // a class path cannot quote its separator: the script would fail with ClassNotFoundException
            throw new IllegalArgumentException("libraryDirectory must not contain '" + File.pathSeparator
                + "' (the class path separator), but was " + libraryDirectory);
        }
        List<String> entries = new ArrayList<>();
        try {
            Files.createDirectories(libraryDirectory);
            Files.setPosixFilePermissions(libraryDirectory, PosixFilePermissions.fromString("rwxr-xr-x"));
            int index = 0;
            for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
                Path source = entry.isEmpty() ? null : Path.of(entry);
                if (source == null || !Files.exists(source)) {
                    continue;
                }
                Path target;
                if (training != null && Files.isDirectory(source)) {
                    target = libraryDirectory.resolve(index++ + "-" + entryName(source) + ".jar");
                    writeJar(source, target);
                } else {
                    target = libraryDirectory.resolve(index++ + "-" + entryName(source));
                    copyReadable(source, target);
                }
                entries.add(target.toAbsolutePath().toString());
            }
        } catch (IOException e) {
            throw new EnvironmentException("Cannot copy the class path into " + libraryDirectory + " for the server's"
                + " user: " + e.getMessage(), Map.of("file", libraryDirectory.toString()), e);
        }
        String java = ProcessHandle.current().info().command().orElse(
            Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path script = libraryDirectory.resolve("run-" + mainClass.getName());
        String classPath = String.join(File.pathSeparator, entries);
        String sharing = "";
        if (training != null) {
            Path archive = libraryDirectory.resolve("classes-" + mainClass.getName() + ".jsa");
            if (train(java, classPath, training, archive)) {
                sharing = " -XX:SharedArchiveFile=" + shellQuote(archive.toAbsolutePath().toString()) + " " + QUIET_CDS;
            }
        }
        String body = "#!/bin/sh\nexec " + shellQuote(java) + " -XX:+UseSerialGC -Xmx256m" + sharing + " -cp "
            + shellQuote(classPath) + " " + shellQuote(mainClass.getName()) + " \"$@\"\n";
        try {
            Files.writeString(script, body);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new EnvironmentException("Cannot write " + script + ": " + e.getMessage(),
                Map.of("file", script.toString()), e);
        }
        return shellQuote(script.toAbsolutePath().toString());
    }

    /** The copy's name: the source's, without the class path separator (a copy's name must not split the path). */
    private static String entryName(Path source) {
        return source.getFileName().toString().replace(File.pathSeparator, "_");
    }

    /** Keeps a JVM from saying, on standard output, that it cannot use the archive. */
    private static final String QUIET_CDS = "-Xlog:cds=off,cds+dynamic=off";

    /**
     * Makes a static archive of what {@code training} loads: the training runs once listing its classes
     * ({@code -XX:DumpLoadedClassList}), and {@code -Xshare:dump} archives them with the JDK's own default list
     * (which a static archive replaces). Static rather than dynamic ({@code -XX:ArchiveClassesAtExit}) because JDK 17
     * leaves class files older than Java 6 (picocli's, say) out of dynamic archives. True when it left a readable
     * archive.
     */
    private static boolean train(String java, String classPath, Class<?> training, Path archive) {
        Path partial = archive.resolveSibling(archive.getFileName() + ".tmp");
        Path classList = archive.resolveSibling(archive.getFileName() + ".classes");
        try {
            Files.deleteIfExists(archive);
            Files.deleteIfExists(partial);
            // a training that exits non-zero has still loaded classes worth archiving
            if (run(java, "-XX:+UseSerialGC", "-Xmx256m", "-XX:DumpLoadedClassList=" + classList, "-cp", classPath,
                training.getName()) < 0 || !Files.isRegularFile(classList) || Files.size(classList) == 0) {
                return false;
            }
            // the script runs this JVM's java, whose home this is
            Path jdkList = Path.of(System.getProperty("java.home"), "lib", "classlist");
            if (Files.isRegularFile(jdkList)) {
                Files.write(classList, Files.readAllBytes(jdkList), StandardOpenOption.APPEND);
            }
            // a JVM that finds a static archive unusable runs with none, not even the JDK's: keep only a whole one
            int dumped = run(java, "-Xshare:dump", "-XX:SharedClassListFile=" + classList,
                "-XX:SharedArchiveFile=" + partial, "-cp", classPath);
            if (dumped != 0 || !Files.isRegularFile(partial) || Files.size(partial) == 0) {
                Files.deleteIfExists(partial);
                return false;
            }
            Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE);
            Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("r--r--r--"));
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            try {
                Files.deleteIfExists(classList);
            } catch (IOException e) {
                // a leftover list of class names holds nothing secret; the next training replaces it
            }
        }
    }

    /** Runs a JVM with its output discarded, for at most two minutes; its exit code, or -1 if it had to be killed. */
    private static int run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            return -1;
        }
        return process.exitValue();
    }

    /** The files under {@code directory} as a jar at {@code target}, readable by everyone. */
    private static void writeJar(Path directory, Path target) throws IOException {
        try (OutputStream file = Files.newOutputStream(target);
             JarOutputStream jar = new JarOutputStream(file);
             Stream<Path> files = Files.walk(directory)) {
            for (Path path : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                jar.putNextEntry(new JarEntry(directory.relativize(path).toString().replace(File.separatorChar, '/')));
                Files.copy(path, jar);
                jar.closeEntry();
            }
        }
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** {@code value} as one single-quoted shell word. */
    public static String shellQuote(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }

    private static void copyReadable(Path source, Path target) throws IOException {
        if (!Files.isDirectory(source)) {
            Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
            return;
        }
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path copy = target.resolve(source.relativize(dir).toString());
                Files.createDirectories(copy);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path copy = target.resolve(source.relativize(file).toString());
                Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
