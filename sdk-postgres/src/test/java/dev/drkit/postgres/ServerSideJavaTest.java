package dev.drkit.postgres;

import dev.drkit.postgres.internal.RunAs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The command line runs a Java main class as the server's user, from a copy of the class path. */
class ServerSideJavaTest {

    /** The program the command line runs: prints its arguments and who it runs as, exits with 7. */
    public static final class Echo {
        public static void main(String[] args) {
            System.out.println(String.join("|", args) + " as " + System.getProperty("user.name"));
            System.exit(7);
        }
    }

    @Test
    void runsAMainClassAsTheServersUserFromACopyOfTheClassPath(@TempDir Path dir) throws Exception {
        // @TempDir is 0700: open it as a server's work directory would be.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path lib = dir.resolve("lib");

        String script = ServerSideJava.commandLine(lib, Echo.class);
        String command = script + " one " + ServerSideJava.shellQuote("it's two");
        // Short enough for archive_command, which PostgreSQL 15 cuts at 1024 bytes, whatever the class path.
        assertThat(script.length()).isLessThan(200);

        RunAs runAs = RunAs.detect(null);
        Process process = new ProcessBuilder(runAs.wrap(List.of("/bin/sh", "-c", command)))
            .directory(Path.of("/").toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isEqualTo(7);
        String user = runAs.user().map(u -> u.name()).orElse(System.getProperty("user.name"));
        assertThat(output).contains("one|it's two as " + user);
        try (var copied = Files.list(lib)) {
            // Readable by everyone, writable by the owner only.
            assertThat(copied).hasSizeGreaterThan(1).allSatisfy(entry -> assertThat(
                PosixFilePermissions.toString(Files.getPosixFilePermissions(entry))).matches("rw.r..r.."));
        }
    }

    /** A training run: loads what Echo loads. */
    public static final class Training {
        public static void main(String[] args) {
            System.out.println(Echo.class.getName() + " " + String.join("|", List.of("a", "b")));
        }
    }

    @Test
    void withATrainingClassTheScriptMapsAClassDataSharingArchive(@TempDir Path dir) throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path lib = dir.resolve("lib");

        String script = ServerSideJava.commandLine(lib, Echo.class, Training.class);

        Path archive = lib.resolve("classes-" + Echo.class.getName() + ".jsa");
        assertThat(archive).isRegularFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(archive))).isEqualTo("r--r--r--");
        assertThat(Files.readString(Path.of(script.substring(1, script.length() - 1))))
            .contains("-XX:SharedArchiveFile=" + ServerSideJava.shellQuote(archive.toString()));
        try (var copied = Files.list(lib)) {
            // every class path entry a file (directories packed as jars), as the archive needs
            assertThat(copied.filter(p -> !p.equals(archive))).allSatisfy(p -> assertThat(p).isRegularFile());
        }
        // run as the server's user: Echo comes from the archive, and the output is Echo's alone
        Path log = dir.resolve("class-load.log");
        Files.writeString(log, "");
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-rw-rw-"));
        RunAs runAs = RunAs.detect(null);
        Process process = new ProcessBuilder(runAs.wrap(List.of("/bin/sh", "-c", script + " x")))
            .directory(Path.of("/").toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isEqualTo(7);
        assertThat(output.lines()).as(output).hasSize(1);

        String logged = script.substring(1, script.length() - 1);
        String body = Files.readString(Path.of(logged));
        Path probe = dir.resolve("probe.sh");
        Files.writeString(probe, body.replace("-XX:+UseSerialGC", "-XX:+UseSerialGC -Xlog:class+load=info:file="
            + log));
        Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rwxr-xr-x"));
        Process probed = new ProcessBuilder(runAs.wrap(List.of("/bin/sh", probe.toString())))
            .directory(Path.of("/").toFile()).redirectErrorStream(true).start();
        probed.getInputStream().readAllBytes();
        assertThat(probed.waitFor(60, TimeUnit.SECONDS)).isTrue();
        // Echo from the archive, and the JDK's classes with it; a static archive (a dynamic one, which says "(top)",
        // leaves out the Java 5 class files of libraries such as picocli)
        assertThat(Files.readString(log))
            .containsPattern("(?m)dev\\.drkit\\.postgres\\.ServerSideJavaTest\\$Echo source: shared objects file$")
            .contains("java.lang.Object source: shared objects file");
    }

    @Test
    void quotesEveryShellCharacter() {
        assertThat(ServerSideJava.shellQuote("a b'c$d")).isEqualTo("'a b'\\''c$d'");
    }

    @Test
    void refusesALibraryDirectoryTheClassPathCannotName(@TempDir Path dir) {
        assertThatThrownBy(() -> ServerSideJava.commandLine(dir.resolve("a:b"), Echo.class))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("class path separator");
        assertThat(dir.resolve("a:b")).doesNotExist();
    }
}
