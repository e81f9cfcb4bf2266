package dev.drkit.backup;

import dev.drkit.backup.internal.PartedDecryptingStream;
import dev.drkit.core.DrkitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Engines.WRONG_KEY;
import static dev.drkit.backup.Engines.describe;
import static dev.drkit.backup.Engines.engine;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Backups split into parts (manifest format 2): what is stored, that they restore, that old single-part backups
 * still restore beside them, and that a damaged, swapped, reordered, missing or extra part is caught by every
 * check and leaves the restore target as it was.
 */
class PartedBackupTest {

    private static final int PART = BackupEngine.MIN_PART_BYTES * 8;

    private final InMemoryBackupStore store = new InMemoryBackupStore();
    private final BackupEngine engine = engine(store).partBytes(PART).threads(3).build();

    private String backupFile(Path dir, String name, int size, long seed) throws IOException {
        Path source = dir.resolve(name);
        Files.write(source, sample(size, seed));
        return engine.backup(BackupSource.file(source)).id();
    }

    private static Path oldTarget(Path dir) throws IOException {
        Path target = dir.resolve("target");
        Files.writeString(target, "old data");
        return target;
    }

    private List<String> partNames(String id) {
        return store.objects(id).stream().filter(n -> n.startsWith("data.")).collect(Collectors.toList());
    }

    @Test
    void aLargeSourceIsStoredAsNumberedPartsListedInOrderInTheManifest(@TempDir Path dir) throws Exception {
        String id = backupFile(dir, "src", 400_000, 1);

        BackupManifest manifest = engine.manifest(id);
        assertThat(manifest.formatVersion()).isEqualTo(BackupManifest.FORMAT_VERSION_PARTS);
        assertThat(new String(manifest.toBytes(), StandardCharsets.UTF_8))
            .startsWith("{\"format\":\"" + BackupManifest.FORMAT_PARTS + "\"");
        List<DataPart> parts = manifest.parts();
        assertThat(parts.size()).isGreaterThan(3);
        for (int i = 0; i < parts.size(); i++) {
            DataPart part = parts.get(i);
            assertThat(part.object()).isEqualTo(DataPart.objectName(i));
            assertThat(store.bytes(id, part.object())).hasSize((int) part.bytes());
            assertThat(sha256(store.bytes(id, part.object()))).isEqualTo(part.sha256());
        }
        assertThat(partNames(id)).containsExactlyElementsOf(parts.stream().map(DataPart::object).toList());
        assertThat(store.objects(id)).doesNotContain(BackupManifest.DATA_OBJECT_NAME);
        assertThat(manifest.ciphertextBytes()).isEqualTo(parts.stream().mapToLong(DataPart::bytes).sum());
        assertThat(sha256(concatenation(id, parts))).isEqualTo(manifest.ciphertextSha256());

        Path target = dir.resolve("restored");
        engine.restore(id, KEY, target);
        assertThat(Files.readAllBytes(target)).isEqualTo(sample(400_000, 1));
        assertThat(engine.verify(id).passed()).isTrue();
        assertThat(engine.verify(id, KEY).passed()).isTrue();
    }

    @Test
    void aDirectoryInPartsRestoresEveryEntry(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("tree");
        Files.createDirectories(source.resolve("a/b"));
        Files.write(source.resolve("a/b/big"), sample(200_000, 2));
        Files.writeString(source.resolve("a/small"), "small");
        String id = engine.backup(BackupSource.directory(source)).id();

        Path target = dir.resolve("restored");
        engine.restore(id, KEY, target);

        assertThat(describe(target)).isEqualTo(describe(source));
        assertThat(engine.manifest(id).parts().size()).isGreaterThan(1);
    }

    @Test
    void anEmptySourceMakesOnePart(@TempDir Path dir) throws Exception {
        String id = backupFile(dir, "empty", 0, 3);
        assertThat(engine.manifest(id).parts()).hasSize(1);
        Path target = dir.resolve("restored");
        engine.restore(id, KEY, target);
        assertThat(Files.size(target)).isZero();

        BackupEngine uncompressed = engine(store).partBytes(PART).compression(Compression.none()).build();
        Files.write(dir.resolve("empty2"), new byte[0]);
        String raw = uncompressed.backup(BackupSource.file(dir.resolve("empty2"))).id();
        uncompressed.restore(raw, KEY, dir.resolve("restored2"));
        assertThat(Files.size(dir.resolve("restored2"))).isZero();
    }

    @Test
    void singlePartBackupsStillRestoreAndVerifyWithAnEngineThatWritesParts(@TempDir Path dir) throws Exception {
        BackupEngine old = engine(store).build();
        Files.write(dir.resolve("src"), sample(100_000, 4));
        String id = old.backup(BackupSource.file(dir.resolve("src"))).id();
        assertThat(store.objects(id)).containsExactly(BackupManifest.DATA_OBJECT_NAME, BackupManifest.OBJECT_NAME);
        BackupManifest manifest = engine.manifest(id);
        assertThat(manifest.formatVersion()).isEqualTo(BackupManifest.FORMAT_VERSION);
        assertThat(manifest.parts()).containsExactly(new DataPart(BackupManifest.DATA_OBJECT_NAME,
            manifest.ciphertextBytes(), manifest.ciphertextSha256()));

        engine.restore(id, KEY, dir.resolve("restored"));

        assertThat(Files.readAllBytes(dir.resolve("restored"))).isEqualTo(sample(100_000, 4));
        assertThat(engine.verify(id).passed()).isTrue();
        assertThat(engine.verify(id, KEY).passed()).isTrue();
    }

    @Test
    void aCorruptedByteInAnyPartIsDetectedByEveryCheck(@TempDir Path dir) throws Exception {
        String id = backupFile(dir, "src", 300_000, 5);
        List<DataPart> parts = engine.manifest(id).parts();
        for (DataPart part : List.of(parts.get(0), parts.get(parts.size() / 2), parts.get(parts.size() - 1))) {
            byte[] original = store.bytes(id, part.object());
            store.edit(id, part.object(), bytes -> {
                bytes[bytes.length / 2] ^= 0x40;
                return bytes;
            });
            Path target = oldTarget(dir);

            assertThat(engine.verify(id).failedCheck()).contains("ciphertext sha256");
            assertThat(engine.verify(id, KEY).passed()).isFalse();
            assertThatThrownBy(() -> engine.restore(id, KEY, target)).isInstanceOf(BackupException.class)
                .matches(e -> ((BackupException) e).kind() == DrkitException.Kind.DATA);
            assertThat(Files.readString(target)).isEqualTo("old data");
            store.edit(id, part.object(), bytes -> original);
        }
        assertThat(engine.verify(id, KEY).passed()).isTrue();
    }

    @Test
    void twoPartsSwappedWithEachOtherAreDetected(@TempDir Path dir) throws Exception {
        String id = backupFile(dir, "src", 300_000, 6);
        List<DataPart> parts = engine.manifest(id).parts();
        byte[] first = store.bytes(id, parts.get(1).object());
        byte[] second = store.bytes(id, parts.get(2).object());
        store.edit(id, parts.get(1).object(), bytes -> second);
        store.edit(id, parts.get(2).object(), bytes -> first);
        Path target = oldTarget(dir);

        assertThat(engine.verify(id).passed()).isFalse();
        assertThat(engine.verify(id, KEY).passed()).isFalse();
        assertThatThrownBy(() -> engine.restore(id, KEY, target)).isInstanceOf(BackupVerificationException.class);
        assertThat(Files.readString(target)).isEqualTo("old data");
    }

    @Test
    void aPartSwappedInFromAnotherBackupIsDetected(@TempDir Path dir) throws Exception {
        String first = backupFile(dir, "one", 300_000, 7);
        String second = backupFile(dir, "two", 300_000, 8);
        byte[] foreign = store.bytes(second, DataPart.objectName(1));
        store.edit(first, DataPart.objectName(1), bytes -> foreign);
        byte[] foreignFirst = store.bytes(second, DataPart.objectName(0));

        assertThat(engine.verify(first).passed()).isFalse();
        assertThat(engine.verify(first, KEY).passed()).isFalse();
        assertThatThrownBy(() -> engine.restore(first, KEY, dir.resolve("t1")))
            .isInstanceOf(BackupVerificationException.class);

        // part 0 from another backup: its session key is another one, so the manifest is not authentic under it
        store.edit(first, DataPart.objectName(1), bytes -> store.bytes(second, DataPart.objectName(1)));
        store.edit(first, DataPart.objectName(0), bytes -> foreignFirst);
        assertThatThrownBy(() -> engine.restore(first, KEY, dir.resolve("t2")))
            .isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.NOT_AUTHENTIC));
        assertThat(engine.verify(second, KEY).passed()).isTrue();
    }

    @Test
    void aMissingPartIsDetected(@TempDir Path dir) throws Exception {
        String id = backupFile(dir, "src", 300_000, 9);
        String last = DataPart.objectName(engine.manifest(id).parts().size() - 1);
        store.remove(id, last);
        Path target = oldTarget(dir);

        assertThat(engine.verify(id).failedCheck()).contains("parts");
        assertThat(engine.verify(id, KEY).failedCheck()).contains("parts");
        assertThatThrownBy(() -> engine.restore(id, KEY, target)).isInstanceOf(BackupVerificationException.class)
            .hasMessageContaining(last + ", a part its manifest lists, is missing");
        assertThat(Files.readString(target)).isEqualTo("old data");
    }

    @Test
    void anExtraPartIsDetected(@TempDir Path dir) throws Exception {
        String id = backupFile(dir, "src", 300_000, 10);
        int count = engine.manifest(id).parts().size();
        store.put(id, DataPart.objectName(count), store.bytes(id, DataPart.objectName(count - 1)));
        Path target = oldTarget(dir);

        assertThat(engine.verify(id).failedCheck()).contains("parts");
        assertThat(engine.verify(id, KEY).failedCheck()).contains("parts");
        assertThatThrownBy(() -> engine.restore(id, KEY, target)).isInstanceOf(BackupVerificationException.class);
        assertThat(Files.readString(target)).isEqualTo("old data");
    }

    @Test
    void aWrongPassphraseFailsOnTheFirstPart(@TempDir Path dir) throws Exception {
        String id = backupFile(dir, "src", 100_000, 11);
        assertThatThrownBy(() -> engine.restore(id, WRONG_KEY, dir.resolve("t")))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(BackupDecryptionException.Reason.WRONG_PASSPHRASE));
    }

    @Test
    void theReaderDerivesThePassphraseKeyOnceForAllParts(@TempDir Path dir) throws Exception {
        String id = backupFile(dir, "src", 300_000, 12);
        BackupManifest manifest = engine.manifest(id);
        assertThat(manifest.parts().size()).isGreaterThan(3);
        try (PartedDecryptingStream in = PartedDecryptingStream.open(name -> store.open(id, name), manifest.parts(),
            manifest.ciphertextSha256(), KEY, manifest.compression(), (part, bytes, sha) -> { })) {
            assertThat(in.readAllBytes()).isEqualTo(sample(300_000, 12));
            assertThat(in.isVerified()).isTrue();
            assertThat(in.keyDerivations()).isEqualTo(1);
        }
        // the same with parts decrypted ahead by three threads
        try (PartedDecryptingStream in = PartedDecryptingStream.open(name -> store.open(id, name), manifest.parts(),
            manifest.ciphertextSha256(), KEY, manifest.compression(), (part, bytes, sha) -> { }, 3)) {
            assertThat(in.readAllBytes()).isEqualTo(sample(300_000, 12));
            assertThat(in.isVerified()).isTrue();
            assertThat(in.summary().ciphertextBytes()).isEqualTo(manifest.ciphertextBytes());
            assertThat(in.keyDerivations()).isEqualTo(1);
        }
    }

    @Test
    void aPartDecryptedAheadThatDoesNotMatchTheManifestFailsTheRead(@TempDir Path dir)
        throws Exception {
        String id = backupFile(dir, "src", 300_000, 13);
        BackupManifest manifest = engine.manifest(id);
        String swapped = DataPart.objectName(2);
        byte[] other = store.bytes(id, DataPart.objectName(3));
        store.edit(id, swapped, bytes -> other);
        java.util.List<String> checked = new java.util.concurrent.CopyOnWriteArrayList<>();

        try (PartedDecryptingStream in = PartedDecryptingStream.open(name -> store.open(id, name), manifest.parts(),
            manifest.ciphertextSha256(), KEY, manifest.compression(), (part, bytes, sha) -> {
                checked.add(part.object());
                BackupEngine.comparePart(id, part, bytes, sha);
            }, 2)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(BackupVerificationException.class)
                .hasMessageContaining(swapped);
            assertThat(in.isVerified()).isFalse();
        }
        assertThat(checked).contains(swapped);
    }

    private byte[] concatenation(String id, List<DataPart> parts) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        parts.forEach(p -> all.writeBytes(store.bytes(id, p.object())));
        return all.toByteArray();
    }

    static String sha256(byte[] bytes) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
