package dev.drkit.backup;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the manifest parser, which reads bytes from a store that anyone with write access may have changed.
 *
 * <p>In a normal build (regression mode) each target runs once per saved input under
 * {@code src/test/resources/dev/drkit/backup/ManifestFuzzTestInputs/<method>/} and once with empty input. To fuzz
 * for real: {@code JAZZER_FUZZ=1 mvn -pl sdk-backup test -Dtest=ManifestFuzzTest}; copy any crash it finds into
 * the inputs folder so it stays a regression test.
 */
class ManifestFuzzTest {

    /** Arbitrary bytes: a manifest or a ManifestException, never anything else; what is accepted writes back the same. */
    @FuzzTest(maxDuration = "60s")
    void parsesAnyBytesOrRefusesThem(FuzzedDataProvider data) {
        byte[] bytes = data.consumeRemainingAsBytes();
        check(bytes);
    }

    /**
     * A valid manifest (single-part or in parts) whose body has one region replaced by fuzzer text and a checksum that matches, so that the
     * checks behind the checksum are reached.
     */
    @FuzzTest(maxDuration = "60s")
    void parsesEditedBodiesWithMatchingChecksums(FuzzedDataProvider data) {
        boolean parts = data.consumeBoolean();
        BackupManifest valid = BackupManifest.parse(parts ? ManifestFormatTest.sealedParts()
            : ManifestFormatTest.sealed());
        String body = new String(valid.body(), StandardCharsets.UTF_8);
        int from = data.consumeInt(0, body.length());
        int to = data.consumeInt(from, Math.min(body.length(), from + 40));
        String edited = body.substring(0, from) + data.consumeRemainingAsString() + body.substring(to);
        byte[] editedBytes = edited.getBytes(StandardCharsets.UTF_8);
        check(ManifestFormat.file(editedBytes, ManifestFormat.sha256(editedBytes), valid.bodyHmacSha256(), parts));
    }

    /**
     * Arbitrary bytes as the entries object of a large directory backup ({@value BackupManifest#ENTRIES_OBJECT_NAME}),
     * described truly by its manifest: the entries the manifest counts, or a one-line ManifestException.
     */
    @FuzzTest(maxDuration = "60s")
    void readsAnyEntriesObjectOrRefusesIt(FuzzedDataProvider data) throws java.io.IOException {
        int count = data.consumeInt(1, 50);
        byte[] bytes = data.consumeRemainingAsBytes();
        java.util.List<ManifestEntry> entries;
        try {
            entries = EntriesObjectTest.read(bytes, count);
        } catch (ManifestException refused) {
            assertThat(refused.getMessage()).doesNotContain("\n");
            return;
        }
        assertThat(entries).hasSize(count);
        byte[] written = entries.stream().map(ManifestFormat::entryLine).reduce(new byte[0], (a, b) -> {
            byte[] joined = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, joined, a.length, b.length);
            return joined;
        });
        assertThat(EntriesObjectTest.read(written, count)).as("what is accepted reads back the same when written")
            .isEqualTo(entries);
    }

    private static void check(byte[] bytes) {
        BackupManifest summary = null;
        try {
            summary = ManifestFormat.parse(bytes, null, false);
        } catch (ManifestException refused) {
            assertThat(refused.getMessage()).startsWith("Manifest").doesNotContain("\n");
        }
        BackupManifest manifest;
        try {
            manifest = BackupManifest.parse(bytes);
        } catch (ManifestException expected) {
            assertThat(expected.getMessage()).startsWith("Manifest").doesNotContain("\n");
            return;
        }
        assertThat(summary).as("what a whole read accepts, a summary read accepts too").isNotNull();
        assertThat(summary).isEqualTo(manifest);
        assertThat(summary.entryCount()).isEqualTo(manifest.entries().size());
        assertThat(summary.info().toJson()).isEqualTo(manifest.info().toJson());
        assertThat(manifest.toBytes()).isEqualTo(bytes);
        assertThat(BackupManifest.parse(manifest.toBytes())).isEqualTo(manifest);
        assertThat(manifest.info().toJson()).isNotEmpty();
    }
}
