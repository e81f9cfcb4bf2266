package dev.drkit.examples.vaultbackup;

import dev.drkit.backup.BackupDecryptionException;
import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.secret.Secret;
import dev.drkit.secrets.vault.SimulatedVault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs the example against the simulated Vault (real HTTP on 127.0.0.1) and a directory store. */
class VaultBackupAppTest {

    @TempDir
    Path dir;

    private final String passphrase = "orders-backup-" + UUID.randomUUID();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private SimulatedVault vault;
    private Path source;
    private Path store;
    private Path roleIdFile;
    private Path secretIdFile;

    @BeforeEach
    void setUp() throws IOException {
        vault = SimulatedVault.start();
        vault.mountKv("secret", 2).policy("orders-backup", "secret/data/orders/backup");
        vault.putKv("secret", "orders/backup", Map.of("passphrase", passphrase));
        SimulatedVault.AppRole role = vault.appRole("orders",
            SimulatedVault.AppRoleSettings.of(List.of("orders-backup"), Duration.ofMinutes(5), Duration.ofHours(1)));
        roleIdFile = privateFile("role-id", role.roleId());
        secretIdFile = privateFile("secret-id", vault.newSecretId(role));
        source = Files.createDirectories(dir.resolve("uploads"));
        Files.writeString(source.resolve("invoice-1.txt"), "invoice 1: 120 EUR\n");
        Files.createDirectories(source.resolve("2026"));
        Files.writeString(source.resolve("2026/invoice-2.txt"), "invoice 2: 80 EUR\n");
        store = dir.resolve("store");
    }

    @AfterEach
    void tearDown() {
        vault.close();
    }

    @Test
    void takesAnEncryptedBackupWithThePassphraseFromVault() throws IOException {
        int code = app("--source", source.toString());

        assertThat(code).as("stderr: %s", err).isZero();
        String id = out.toString(StandardCharsets.UTF_8).strip();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("backed up as " + id).doesNotContain(passphrase);
        assertThat(vault.requests("auth/approle/login")).isEqualTo(1);

        try (FileSystemStore opened = FileSystemStore.open(store);
             Secret right = Secret.ofString(passphrase, "passphrase");
             Secret wrong = Secret.ofString("not-the-passphrase", "wrong")) {
            BackupEngine engine = BackupEngine.builder(opened).name("check").build();
            assertThat(engine.list()).singleElement().satisfies(b -> assertThat(b.id()).isEqualTo(id));
            // Only Vault's passphrase opens it.
            assertThatThrownBy(() -> engine.restore(id, DecryptionKey.passphrase(wrong), dir.resolve("wrong")))
                .isInstanceOf(BackupDecryptionException.class);
            engine.restore(id, DecryptionKey.passphrase(right), dir.resolve("restored"));
        }
        assertThat(Files.readString(dir.resolve("restored/invoice-1.txt"))).isEqualTo("invoice 1: 120 EUR\n");
        assertThat(Files.readString(dir.resolve("restored/2026/invoice-2.txt"))).isEqualTo("invoice 2: 80 EUR\n");
    }

    @Test
    void vaultDownIsAnEnvironmentErrorAndWritesNoBackup() throws IOException {
        vault.down();

        int code = app("--source", source.toString());

        assertThat(code).isEqualTo(3);
        assertThat(err.toString(StandardCharsets.UTF_8).strip()).startsWith("vault-backup: ").doesNotContain("\n");
        assertThat(out.size()).isZero();
        assertThat(store).as("not even an empty store is made").doesNotExist();
    }

    @Test
    void aSecretIdFileOthersCanReadIsRefused() throws IOException {
        Files.setPosixFilePermissions(secretIdFile, PosixFilePermissions.fromString("rw-r--r--"));

        int code = app("--source", source.toString());

        assertThat(code).isEqualTo(3);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("vault-backup: ").contains("secret-id");
        assertThat(vault.requests("auth/approle/login")).isZero();
    }

    @Test
    void aMissingOptionIsAUsageError() {
        int code = VaultBackupApp.run(new String[] {"--vault-addr", vault.address().toString()}, print(out), print(err));

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("vault-backup: missing --role-id-file");
    }

    private int app(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of(
            "--vault-addr", vault.address().toString(),
            "--role-id-file", roleIdFile.toString(), "--secret-id-file", secretIdFile.toString(),
            "--kv-mount", "secret", "--kv-path", "orders/backup", "--kv-key", "passphrase",
            "--store", store.toString()));
        args.addAll(List.of(extra));
        return VaultBackupApp.run(args.toArray(new String[0]), print(out), print(err));
    }

    private static PrintStream print(ByteArrayOutputStream to) {
        return new PrintStream(to, true, StandardCharsets.UTF_8);
    }

    private Path privateFile(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }
}
