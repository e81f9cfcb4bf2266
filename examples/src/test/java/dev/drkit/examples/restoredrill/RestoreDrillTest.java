package dev.drkit.examples.restoredrill;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupSource;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The restore drill as a team would run it in CI: a real encrypted backup in a directory store, restored into a
 * temporary directory and checked. Here the test makes the backups first; in a team's CI they would be last
 * night's, in the team's store, with the passphrase from a CI secret file.
 */
class RestoreDrillTest {

    private static final String APP_YML = "listen: 8080\ndatabase: orders\n";

    @TempDir
    Path dir;

    private Path source;
    private Path scratch;
    private FileSystemStore store;
    private Secret passphrase;

    @BeforeEach
    void setUp() throws IOException {
        source = dir.resolve("orders");
        Files.createDirectories(source.resolve("config"));
        Files.createDirectories(source.resolve("invoices"));
        Files.writeString(source.resolve("config/app.yml"), APP_YML);
        Files.writeString(source.resolve("invoices/1.txt"), "invoice 1\n");
        Files.writeString(source.resolve("invoices/2.txt"), "invoice 2\n".repeat(1000));
        Files.createSymbolicLink(source.resolve("current"), Path.of("invoices/2.txt"));
        scratch = Files.createDirectories(dir.resolve("scratch"));
        Path passphraseFile = dir.resolve("backup-passphrase");
        Files.writeString(passphraseFile, "correct horse battery staple\n");
        Files.setPosixFilePermissions(passphraseFile, PosixFilePermissions.fromString("rw-------"));
        passphrase = Secrets.fromFile(passphraseFile);
        store = FileSystemStore.open(dir.resolve("store"));
    }

    @AfterEach
    void tearDown() {
        store.close();
        passphrase.close();
    }

    private String backup() {
        BackupEngine engine = BackupEngine.builder(store).encryption(Encryption.passphrase(passphrase)).build();
        return engine.backup(BackupSource.directory(source)).id();
    }

    private RestoreDrill.Builder drill() {
        return RestoreDrill.builder(store, DecryptionKey.passphrase(passphrase)).scratchDirectory(scratch);
    }

    @Test
    void theNewestBackupRestoresAndMatchesItsManifestAndOurExpectations() throws Exception {
        String older = backup();
        Files.writeString(source.resolve("invoices/3.txt"), "invoice 3\n");
        String newest = backup();

        RestoreDrill.Report report = drill()
            .expectFile("config/app.yml", sha256(APP_YML))
            .check("three invoices", restored -> {
                try (Stream<Path> invoices = Files.list(restored.resolve("invoices"))) {
                    assertThat(invoices).hasSize(3);
                }
            })
            .build()
            .run();

        assertThat(report.orThrow().passed()).isTrue();
        assertThat(report.backupId()).as("the newest, not %s", older).hasValue(newest);
        assertThat(report.steps()).extracting(RestoreDrill.Step::name).containsExactly(
            "find backup", "full verification", "restore", "content", "expectations", "three invoices");
        assertThat(report.steps()).allMatch(s -> s.status() == RestoreDrill.Status.PASSED);
        assertThat(report.steps().get(3).detail()).isEqualTo("7 entries match the manifest");
        assertThat(report.restoreTime()).isPresent();
        assertThat(report.summary()).startsWith("Restore drill of backup " + newest + " from ").contains(" passed");
        try (Stream<Path> left = Files.list(scratch)) {
            assertThat(left).as("the restored copy is removed").isEmpty();
        }
    }

    @Test
    void anOlderBackupThatLacksWhatWeExpectFailsTheDrill() throws Exception {
        String older = backup();
        Files.writeString(source.resolve("invoices/3.txt"), "invoice 3\n");
        backup();

        RestoreDrill.Report report = drill().backupId(older)
            .expectFile("invoices/3.txt", sha256("invoice 3\n"))
            .build()
            .run();

        assertThat(report.passed()).isFalse();
        assertThat(report.backupId()).hasValue(older);
        assertThat(report.failedStep()).hasValueSatisfying(step -> {
            assertThat(step.name()).isEqualTo("expectations");
            assertThat(step.detail()).isEqualTo("invoices/3.txt: missing");
        });
    }

    @Test
    void aCorruptedArchiveFailsTheDrillWithAClearMessage() throws Exception {
        String id = backup();
        // One bit flipped in the middle of the stored, encrypted data: a failing disk, or a bad copy.
        List<Path> data;
        try (Stream<Path> objects = Files.list(dir.resolve("store").resolve(id))) {
            data = objects.filter(p -> p.getFileName().toString().startsWith("data.")).toList();
        }
        assertThat(data).isNotEmpty();
        byte[] bytes = Files.readAllBytes(data.get(0));
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(data.get(0), bytes);

        RestoreDrill.Report report = drill().check("never reached", restored -> { }).build().run();

        assertThat(report.passed()).isFalse();
        assertThat(report.failedStep()).hasValueSatisfying(step -> {
            assertThat(step.name()).isEqualTo("full verification");
            // Which check catches it depends on where the bit lands (here zstd's, inside the decrypted stream).
            assertThat(step.detail()).matches("check '[a-z0-9 ]+' failed: .+");
        });
        assertThat(report.steps()).extracting(RestoreDrill.Step::name, RestoreDrill.Step::status).containsExactly(
            org.assertj.core.groups.Tuple.tuple("find backup", RestoreDrill.Status.PASSED),
            org.assertj.core.groups.Tuple.tuple("full verification", RestoreDrill.Status.FAILED),
            org.assertj.core.groups.Tuple.tuple("restore", RestoreDrill.Status.SKIPPED),
            org.assertj.core.groups.Tuple.tuple("content", RestoreDrill.Status.SKIPPED),
            org.assertj.core.groups.Tuple.tuple("never reached", RestoreDrill.Status.SKIPPED));
        assertThatThrownBy(report::orThrow)
            .isInstanceOf(AssertionError.class)
            .hasMessageStartingWith("Restore drill of backup " + id + " from ")
            .hasMessageContaining("FAILED at full verification: check '");
        try (Stream<Path> left = Files.list(scratch)) {
            assertThat(left).as("nothing was restored").isEmpty();
        }
    }

    private static String sha256(String content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
            .digest(content.getBytes(StandardCharsets.UTF_8)));
    }
}
