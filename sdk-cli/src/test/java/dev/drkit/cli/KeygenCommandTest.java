package dev.drkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.backup.Identity;
import dev.drkit.backup.RecipientKey;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class KeygenCommandTest {

    private static final String PASSPHRASE = "keygen test passphrase";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int drkit(String... args) {
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private static Path passphraseFile(Path dir) throws Exception {
        Path file = dir.resolve("passphrase");
        Files.writeString(file, PASSPHRASE + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @Test
    void writesAProtectedKeyPairAndPrintsItsFingerprintAndFilesAsJson(@TempDir Path dir) throws Exception {
        Path keys = Files.createDirectory(dir.resolve("keys"));

        int code = drkit("keygen", "--out", keys.toString(), "--name", "ops", "--uid", "Backups <ops@example.com>",
            "--passphrase-file", passphraseFile(dir).toString(), "--json");

        assertThat(code).as(err.toString()).isZero();
        JsonNode result = new ObjectMapper().readTree(out.toString());
        Path publicKey = keys.resolve("ops.pub.asc");
        Path privateKey = keys.resolve("ops.key.asc");
        assertThat(result.get("publicKey").asText()).isEqualTo(publicKey.toString());
        assertThat(result.get("privateKey").asText()).isEqualTo(privateKey.toString());
        assertThat(result.get("protected").asBoolean()).isTrue();
        assertThat(result.get("userId").asText()).isEqualTo("Backups <ops@example.com>");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateKey))).isEqualTo("rw-------");
        RecipientKey recipient = RecipientKey.read(publicKey);
        assertThat(result.get("fingerprint").asText()).isEqualTo(recipient.fingerprint());
        assertThat(result.get("encryptionKeyId").asText()).isEqualTo(recipient.encryptionKeyId());
        try (Secret passphrase = Secret.ofString(PASSPHRASE, "p");
             Identity identity = Identity.fromFile(privateKey, passphrase)) {
            assertThat(identity.fingerprint()).isEqualTo(recipient.fingerprint());
        }
        assertThat(out.toString() + err).doesNotContain(PASSPHRASE).doesNotContain("PRIVATE KEY BLOCK");
        assertThat(err.toString()).contains("offline").doesNotContain("warning");
    }

    @Test
    void noPassphraseWritesAnUnprotectedKeyAndWarns(@TempDir Path dir) throws Exception {
        int code = drkit("keygen", "--out", dir.toString(), "--no-passphrase");

        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).containsPattern("fingerprint  [0-9A-F]{40}")
            .contains(dir.resolve("backup.pub.asc").toString())
            .contains(dir.resolve("backup.key.asc").toString());
        assertThat(err.toString()).contains("warning").contains("not protected");
        try (Identity identity = Identity.fromFile(dir.resolve("backup.key.asc"))) {
            assertThat(identity.isProtected()).isFalse();
        }
    }

    @Test
    void refusesToOverwriteAndExitsThree(@TempDir Path dir) throws Exception {
        Path existing = dir.resolve("backup.key.asc");
        Files.writeString(existing, "an older key");

        int code = drkit("keygen", "--out", dir.toString(), "--no-passphrase");

        assertThat(code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("never overwrites");
        assertThat(Files.readString(existing)).isEqualTo("an older key");
        assertThat(dir.resolve("backup.pub.asc")).doesNotExist();
    }

    @Test
    void aMissingOrNonDirectoryOutExitsThree(@TempDir Path dir) throws Exception {
        assertThat(drkit("keygen", "--out", dir.resolve("missing").toString(), "--no-passphrase"))
            .isEqualTo(ExitCodes.ENVIRONMENT);
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThat(drkit("keygen", "--out", file.toString(), "--no-passphrase")).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("not a directory");
    }

    @Test
    void anUnreadablePassphraseFileExitsThree(@TempDir Path dir) {
        int code = drkit("keygen", "--out", dir.toString(), "--passphrase-file", dir.resolve("nope").toString());

        assertThat(code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(dir.resolve("backup.key.asc")).doesNotExist();
    }

    @Test
    void aKeyPassphraseFromTheEnvironmentMustBeOneLineAsGpgReadsIt(@TempDir Path dir) throws Exception {
        Path keys = Files.createDirectory(dir.resolve("keys"));

        CliRun twoLines = CliRun.inChild(dir, env -> env.put("KEY_PASSPHRASE", "first line\nsecond line"),
            "keygen", "--out", keys.toString(), "--passphrase-env", "KEY_PASSPHRASE");
        CliRun oneLine = CliRun.inChild(dir, env -> env.put("KEY_PASSPHRASE", PASSPHRASE),
            "keygen", "--out", keys.toString(), "--passphrase-env", "KEY_PASSPHRASE");

        assertThat(twoLines.code).as(twoLines.err).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(twoLines.err).contains("KEY_PASSPHRASE", "one line").doesNotContain("first line");
        assertThat(oneLine.code).as(oneLine.err).isZero();
        assertThat(keys.resolve("backup.key.asc")).exists();
    }

    @Test
    void usageErrorsExitTwo(@TempDir Path dir) throws Exception {
        assertThat(drkit("keygen", "--out", dir.toString())).as("no protection chosen").isEqualTo(ExitCodes.USAGE);
        assertThat(drkit("keygen", "--out", dir.toString(), "--no-passphrase", "--passphrase-env", "X"))
            .as("two protections").isEqualTo(ExitCodes.USAGE);
        assertThat(drkit("keygen", "--no-passphrase")).as("no --out").isEqualTo(ExitCodes.USAGE);
        assertThat(drkit("keygen", "--out", dir.toString(), "--no-passphrase", "--name", "../escape"))
            .as("a name with a slash").isEqualTo(ExitCodes.USAGE);
        assertThat(drkit("keygen", "--out", dir.toString(), "--no-passphrase", "--uid", " "))
            .as("a blank user id").isEqualTo(ExitCodes.USAGE);
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }
}
