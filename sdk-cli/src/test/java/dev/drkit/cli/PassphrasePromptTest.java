package dev.drkit.cli;

import dev.drkit.backup.ExternalTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code --passphrase-prompt}: the passphrase typed on a real terminal (a pseudo-terminal made by util-linux's
 * {@code script}), without echo, twice when it encrypts; a clear refusal where there is no terminal.
 */
class PassphrasePromptTest {

    private static final String PASSPHRASE = "correct horse battery staple";

    @Test
    void aBackupMadeWithATypedPassphraseOpensWithThatPassphraseInAFileAndNothingTypedIsEchoed(@TempDir Path dir)
        throws Exception {
        assumeTrue(ExternalTools.onPath("script"), "util-linux's script is not on PATH: no pseudo-terminal to type on");
        Path source = Files.writeString(dir.resolve("vault.hcl"), "storage \"raft\" {}\n");
        Path store = dir.resolve("store");

        Terminal backup = Terminal.run(dir, "backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-prompt");
        backup.type("drkit backup: passphrase: ", PASSPHRASE);
        backup.type("drkit backup: the same passphrase again: ", PASSPHRASE);
        backup.finish();

        assertThat(backup.exitCode).as(backup.screen()).isZero();
        assertThat(backup.screen()).doesNotContain(PASSPHRASE);
        List<Path> ids = backups(store);
        assertThat(ids).hasSize(1);
        Path file = Files.writeString(dir.resolve("typed.passphrase"), PASSPHRASE + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        CliRun verify = CliRun.of("verify", "--store", store.toString(), "--id", ids.get(0).getFileName().toString(),
            "--full", "--passphrase-file", file.toString());
        assertThat(verify.code).as(verify.err).isZero();

        // and the restore side asks once
        Path target = dir.resolve("restored.hcl");
        Terminal restore = Terminal.run(dir, "restore", "--store", store.toString(), "--id",
            ids.get(0).getFileName().toString(), "--target", target.toString(), "--passphrase-prompt");
        restore.type("drkit restore: passphrase: ", PASSPHRASE);
        restore.finish();
        assertThat(restore.exitCode).as(restore.screen()).isZero();
        assertThat(restore.screen()).doesNotContain(PASSPHRASE).doesNotContain("the same passphrase again");
        assertThat(Files.readString(target)).isEqualTo("storage \"raft\" {}\n");
    }

    @Test
    void aKeyProtectedByATypedPassphraseIsUnlockedByTypingItAgain(@TempDir Path dir) throws Exception {
        assumeTrue(ExternalTools.onPath("script"), "util-linux's script is not on PATH: no pseudo-terminal to type on");
        Path keys = Files.createDirectory(dir.resolve("keys"));
        Terminal keygen = Terminal.run(dir, "keygen", "--out", keys.toString(), "--passphrase-prompt");
        keygen.type("drkit keygen: passphrase: ", PASSPHRASE);
        keygen.type("drkit keygen: the same passphrase again: ", PASSPHRASE);
        keygen.finish();
        assertThat(keygen.exitCode).as(keygen.screen()).isZero();
        assertThat(keygen.screen()).doesNotContain(PASSPHRASE).doesNotContain("not protected");

        Path source = Files.writeString(dir.resolve("vault.hcl"), "storage \"raft\" {}\n");
        Path store = dir.resolve("store");
        CliRun backup = CliRun.of("backup", "--store", store.toString(), "--source", source.toString(), "--recipient",
            keys.resolve("backup.pub.asc").toString());
        assertThat(backup.code).as(backup.err).isZero();
        String id = backup.out.strip();

        CliRun locked = CliRun.of("verify", "--store", store.toString(), "--id", id, "--full", "--identity",
            keys.resolve("backup.key.asc").toString());
        assertThat(locked.code).as("a protected key without its passphrase: %s", locked.err).isNotZero();
        Terminal verify = Terminal.run(dir, "verify", "--store", store.toString(), "--id", id, "--full", "--identity",
            keys.resolve("backup.key.asc").toString(), "--passphrase-prompt");
        verify.type("drkit verify: passphrase: ", PASSPHRASE);
        verify.finish();
        assertThat(verify.exitCode).as(verify.screen()).isZero();
        assertThat(verify.screen()).doesNotContain(PASSPHRASE);
    }

    @Test
    void twoDifferentPassphrasesTypedForABackupStoreNothing(@TempDir Path dir) throws Exception {
        assumeTrue(ExternalTools.onPath("script"), "util-linux's script is not on PATH: no pseudo-terminal to type on");
        Path source = Files.writeString(dir.resolve("vault.hcl"), "storage \"raft\" {}\n");
        Path store = dir.resolve("store");

        Terminal backup = Terminal.run(dir, "backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-prompt");
        backup.type("drkit backup: passphrase: ", PASSPHRASE);
        backup.type("drkit backup: the same passphrase again: ", PASSPHRASE + "!");
        backup.finish();

        assertThat(backup.exitCode).as(backup.screen()).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(backup.screen()).contains("drkit backup: The two passphrases typed differ; nothing was written")
            .doesNotContain(PASSPHRASE);
        assertThat(backups(store)).isEmpty();
    }

    @Test
    void withoutATerminalThePromptIsRefusedClearlyAndWithAnotherPassphraseOptionItIsAUsageError(@TempDir Path dir)
        throws IOException {
        Path source = Files.writeString(dir.resolve("vault.hcl"), "storage \"raft\" {}\n");
        Path store = dir.resolve("store");
        Path file = Files.writeString(dir.resolve("p"), PASSPHRASE + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        CliRun noTerminal = CliRun.of("backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-prompt");
        CliRun both = CliRun.of("backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-prompt", "--passphrase-file", file.toString());
        CliRun none = CliRun.of("backup", "--store", store.toString(), "--source", source.toString());

        assertThat(noTerminal.code).as(noTerminal.err).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(noTerminal.err).contains("No console to ask for a secret on");
        assertThat(both.code).as(both.err).isEqualTo(ExitCodes.USAGE);
        assertThat(both.err).contains("give only one of --passphrase-file, --passphrase-env and --passphrase-prompt");
        assertThat(none.code).as(none.err).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err).contains("--passphrase-prompt");
        assertThat(backups(store)).isEmpty();
    }

    private static List<Path> backups(Path store) throws IOException {
        if (!Files.isDirectory(store)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(store)) {
            return entries.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
    }

    /**
     * drkit in a JVM of its own on a pseudo-terminal: {@code script} gives the child a terminal as standard input and
     * output and copies what is written to its own standard input onto it. Input is typed only once the prompt is on
     * the screen, when the terminal's echo is off, as a person would type it.
     */
    private static final class Terminal {

        private final Process process;
        private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
        private final Thread reader;
        /** Where on the screen the prompt answered last ends: a prompt is looked for after it. */
        private int consumed;
        int exitCode = -1;

        private Terminal(Process process) {
            this.process = process;
            this.reader = new Thread(this::copyScreen, "terminal-screen");
            reader.setDaemon(true);
            reader.start();
        }

        static Terminal run(Path dir, String... args) throws IOException {
            StringBuilder shell = new StringBuilder("exec");
            for (String word : CliRun.childCommand(args)) {
                shell.append(" '").append(word.replace("'", "'\\''")).append('\'');
            }
            ProcessBuilder builder = new ProcessBuilder("script", "--quiet", "--return", "--command", shell.toString(),
                "/dev/null").directory(dir.toFile()).redirectErrorStream(true);
            return new Terminal(builder.start());
        }

        private void copyScreen() {
            try (InputStream in = process.getInputStream()) {
                byte[] buffer = new byte[4096];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    synchronized (screen) {
                        screen.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }

        String screen() {
            synchronized (screen) {
                return screen.toString(StandardCharsets.UTF_8);
            }
        }

        /**
         * Waits until {@code prompt} is the last thing on the screen, after what earlier prompts showed, then types
         * {@code line} and Enter. (Counting the prompt's occurrences when called would miss one drkit printed
         * before this was called.)
         */
        void type(String prompt, String line) throws IOException, InterruptedException {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            int at;
            while (true) {
                String now = screen();
                at = now.indexOf(prompt, consumed);
                if (at >= 0 && now.endsWith(prompt)) {
                    break;
                }
                if (Instant.now().isAfter(deadline) || !process.isAlive()) {
                    throw new AssertionError("no prompt '" + prompt + "' on the screen:\n" + now);
                }
                Thread.sleep(20);
            }
            consumed = at + prompt.length();
            OutputStream keyboard = process.getOutputStream();
            keyboard.write((line + "\r").getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
        }

        void finish() throws InterruptedException, IOException {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("drkit did not end:\n" + screen());
            }
            reader.join(10_000);
            process.getOutputStream().close();
            exitCode = process.exitValue();
        }
    }
}
