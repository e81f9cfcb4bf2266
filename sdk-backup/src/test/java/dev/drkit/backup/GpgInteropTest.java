package dev.drkit.backup;

import dev.drkit.backup.BackupDecryptionException.Reason;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What drkit writes, stock gpg and zstd read, and the other way round: the emergency restore an operator does
 * with nothing but those two tools. The passphrase goes to gpg on stdin, never on its command line, and gpg runs
 * in a throwaway home directory with its passphrase cache off.
 */
class GpgInteropTest {

    private static final String PASSPHRASE_TEXT = "interop passphrase with spaces";
    private static final Secret PASSPHRASE = Secret.ofString(PASSPHRASE_TEXT, "interop");

    private static Path gnupgHome;

    @BeforeAll
    static void requireTools() throws IOException {
        assumeTrue(onPath("gpg"), "gpg is not on PATH: skipping the gpg interoperability tests");
        assumeTrue(onPath("zstd"), "zstd is not on PATH: skipping the gpg interoperability tests");
        gnupgHome = Files.createTempDirectory("gnupg", PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
    }

    @AfterAll
    static void stopAgent() throws Exception {
        if (gnupgHome != null) {
            // gpg started an agent for this home directory; stop it, then remove the directory.
            run(List.of("gpgconf", "--kill", "gpg-agent"), null, null);
            try (var paths = Files.walk(gnupgHome)) {
                paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void gpgAndZstdRestoreWhatDrkitEncryptedWithTheDefaultSettings(@TempDir Path dir) throws Exception {
        byte[] plaintext = sample(2_000_000, 21);
        Path encrypted = dir.resolve("backup.pgp");
        PipelineSummary summary;
        try (EncryptingStream out = BackupPipeline.encryptingStream(Files.newOutputStream(encrypted),
            PipelineSettings.of(Encryption.passphrase(PASSPHRASE)))) {
            out.write(plaintext);
            out.close();
            summary = out.summary();
        }
        assertThat(summary.ciphertextBytes()).isEqualTo(Files.size(encrypted));

        // The commands documented in the module README.
        Path compressed = dir.resolve("backup.zst");
        Result gpg = gpg(PASSPHRASE_TEXT, "--output", compressed.toString(), "--decrypt", encrypted.toString());
        assertThat(gpg.exitCode).as("gpg --decrypt: %s", gpg.stderr).isZero();
        Path restored = dir.resolve("backup");
        Result zstd = run(List.of("zstd", "-q", "-d", compressed.toString(), "-o", restored.toString()), null, null);
        assertThat(zstd.exitCode).as("zstd -d: %s", zstd.stderr).isZero();

        assertThat(Files.readAllBytes(restored)).isEqualTo(plaintext);
    }

    @Test
    void gpgReportsAes256IntegrityProtectionAndTheStrongS2k(@TempDir Path dir) throws Exception {
        Path encrypted = dir.resolve("backup.pgp");
        Files.write(encrypted, Pipelines.encrypt(sample(10_000, 22),
            PipelineSettings.of(Encryption.passphrase(PASSPHRASE))));

        Result packets = gpg(PASSPHRASE_TEXT, "--list-packets", encrypted.toString());

        assertThat(packets.exitCode).as("gpg --list-packets: %s", packets.stderr).isZero();
        assertThat(packets.stdout)
            .contains(":symkey enc packet: version 4, cipher 9, aead 0")  // 9 = AES-256, no AEAD
            .contains("s2k 3, hash 8")                                // iterated+salted, SHA-256
            .contains("count 65011712")
            .contains(":encrypted data packet:")
            .contains("mdc_method: 2")                                // SEIPD v1 with MDC (SHA-1)
            .contains(":literal data packet:")
            .doesNotContain(":compressed packet:")
            .doesNotContain(":aead encrypted packet:");
        assertThat(packets.stderr).contains("AES256").doesNotContain("WARNING");
    }

    @Test
    void gpgFailsOnADrkitFileWithAFlippedByteAndSaysSo(@TempDir Path dir) throws Exception {
        byte[] ciphertext = Pipelines.encrypt(sample(100_000, 23), Compression.zstd());
        ciphertext[ciphertext.length / 2] ^= 0x01;
        Path encrypted = dir.resolve("damaged.pgp");
        Files.write(encrypted, ciphertext);

        Result gpg = gpg(PASSPHRASE_FOR_FAST, "--output", dir.resolve("out").toString(), "--decrypt",
            encrypted.toString());

        assertThat(gpg.exitCode).as("an operator must check gpg's exit status").isNotZero();
    }

    @Test
    void drkitDecryptsWhatGpgEncryptedFromAZstdFile(@TempDir Path dir) throws Exception {
        byte[] plaintext = sample(500_000, 24);
        Path original = dir.resolve("data");
        Files.write(original, plaintext);
        Path compressed = dir.resolve("data.zst");
        assertThat(run(List.of("zstd", "-q", original.toString(), "-o", compressed.toString()), null, null).exitCode)
            .isZero();
        Path encrypted = dir.resolve("data.zst.gpg");
        Result gpg = gpg(PASSPHRASE_TEXT, "--symmetric", "--cipher-algo", "AES256", "--compress-algo", "none",
            "--output", encrypted.toString(), compressed.toString());
        assertThat(gpg.exitCode).as("gpg --symmetric: %s", gpg.stderr).isZero();

        try (DecryptingStream in = BackupPipeline.decryptingStream(Files.newInputStream(encrypted), PASSPHRASE)) {
            assertThat(in.readAllBytes()).isEqualTo(plaintext);
            assertThat(in.summary().ciphertextBytes()).isEqualTo(Files.size(encrypted));
        }
    }

    @Test
    void gpgFilesWithoutZstdInsideAreRefusedAsZstdAndReadAsUncompressed(@TempDir Path dir) throws Exception {
        byte[] plaintext = sample(50_000, 25);
        Path original = dir.resolve("plain");
        Files.write(original, plaintext);
        // gpg's defaults: its own ZIP compression inside the encrypted packet.
        Path encrypted = dir.resolve("plain.gpg");
        Result gpg = gpg(PASSPHRASE_TEXT, "--symmetric", "--cipher-algo", "AES256", "--output",
            encrypted.toString(), original.toString());
        assertThat(gpg.exitCode).as("gpg --symmetric: %s", gpg.stderr).isZero();

        assertThatThrownBy(() -> Pipelines.decrypt(Files.readAllBytes(encrypted), PASSPHRASE, Compression.zstd()))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED));
        assertThat(Pipelines.decrypt(Files.readAllBytes(encrypted), PASSPHRASE, Compression.none()))
            .isEqualTo(plaintext);
    }

    @Test
    void drkitRefusesAGpgFileWithoutIntegrityProtection(@TempDir Path dir) throws Exception {
        Path original = dir.resolve("plain");
        Files.write(original, sample(1000, 26));
        Path encrypted = dir.resolve("plain.gpg");
        Result gpg = gpg(PASSPHRASE_TEXT, "--symmetric", "--cipher-algo", "AES256", "--compress-algo", "none",
            "--rfc2440", "--output", encrypted.toString(), original.toString());
        assumeTrue(gpg.exitCode == 0, "this gpg will not write a message without MDC: " + gpg.stderr);

        assertThatThrownBy(() -> Pipelines.decrypt(Files.readAllBytes(encrypted), PASSPHRASE, Compression.none()))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
            .hasMessageContaining("no integrity protection");
    }

    @Test
    void drkitReportsAWrongPassphraseOnAGpgFile(@TempDir Path dir) throws Exception {
        Path original = dir.resolve("plain");
        Files.write(original, sample(1000, 27));
        Path encrypted = dir.resolve("plain.gpg");
        assertThat(gpg(PASSPHRASE_TEXT, "--symmetric", "--cipher-algo", "AES256", "--compress-algo", "none",
            "--output", encrypted.toString(), original.toString()).exitCode).isZero();

        assertThatThrownBy(() -> Pipelines.decrypt(Files.readAllBytes(encrypted),
            Secret.ofString("not it", "wrong"), Compression.none()))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSPHRASE));
    }

    /** The passphrase {@link Pipelines#encrypt} uses. */
    private static final String PASSPHRASE_FOR_FAST = "correct horse battery staple";

    private static Result gpg(String passphrase, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("gpg", "--homedir", gnupgHome.toString(), "--batch",
            "--no-tty", "--yes", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--no-symkey-cache"));
        command.addAll(List.of(args));
        return run(command, passphrase + "\n", gnupgHome);
    }

    private static Result run(List<String> command, String stdin, Path home) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (home != null) {
            builder.environment().put("GNUPGHOME", home.toString());
        } else if (gnupgHome != null) {
            builder.environment().put("GNUPGHOME", gnupgHome.toString());
        }
        Process process = builder.start();
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        var stdout = readAsync(process.getInputStream());
        var stderr = readAsync(process.getErrorStream());
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command.get(0));
        }
        return new Result(process.exitValue(), stdout.get(), stderr.get());
    }

    private static java.util.concurrent.CompletableFuture<String> readAsync(InputStream stream) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        });
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }
}
