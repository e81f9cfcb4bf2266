package dev.drkit.core.secret;

import dev.drkit.core.EnvironmentException;
import dev.drkit.core.internal.Procfs;
import dev.drkit.core.testing.LogCapture;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

class CredentialFilesTest {

    static final String LINE = "db.internal:5432:*:app:s3cr3t-pw";

    @TempDir
    Path parent;

    @Test
    void makesAnOwnerOnlyDirectoryOfOwnerOnlyFilesWithTheContent() throws IOException {
        try (CredentialFiles files = CredentialFiles.create("pg_dump", parent, null);
             Secret line = Secret.ofString(LINE, "pgpass")) {
            Path file = files.write("pgpass", line);

            assertThat(files.directory().getParent()).isEqualTo(parent);
            assertThat(files.directory().getFileName().toString()).startsWith("drkit-pg_dump-");
            assertThat(Files.getPosixFilePermissions(files.directory()))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
            assertThat(file.getParent()).isEqualTo(files.directory());
            assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.readString(file)).isEqualTo(LINE);
        }
    }

    @Test
    void removesFilesAndDirectoryOnClose() throws IOException {
        CredentialFiles files = CredentialFiles.create("test", parent, null);
        Path a = files.write("a", Secret.ofString("one", "a"));
        Path b = files.write("b", Secret.ofString("two", "b"));

        files.close();

        assertThat(files.isClosed()).isTrue();
        assertThat(a).doesNotExist();
        assertThat(b).doesNotExist();
        assertThat(files.directory()).doesNotExist();
        files.close();   // idempotent
    }

    @Test
    void removesWhatAChildLeftInASubdirectoryButNothingALinkPointsTo() throws IOException {
        CredentialFiles files = CredentialFiles.create("test", parent, null);
        files.write("pgpass", Secret.ofString("password", "pgpass"));
        Path outside = Files.writeString(parent.resolve("not-a-credential"), "keep me");
        Path nested = Files.createDirectories(files.directory().resolve("tool-cache").resolve("deeper"));
        Files.writeString(nested.resolve("copy-of-the-password"), "password");
        Files.createSymbolicLink(nested.resolve("link-out"), outside);

        files.close();

        assertThat(files.directory()).doesNotExist();
        assertThat(outside).hasContent("keep me");
    }

    @Test
    void removesEverythingWhenARealChildProcessFails() throws Exception {
        Path file;
        Path directory;
        try (CredentialFiles files = CredentialFiles.create("child", parent, null);
             Secret line = Secret.ofString(LINE, "pgpass")) {
            file = files.write("pgpass", line);
            directory = files.directory();
            // The child reads the file, leaves a copy of its own beside it, and fails.
            ProcessBuilder child = new ProcessBuilder("/bin/sh", "-c",
                "cat \"$F\" > \"$(dirname \"$F\")/copy-left-by-child\"; exit 3");
            child.environment().put("F", file.toString());
            child.redirectErrorStream(true);
            Process process = child.start();

            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(3);
            assertThat(Files.readString(directory.resolve("copy-left-by-child"))).isEqualTo(LINE);
            assertThatThrownBy(() -> failBecauseChildFailed(process))
                .isInstanceOf(IllegalStateException.class);
        }

        assertThat(file).doesNotExist();
        assertThat(directory.resolve("copy-left-by-child")).doesNotExist();
        assertThat(directory).doesNotExist();
    }

    @Test
    void removesEverythingWhenTheCallerThrowsWhileTheFilesAreOpen() {
        List<Path> seen = new ArrayList<>();

        assertThatThrownBy(() -> {
            try (CredentialFiles files = CredentialFiles.create("throws", parent, null)) {
                seen.add(files.write("pgpass", Secret.ofString(LINE, "pgpass")));
                seen.add(files.directory());
                throw new IllegalStateException("pg_dump exited with 1");
            }
        }).hasMessage("pg_dump exited with 1");

        assertThat(seen).hasSize(2).allSatisfy(path -> assertThat(path).doesNotExist());
    }

    @Test
    void theShutdownHookRemovesFilesWhenTheJvmExitsWithoutClosingThem() throws Exception {
        Process jvm = childJvm();
        Path file = Path.of(firstLine(jvm));

        assertThat(file).exists().hasContent("localhost:5432:*:app:child-secret");
        tell(jvm, "exit");
        assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(jvm.exitValue()).isZero();
        assertThat(file).doesNotExist();
        assertThat(file.getParent()).doesNotExist();
    }

    @Test
    void theShutdownHookRemovesFilesWhenTheJvmIsTerminated() throws Exception {
        Process jvm = childJvm("wait");
        Path file = Path.of(firstLine(jvm));
        tell(jvm, "go");   // now it sleeps until terminated

        assertThat(file).exists();
        jvm.destroy();   // SIGTERM: the JVM runs its shutdown hooks
        assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(jvm.exitValue()).isEqualTo(128 + 15);
        assertThat(file).doesNotExist();
        assertThat(file.getParent()).doesNotExist();
    }

    @Test
    void theShutdownHookRemovesFilesEvenWhileAThreadHoldsTheirLock() throws Exception {
        Process jvm = childJvm("locked");
        Path file = Path.of(firstLine(jvm));
        tell(jvm, "exit");   // the child calls System.exit while holding the CredentialFiles' monitor

        boolean exited = jvm.waitFor(30, TimeUnit.SECONDS);
        if (!exited) {
            jvm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }

        assertThat(exited).as("the child JVM exits instead of waiting for the lock in its shutdown hook").isTrue();
        assertThat(file).doesNotExist();
        assertThat(file.getParent()).doesNotExist();
    }

    @Test
    void theNextCreateRemovesWhatAJvmKilledWithSigkillLeftAndKeepsALiveJvmsFiles() throws Exception {
        Process killed = childJvm("wait");
        Process live = childJvm("wait");
        try {
            Path leftover = Path.of(firstLine(killed));
            Path kept = Path.of(firstLine(live));
            killed.destroyForcibly();   // SIGKILL: no shutdown hook runs
            assertThat(killed.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(killed.exitValue()).isEqualTo(128 + 9);
            assertThat(leftover).as("nothing removes it at the kill").hasContent("localhost:5432:*:app:child-secret");
            assertThat(leftover.getParent().getFileName().toString())
                .startsWith("drkit-exit-test-p" + killed.pid() + "s");

            try (LogCapture logs = LogCapture.of(CredentialFiles.class);
                 CredentialFiles files = CredentialFiles.create("sweeper", parent, null)) {
                assertThat(leftover).doesNotExist();
                assertThat(leftover.getParent()).doesNotExist();
                assertThat(kept).as("a live process's file").hasContent("localhost:5432:*:app:child-secret");
                assertThat(files.directory()).exists();
                assertThat(logs.events()).filteredOn(e -> e.getLevel() == Level.INFO)
                    .extracting(ILoggingEvent::getFormattedMessage).singleElement().asString()
                    .contains(leftover.getParent().toString(), "process " + killed.pid(), "1 files")
                    .doesNotContain("child-secret");
            }
        } finally {
            live.destroy();
            live.waitFor(60, TimeUnit.SECONDS);
            killed.destroyForcibly();
        }
    }

    @Test
    void theSweepLeavesAloneWhatItCannotProveWasLeftByAProcessOfThisUserThatIsGone() throws Exception {
        long pid = ProcessHandle.current().pid();
        String namespace = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString().replaceAll("\\D", "");
        String host = Procfs.Owner.self().orElseThrow().host();
        String otherHost = host.equals("00000000") ? "00000001" : "00000000";
        // This JVM's pid with another start time: the process that had this pid before it, gone.
        String before = "p" + pid + "s" + (Procfs.startTicks(pid).orElseThrow() + 1) + "n" + namespace;
        String gone = before + "h" + host;
        Path removed = leftover("drkit-pg-dump-" + gone + "-1");
        Path otherNamespace = leftover("drkit-pg-dump-p" + pid + "s1n" + namespace + "1h" + host + "-2");
        // the same on another machine sharing this file system: its pid means nothing here
        Path otherMachine = leftover("drkit-pg-dump-" + before + "h" + otherHost + "-7");
        Path olderName = leftover("drkit-pg-dump-" + before + "-8");
        Path unnamed = leftover("drkit-pg-dump-3");
        Path notDrkit = leftover("pg-dump-" + gone + "-4");
        Path target = leftover("link-target");
        Path link = Files.createSymbolicLink(parent.resolve("drkit-pg-dump-" + gone + "-5"), target);
        Path inside = Files.createDirectories(removed.resolve("subdirectory"));
        Files.writeString(inside.resolve("copy"), LINE);
        Files.createSymbolicLink(removed.resolve("outward"), target.resolve("pgpass"));
        Path otherUser = null;
        if ("root".equals(System.getProperty("user.name"))) {
            otherUser = leftover("drkit-pg-dump-" + gone + "-6");
            UserPrincipal nobody = parent.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(otherUser, nobody);
        }

        try (CredentialFiles files = CredentialFiles.create("sweeper", parent, null)) {
            assertThat(removed).as("the control: a leftover of a process that is gone").doesNotExist();
            for (Path keep : List.of(otherNamespace, otherMachine, olderName, unnamed, notDrkit)) {
                assertThat(keep.resolve("pgpass")).as(keep.toString()).hasContent(LINE);
            }
            assertThat(link).as("a link is not a directory of ours").isSymbolicLink();
            assertThat(target.resolve("pgpass")).as("nothing is removed through a link").hasContent(LINE);
            if (otherUser != null) {
                assertThat(otherUser.resolve("pgpass")).as("another user's").hasContent(LINE);
            }
        }
    }

    /** A directory like one CredentialFiles makes, holding a pgpass file. */
    private Path leftover(String name) throws IOException {
        Path dir = Files.createDirectory(parent.resolve(name),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(dir.resolve("pgpass"), LINE);
        return dir;
    }

    @Test
    void leavesNoDirectoryBehindWhenTheOwnerDoesNotExist() throws IOException {
        assertThatThrownBy(() -> CredentialFiles.create("orphan", parent, "no-such-user-drkit"))
            .isInstanceOf(EnvironmentException.class)
            .hasMessageContaining("no-such-user-drkit");

        try (var left = Files.list(parent)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("drkit-orphan-"));
        }
    }

    @Test
    void givesTheFilesToAnotherUserWhenAsked() throws IOException {
        assumeThat(System.getProperty("user.name")).as("changing a file's owner needs root").isEqualTo("root");
        Path shared = Files.createTempDirectory("drkit-owner-test");   // @TempDir's parent may be 0700 root
        try (CredentialFiles files = CredentialFiles.create("owned", shared, "nobody")) {
            Path file = files.write("pgpass", Secret.ofString(LINE, "pgpass"));

            assertThat(Files.getOwner(files.directory()).getName())
                .as("the directory stays ours, so its entries cannot be swapped by the other user").isEqualTo("root");
            assertThat(Files.getPosixFilePermissions(files.directory()))
                .isEqualTo(PosixFilePermissions.fromString("rwx--x--x"));
            assertThat(Files.getOwner(file).getName()).isEqualTo("nobody");
            assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        } finally {
            Files.deleteIfExists(shared);
        }
    }

    @Test
    void refusesNamesThatAreNotPlainFileNames() {
        try (CredentialFiles files = CredentialFiles.create("names", parent, null);
             Secret secret = Secret.ofString("x", "x")) {
            for (String bad : List.of("../escape", "a/b", "", ".", "..", "x".repeat(65), "sp ace")) {
                assertThatThrownBy(() -> files.write(bad, secret))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
            }
            assertThatThrownBy(() -> CredentialFiles.create("bad/purpose", parent, null))
                .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void refusesToOverwriteAFileItWrote() {
        try (CredentialFiles files = CredentialFiles.create("twice", parent, null);
             Secret secret = Secret.ofString("x", "x")) {
            files.write("pgpass", secret);

            assertThatThrownBy(() -> files.write("pgpass", secret))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already exists");
        }
    }

    @Test
    void refusesToWriteAfterClose() {
        CredentialFiles files = CredentialFiles.create("closed", parent, null);
        files.close();

        assertThatThrownBy(() -> files.write("pgpass", Secret.ofString("x", "x")))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("is closed");
    }

    @Test
    void showsNoContentInToString() {
        try (CredentialFiles files = CredentialFiles.create("tostring", parent, null)) {
            files.write("pgpass", Secret.ofString(LINE, "pgpass"));

            assertThat(files.toString()).doesNotContain(LINE).contains("files=1");
        }
    }

    private static void failBecauseChildFailed(Process process) {
        if (process.exitValue() != 0) {
            throw new IllegalStateException("child exited with " + process.exitValue());
        }
    }

    private Process childJvm(String... extraArgs) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(
            Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx64m",
            "-cp", System.getProperty("java.class.path"), CredentialFilesExitMain.class.getName(), parent.toString()));
        command.addAll(List.of(extraArgs));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static String firstLine(Process jvm) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertThat(line).as("the child's first line, the credential file's path").isNotNull();
        return line;
    }

    private static void tell(Process jvm, String line) throws IOException {
        OutputStream in = jvm.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }
}
