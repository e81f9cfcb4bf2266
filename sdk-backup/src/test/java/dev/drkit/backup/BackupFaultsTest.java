package dev.drkit.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.backup.internal.TarArchiver;
import dev.drkit.core.DrkitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Engines.WRONG_KEY;
import static dev.drkit.backup.Engines.describe;
import static dev.drkit.backup.Engines.engine;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every fault of issue 3 that the engine handles: a typed exception, and nothing lost or overwritten. */
class BackupFaultsTest {

    private final InMemoryBackupStore store = new InMemoryBackupStore();
    private final BackupEngine engine = engine(store).build();

    private String backupDirectory(Path dir, String name, long seed) throws IOException {
        Path source = dir.resolve(name);
        Files.createDirectories(source.resolve("sub"));
        Files.write(source.resolve("sub/data.bin"), sample(40_000, seed));
        Files.write(source.resolve("config"), ("config " + seed).getBytes(StandardCharsets.UTF_8));
        return engine.backup(BackupSource.directory(source)).id();
    }

    /** An existing target with known content, to show it survives. */
    private static Path oldTarget(Path dir) throws IOException {
        Path target = dir.resolve("target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("old"), "old data");
        return target;
    }

    @Test
    void aWrongPassphraseFailsRestoreAndFullVerificationAndLeavesTheTarget(@TempDir Path dir) throws Exception {
        String id = backupDirectory(dir, "src", 1);
        Path target = oldTarget(dir);
        var before = describe(target);

        assertThatThrownBy(() -> engine.restore(id, WRONG_KEY, target))
            .isInstanceOfSatisfying(BackupDecryptionException.class, e -> {
                assertThat(e.reason()).isEqualTo(BackupDecryptionException.Reason.WRONG_PASSPHRASE);
                assertThat(e.kind()).isEqualTo(DrkitException.Kind.DATA);
            });
        VerificationResult full = engine.verify(id, WRONG_KEY);

        assertThat(full.passed()).isFalse();
        assertThat(full.failure()).containsInstanceOf(BackupDecryptionException.class);
        assertThat(describe(target)).isEqualTo(before);
        assertThat(siblings(dir)).containsExactlyInAnyOrder("src", "target");
    }

    @Test
    void aTruncatedArchiveIsDetectedByEveryCheck(@TempDir Path dir) throws Exception {
        String id = backupDirectory(dir, "src", 2);
        store.edit(id, BackupManifest.DATA_OBJECT_NAME, bytes -> Arrays.copyOf(bytes, bytes.length - 100));
        Path target = oldTarget(dir);

        assertThat(engine.verify(id).failedCheck()).contains("ciphertext size");
        assertThat(engine.verify(id, KEY).passed()).isFalse();
        // the decryption fails first; the stored size then tells why
        assertThatThrownBy(() -> engine.restore(id, KEY, target))
            .isInstanceOfSatisfying(BackupVerificationException.class, e -> {
                assertThat(e.check()).isEqualTo("ciphertext size");
                assertThat(e).hasMessageContaining("truncated or replaced")
                    .hasMessageContaining("decrypting it failed with")
                    .hasCauseInstanceOf(BackupDecryptionException.class);
            });
        assertThat(Files.readString(target.resolve("old"))).isEqualTo("old data");
        assertThat(siblings(dir)).containsExactlyInAnyOrder("src", "target");
    }

    @Test
    void aCorruptedByteInTheArchiveIsDetectedByEveryCheck(@TempDir Path dir) throws Exception {
        String id = backupDirectory(dir, "src", 3);
        store.edit(id, BackupManifest.DATA_OBJECT_NAME, bytes -> {
            bytes[bytes.length / 2] ^= 0x40;
            return bytes;
        });
        Path target = oldTarget(dir);

        assertThat(engine.verify(id).failedCheck()).contains("ciphertext sha256");
        assertThat(engine.verify(id, KEY).passed()).isFalse();
        assertThatThrownBy(() -> engine.restore(id, KEY, target)).isInstanceOf(BackupException.class)
            .matches(e -> ((BackupException) e).kind() == DrkitException.Kind.DATA);
        assertThat(Files.readString(target.resolve("old"))).isEqualTo("old data");
    }

    @Test
    void aDamagedMessageHeaderIsReportedAsDamageNotAsAWrongPassphrase(@TempDir Path dir) throws Exception {
        String id = backupDirectory(dir, "src", 7);
        store.edit(id, BackupManifest.DATA_OBJECT_NAME, bytes -> {
            // inside the passphrase packet (salt, S2K, encrypted session key): the same bytes with a wrong key
            for (int i = 10; i < 26; i++) {
                bytes[i] ^= 0x5A;
            }
            return bytes;
        });
        Path target = oldTarget(dir);

        assertThatThrownBy(() -> engine.restore(id, KEY, target))
            .isInstanceOfSatisfying(BackupVerificationException.class, e -> {
                assertThat(e.check()).isEqualTo("ciphertext sha256");
                assertThat(e).hasMessageContaining("does not match the manifest (damaged or replaced)")
                    .hasCauseInstanceOf(BackupDecryptionException.class);
            });
        VerificationResult full = engine.verify(id, KEY);
        assertThat(full.failedCheck()).contains("ciphertext sha256");
        assertThat(Files.readString(target.resolve("old"))).isEqualTo("old data");
    }

    @Test
    void anArchiveSwappedInFromAnotherBackupIsNotAuthentic(@TempDir Path dir) throws Exception {
        String first = backupDirectory(dir, "one", 4);
        String second = backupDirectory(dir, "two", 5);
        byte[] otherData = store.bytes(second, BackupManifest.DATA_OBJECT_NAME);
        store.edit(first, BackupManifest.DATA_OBJECT_NAME, bytes -> otherData);
        Path target = oldTarget(dir);

        assertThat(engine.verify(first).failedCheck()).contains("ciphertext size");
        VerificationResult full = engine.verify(first, KEY);
        assertThat(full.failure()).containsInstanceOf(ManifestException.class);
        assertThat(((ManifestException) full.failure().orElseThrow()).reason())
            .isEqualTo(ManifestException.Reason.NOT_AUTHENTIC);
        assertThatThrownBy(() -> engine.restore(first, KEY, target))
            .isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.NOT_AUTHENTIC))
            .hasMessageContaining("another backup");
        assertThat(Files.readString(target.resolve("old"))).isEqualTo("old data");
        assertThat(engine.verify(second, KEY).passed()).isTrue();
    }

    @Test
    void anEditedManifestWithARecomputedChecksumPassesQuickButNotFullVerification(@TempDir Path dir)
        throws Exception {
        String id = backupDirectory(dir, "src", 6);
        // Someone without the key edits a label and fixes up the checksum: quick verification cannot tell.
        store.edit(id, BackupManifest.OBJECT_NAME, bytes -> {
            String text = new String(bytes, StandardCharsets.UTF_8);
            String body = text.substring(ManifestFormat.PREFIX.length(), text.indexOf(",\"bodySha256\""));
            String edited = body.replace("\"labels\":{}", "\"labels\":{\"forged\":\"yes\"}");
            assertThat(edited).isNotEqualTo(body);
            String hmac = text.substring(text.indexOf("\"bodyHmacSha256\":\"") + 18, text.length() - 3);
            return new String(ManifestFormat.file(edited.getBytes(StandardCharsets.UTF_8),
                ManifestFormat.sha256(edited.getBytes(StandardCharsets.UTF_8)), hmac), StandardCharsets.UTF_8)
                .getBytes(StandardCharsets.UTF_8);
        });
        Path target = oldTarget(dir);

        assertThat(engine.verify(id).passed()).isTrue();
        assertThat(engine.list().get(0).labels()).containsEntry("forged", "yes");
        assertThat(engine.verify(id, KEY).failure()).containsInstanceOf(ManifestException.class);
        assertThatThrownBy(() -> engine.restore(id, KEY, target)).isInstanceOfSatisfying(ManifestException.class,
            e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.NOT_AUTHENTIC));
        assertThat(Files.readString(target.resolve("old"))).isEqualTo("old data");
    }

    @Test
    void anEditedManifestWithoutAFixedChecksumFailsEvenQuickVerification(@TempDir Path dir) throws Exception {
        String id = backupDirectory(dir, "src", 7);
        store.edit(id, BackupManifest.OBJECT_NAME, bytes -> new String(bytes, StandardCharsets.UTF_8)
            .replace("\"name\":\"src\"", "\"name\":\"crs\"").getBytes(StandardCharsets.UTF_8));

        VerificationResult quick = engine.verify(id);

        assertThat(quick.failedCheck()).contains("manifest");
        assertThat(((ManifestException) quick.failure().orElseThrow()).reason())
            .isEqualTo(ManifestException.Reason.CHECKSUM_MISMATCH);
        assertThatThrownBy(engine::list).isInstanceOf(ManifestException.class).hasMessageContaining(id);
    }

    @Test
    void anUnwritableTargetIsAnEnvironmentErrorAndTheOldDataStays(@TempDir Path dir) throws Exception {
        String id = backupDirectory(dir, "src", 8);
        Path parent = dir.resolve("locked");
        Path target = oldTarget(parent);
        var before = describe(parent);
        lock(parent);
        try {
            assertThatThrownBy(() -> engine.restore(id, KEY, target))
                .isInstanceOfSatisfying(BackupIoException.class,
                    e -> assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT))
                .hasMessageContaining("cannot write in " + parent)
                .hasMessageContaining("left as it was");
        } finally {
            unlock(parent);
        }
        assertThat(describe(parent)).isEqualTo(before);
    }

    @Test
    void aTargetWhoseParentIsAFileIsAnEnvironmentError(@TempDir Path dir) throws Exception {
        String id = backupDirectory(dir, "src", 9);
        Path file = Files.writeString(dir.resolve("plain-file"), "x");

        assertThatThrownBy(() -> engine.restore(id, KEY, file.resolve("target")))
            .isInstanceOf(BackupIoException.class);
        assertThat(Files.readString(file)).isEqualTo("x");
    }

    @Test
    void aSourceThatFailsMidwayLeavesNothingListedAndEarlierBackupsIntact(@TempDir Path dir) throws Exception {
        String earlier = backupDirectory(dir, "src", 10);
        InputStream failing = new InputStream() {
            int left = 200_000;

            @Override
            public int read() throws IOException {
                if (left-- <= 0) {
                    throw new IOException("pipe broke");
                }
                return left & 0xff;
            }
        };

        assertThatThrownBy(() -> engine.backup(BackupSource.stream("dump", () -> failing)))
            .isInstanceOfSatisfying(BackupIoException.class,
                e -> assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT))
            .hasMessageContaining("source could not be read")
            .hasMessageContaining("nothing was kept");
        assertThat(engine.list()).extracting(BackupInfo::id).containsExactly(earlier);
        assertThat(store.discarded).isEqualTo(1);
        assertThat(engine.verify(earlier, KEY).passed()).isTrue();
    }

    @Test
    void aSourceSupplierThatThrowsPassesItsExceptionThroughAndLeavesNothingListed() {
        IllegalStateException boom = new IllegalStateException("boom");

        assertThatThrownBy(() -> engine.backup(BackupSource.stream("dump", () -> {
            throw boom;
        }))).isSameAs(boom);
        assertThat(engine.list()).isEmpty();
        assertThat(store.discarded).isEqualTo(1);
    }

    @Test
    void aStoreThatFailsMidwayIsAnEnvironmentErrorAndLeavesNothingListed(@TempDir Path dir) throws Exception {
        String earlier = backupDirectory(dir, "src", 11);
        store.failWritesAfter = 10_000;

        assertThatThrownBy(() -> engine.backup(BackupSource.stream("big",
            () -> new ByteArrayInputStream(sample(500_000, 12)))))
            .isInstanceOf(BackupIoException.class)
            .hasMessageContaining("store could not be written")
            .hasMessageContaining("No space left on device");
        assertThat(engine.list()).extracting(BackupInfo::id).containsExactly(earlier);
    }

    @Test
    void aStoreThatFailsAfterTheBackupBecameVisibleDoesNotSayNothingWasKept() {
        store.failAfterCommit = true;

        assertThatThrownBy(() -> engine.backup(BackupSource.stream("data",
            () -> new ByteArrayInputStream(sample(5_000, 13)))))
            .isInstanceOf(BackupIoException.class)
            .hasMessageContaining("is complete and listed, but the store failed as it committed it")
            .hasMessageContaining("Input/output error")
            .hasMessageNotContaining("nothing was kept");
        assertThat(engine.list()).hasSize(1);
    }

    @Test
    void aListedBackupMissingItsDataFailsVerificationWhileAnUnknownIdIsNoSuchBackup() {
        BackupInfo info = engine.backup(BackupSource.stream("data", () -> new ByteArrayInputStream(sample(5_000, 14))));
        store.remove(info.id(), BackupManifest.DATA_OBJECT_NAME);

        for (VerificationResult result : List.of(engine.verify(info.id()), engine.verify(info.id(), KEY))) {
            assertThat(result.passed()).isFalse();
            assertThat(result.failedCheck()).hasValue("objects");
            assertThat(result.failure()).get().extracting(Throwable::getMessage).asString().contains("data.pgp");
        }
        assertThatThrownBy(() -> engine.verify("20260101T000000Z-00000000"))
            .isInstanceOf(dev.drkit.backup.store.NoSuchBackupException.class);
    }

    @Test
    void aFileThatGrowsWhileItIsReadFailsTheBackup(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("live.log");
        Files.write(file, sample(10_000, 13));
        PosixFileAttributes before = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        OutputStream appendingWhileRead = new OutputStream() {
            @Override
            public void write(int b) {
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                Files.write(file, new byte[] {1}, StandardOpenOption.APPEND);
            }
        };

        assertThatThrownBy(() -> TarArchiver.copyFile(file, before, appendingWhileRead, new byte[4096]))
            .isInstanceOf(SourceChangedException.class)
            .hasMessageContaining("live.log changed");
    }

    @Test
    void aMissingSourceIsAnEnvironmentError(@TempDir Path dir) {
        assertThatThrownBy(() -> engine.backup(BackupSource.directory(dir.resolve("missing"))))
            .isInstanceOf(BackupIoException.class).hasMessageContaining("cannot be read");
        assertThatThrownBy(() -> engine.backup(BackupSource.file(dir)))
            .isInstanceOf(BackupIoException.class).hasMessageContaining("is not a regular file");
        assertThat(store.begun).isZero();
    }

    @Test
    void restoreKeepsWhatItReplacesAndRecordsEventsAndVerifications(@TempDir Path dir) throws Exception {
        Path events = dir.resolve("events.jsonl");
        Path history = dir.resolve("verifications.jsonl");
        BackupEngine logged = engine(store).name("vault").eventLog(events).verificationHistory(history).build();
        Path source = dir.resolve("src");
        Files.createDirectories(source);
        Files.writeString(source.resolve("f"), "new");
        String id = logged.backup(BackupSource.directory(source)).id();
        Path target = oldTarget(dir);

        RestoreResult result = logged.restore(id, KEY, target);
        logged.verify(id);
        logged.verify(id, KEY);
        logged.verify(id, WRONG_KEY);

        assertThat(Files.readString(target.resolve("f"))).isEqualTo("new");
        assertThat(result.previous()).hasValueSatisfying(previous -> {
            assertThat(previous.getFileName().toString()).matches("target\\.pre-restore-\\d{8}T\\d{6}Z");
            assertThat(previous.resolve("old")).hasContent("old data");
        });
        List<JsonNode> eventLines = lines(events);
        assertThat(eventLines).extracting(e -> e.get("event").asText() + ":" + e.get("outcome").asText())
            .containsExactly("backup:success", "restore:success", "verify:success", "verify:success",
                "verify:failure");
        assertThat(eventLines).allSatisfy(e -> assertThat(e.get("engine").asText()).isEqualTo("vault"));
        List<JsonNode> verifications = lines(history);
        assertThat(verifications).extracting(v -> v.get("mode").asText() + ":" + v.get("passed").asBoolean())
            .containsExactly("quick:true", "full:true", "full:false");
        assertThat(PosixModesOf(events)).isEqualTo("rw-------");
        String everything = Files.readString(events) + Files.readString(history)
            + new String(store.bytes(id, BackupManifest.OBJECT_NAME), StandardCharsets.UTF_8);
        assertThat(everything).doesNotContain("correct horse").doesNotContain(source.toString());
    }

    private static String PosixModesOf(Path file) throws IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    private static List<JsonNode> lines(Path file) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        List<JsonNode> nodes = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            nodes.add(mapper.readTree(line));
        }
        return nodes;
    }

    private static List<String> siblings(Path dir) throws IOException {
        try (var paths = Files.list(dir)) {
            return paths.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** Makes {@code dir} unwritable, even for root (chattr +i), or skips the test. */
    static void lock(Path dir) throws Exception {
        if ("root".equals(System.getProperty("user.name"))) {
            assumeTrue(run("chattr", "+i", dir.toString()) == 0, "chattr +i is not available here");
        } else {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
        }
    }

    static void unlock(Path dir) throws Exception {
        if ("root".equals(System.getProperty("user.name"))) {
            run("chattr", "-i", dir.toString());
        } else {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }

    private static int run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
