package dev.drkit.cli;

import dev.drkit.backup.ExternalTools;
import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupSource;
import dev.drkit.backup.Compression;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A passphrase file means the same passphrase to drkit and to {@code gpg --passphrase-file}, which reads only its
 * first line and keeps a {@code \r}: the commands that make backups or keys refuse a file gpg would read as another
 * passphrase, before they write anything; the commands that read backups still read such a file as a whole, with a
 * warning, so backups an earlier drkit made with it keep opening.
 */
class PassphraseFileCommandsTest {

    /** The contents gpg reads as another passphrase than drkit would; none of their parts may be printed. */
    private static final Map<String, String> NOT_ONE_LINE = Map.of(
        "two-lines", "first line of the passphrase\nsecond line\n",
        "crlf", "first line of the passphrase\r\n");
    private static final List<String> PARTS = List.of("first line", "second line", "passphrase\r");

    private static CliRun drkit(String... args) {
        return CliRun.of(args);
    }

    private static Path passphraseFile(Path dir, String name, String content) throws IOException {
        Path file = dir.resolve(name + ".passphrase");
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static void assertRefusedAsNotOneLine(CliRun run, String command, Path file) {
        assertThat(run.code).as(run.err).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(run.err.strip()).startsWith("drkit " + command + ": Secret file " + file)
            .contains("gpg --passphrase-file", "one line")
            .doesNotContain("\n");
        for (String part : PARTS) {
            assertThat(run.err).doesNotContain(part);
        }
    }

    @Test
    void backupRefusesAPassphraseFileGpgReadsDifferentlyAndGpgOpensWhatAOneLineFileMade(@TempDir Path dir)
        throws Exception {
        Path source = Files.write(dir.resolve("dump.sql"), "select 1;\n".repeat(1000).getBytes(StandardCharsets.UTF_8));
        Path store = dir.resolve("store");
        for (Map.Entry<String, String> file : NOT_ONE_LINE.entrySet()) {
            Path pass = passphraseFile(dir, file.getKey(), file.getValue());

            CliRun backup = drkit("backup", "--store", store.toString(), "--source", source.toString(),
                "--passphrase-file", pass.toString());

            assertRefusedAsNotOneLine(backup, "backup", pass);
            assertThat(backups(store)).as("backups in the store after %s", file.getKey()).isEmpty();
        }

        // One line with its newline: gpg, given the very same file, opens what drkit made with it.
        assumeTrue(ExternalTools.onPath("gpg"), "gpg is not on PATH: skipping the gpg half");
        Path pass = passphraseFile(dir, "one-line", "first line of the passphrase\n");
        CliRun backup = drkit("backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-file", pass.toString(), "--zstd-level", "0");
        assertThat(backup.code).as(backup.err).isZero();
        Path data = store.resolve(backup.out.strip()).resolve("data.pgp");
        Path gnupg = Files.createDirectory(dir.resolve("gnupg"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path restored = dir.resolve("restored.sql");
        try {
            int gpg = run(gnupg, "gpg", "--batch", "--pinentry-mode", "loopback", "--no-symkey-cache",
                "--passphrase-file", pass.toString(), "--output", restored.toString(), "--decrypt", data.toString());
            assertThat(gpg).isZero();
        } finally {
            run(gnupg, "gpgconf", "--kill", "gpg-agent");
        }
        assertThat(Files.readAllBytes(restored)).isEqualTo(Files.readAllBytes(source));
    }

    @Test
    void walPushAndKeygenRefuseSuchAFileBeforeWritingAnything(@TempDir Path dir) throws Exception {
        Path history = Files.writeString(dir.resolve("00000002.history"), "1\t0/3000000\tno recovery target\n");
        for (Map.Entry<String, String> file : NOT_ONE_LINE.entrySet()) {
            Path pass = passphraseFile(dir, file.getKey(), file.getValue());
            Path wal = dir.resolve("wal-" + file.getKey());
            Path keys = Files.createDirectory(dir.resolve("keys-" + file.getKey()));

            CliRun push = drkit("wal-push", "--store", wal.toString(), "--passphrase-file", pass.toString(),
                history.toString());
            CliRun keygen = drkit("keygen", "--out", keys.toString(), "--passphrase-file", pass.toString());

            assertRefusedAsNotOneLine(push, "wal-push", pass);
            assertThat(wal.resolve("00000002.history")).doesNotExist();
            assertRefusedAsNotOneLine(keygen, "keygen", pass);
            assertThat(keys).isEmptyDirectory();
        }
    }

    @Test
    void restoreAndVerifyStillOpenABackupMadeWithSuchAFileAndWarn(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectories(dir.resolve("vault/conf"));
        Files.writeString(source.resolve("vault.hcl"), "storage \"raft\" {}\n");
        Path store = dir.resolve("store");
        for (Map.Entry<String, String> file : NOT_ONE_LINE.entrySet()) {
            Path pass = passphraseFile(dir, file.getKey(), file.getValue());
            String id;
            // As drkit made backups before it required one line: the whole file, less one trailing newline.
            try (Secret whole = Secrets.fromFile(pass);
                 FileSystemStore fs = FileSystemStore.open(store)) {
                BackupEngine engine = BackupEngine.builder(fs).encryption(Encryption.passphrase(whole))
                    .compression(Compression.zstd(1)).build();
                id = engine.backup(BackupSource.directory(source)).id();
            }
            Path target = dir.resolve("restored-" + file.getKey());

            CliRun verify = drkit("verify", "--store", store.toString(), "--id", id, "--full", "--passphrase-file",
                pass.toString());
            CliRun restore = drkit("restore", "--store", store.toString(), "--id", id, "--target", target.toString(),
                "--passphrase-file", pass.toString());

            assertThat(verify.code).as(verify.err).isZero();
            assertThat(restore.code).as(restore.err).isZero();
            assertThat(Files.readString(target.resolve("vault.hcl"))).isEqualTo("storage \"raft\" {}\n");
            for (CliRun run : List.of(verify, restore)) {
                assertThat(run.err).contains(": warning: passphrase file " + pass + " is not one line",
                    "gpg --passphrase-file", "New backups need a one-line passphrase file");
                for (String part : PARTS) {
                    assertThat(run.err).doesNotContain(part);
                }
            }
        }
    }

    @Test
    void aPassphraseFileThatIsNotUtf8IsAnEnvironmentErrorForEveryCommandThatReadsIt(@TempDir Path dir)
        throws Exception {
        Path source = Files.write(dir.resolve("dump.sql"), "select 1;\n".getBytes(StandardCharsets.UTF_8));
        Path store = dir.resolve("store");
        Path utf8 = passphraseFile(dir, "utf8", "geheimnisvolle T\u00fcr\n");
        CliRun made = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--passphrase-file",
            utf8.toString());
        assertThat(made.code).as(made.err).isZero();
        Path latin1 = dir.resolve("latin1.passphrase");
        Files.write(latin1, "geheimnisvolle T\u00fcr\n".getBytes(StandardCharsets.ISO_8859_1));
        Files.setPosixFilePermissions(latin1, PosixFilePermissions.fromString("rw-------"));
        Path target = dir.resolve("restored.sql");

        CliRun backup = drkit("backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-file", latin1.toString());
        CliRun restore = drkit("restore", "--store", store.toString(), "--id", made.out.strip(), "--target",
            target.toString(), "--passphrase-file", latin1.toString());

        for (CliRun run : List.of(backup, restore)) {
            assertThat(run.code).as(run.err).isEqualTo(ExitCodes.ENVIRONMENT);
            assertThat(run.err.strip()).contains("Secret file " + latin1 + " is not UTF-8 text")
                .doesNotContain("geheimnis").doesNotContain("internal error").doesNotContain("\n");
        }
        assertThat(backups(store)).hasSize(1);
        assertThat(target).doesNotExist();
    }

    private static List<Path> backups(Path store) throws IOException {
        if (!Files.isDirectory(store)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(store)) {
            return entries.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
    }

    private static int run(Path gnupgHome, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().put("GNUPGHOME", gnupgHome.toString());
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command[0]);
        }
        return process.exitValue();
    }

}
