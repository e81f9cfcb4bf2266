package dev.drkit.backup;

import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestFormatTest {

    static final Secret KEY = Secret.ofBytes(new byte[32], "manifest key");

    static BackupManifest.Fields fields() {
        BackupManifest.Fields f = new BackupManifest.Fields();
        f.id = "20261123T142501Z-1a2b3c4d";
        f.startedAt = Instant.parse("2026-11-23T14:25:01.123Z");
        f.finishedAt = Instant.parse("2026-11-23T14:25:02Z");
        f.sourceKind = SourceKind.DIRECTORY;
        f.sourceName = "vault";
        f.sourceMode = 0750;
        f.sourceMtime = Instant.parse("2026-11-01T00:00:00Z");
        f.labels = Map.of("app", "vault", "env", "prod");
        f.compression = Compression.zstd(3);
        f.encryptionMode = BackupManifest.MODE_PASSPHRASE;
        f.s2kBytes = PassphraseEncryption.DEFAULT_S2K_BYTES;
        f.plaintextBytes = 10240;
        f.plaintextSha256 = "a".repeat(64);
        f.ciphertextBytes = 2000;
        f.ciphertextSha256 = "b".repeat(64);
        f.entries = List.of(
            ManifestEntry.directory("conf", 0755, Instant.parse("2026-11-01T00:00:00Z")),
            ManifestEntry.file("conf/vault.hcl", 42, 0640, Instant.parse("2026-11-01T00:00:01.5Z"), "c".repeat(64)),
            ManifestEntry.symlink("current", "conf", Instant.parse("2026-11-01T00:00:02Z")));
        return f;
    }

    @Test
    void aManifestWrittenAsItIsHashedIsTheSameAsASealedOneInPartsToo() throws Exception {
        BackupManifest sealed = ManifestFormat.seal(partedFields(), KEY);
        java.io.ByteArrayOutputStream streamed = new java.io.ByteArrayOutputStream();

        BackupManifest summary = ManifestFormat.sealTo(partedFields(), KEY, BackupManifest.MAX_BYTES, streamed);

        assertThat(streamed.toByteArray()).isEqualTo(sealed.toBytes());
        assertThat(summary).isEqualTo(sealed);
        assertThat(summary.parts()).isEqualTo(sealed.parts());
        BackupManifest.parse(streamed.toByteArray()).checkAuthentic(KEY);
    }

    static byte[] sealed() {
        return ManifestFormat.seal(fields(), KEY).toBytes();
    }

    /** The fields of a backup in three parts (format 2). */
    static BackupManifest.Fields partedFields() {
        BackupManifest.Fields f = fields();
        f.parts = List.of(new DataPart("data.00000.pgp", 1000, "1".repeat(64)),
            new DataPart("data.00001.pgp", 900, "2".repeat(64)),
            new DataPart("data.00002.pgp", 100, "3".repeat(64)));
        return f;
    }

    static byte[] sealedParts() {
        return ManifestFormat.seal(partedFields(), KEY).toBytes();
    }

    @Test
    void writesAndReadsBackupsInPartsAsFormat2() {
        byte[] bytes = sealedParts();
        String text = new String(bytes, StandardCharsets.UTF_8);

        BackupManifest parsed = BackupManifest.parse(bytes);

        assertThat(text).startsWith("{\"format\":\"drkit.backup-manifest/2\",\"body\":{")
            .contains("\"ciphertext\":{\"bytes\":2000,\"sha256\":\"" + "b".repeat(64) + "\",\"parts\":["
                + "{\"object\":\"data.00000.pgp\",\"bytes\":1000,\"sha256\":\"" + "1".repeat(64) + "\"},");
        assertThat(parsed.formatVersion()).isEqualTo(2);
        assertThat(parsed.parts()).isEqualTo(partedFields().parts);
        assertThat(parsed.toBytes()).isEqualTo(bytes);
        parsed.checkAuthentic(KEY);
        assertThat(BackupManifest.parse(sealed()).parts())
            .containsExactly(new DataPart("data.pgp", 2000, "b".repeat(64)));
    }

    @Test
    void thePartsAreCoveredByTheHmac() {
        BackupManifest.Fields reordered = partedFields();
        reordered.parts = List.of(new DataPart("data.00000.pgp", 1000, "1".repeat(64)),
            new DataPart("data.00001.pgp", 900, "3".repeat(64)),
            new DataPart("data.00002.pgp", 100, "2".repeat(64)));
        BackupManifest original = BackupManifest.parse(sealedParts());
        BackupManifest other = ManifestFormat.seal(reordered, Secret.ofBytes(new byte[] {1}, "other key"));
        // the body of one with the HMAC of the other: what someone without the key could splice together
        byte[] spliced = ManifestFormat.file(other.body(), ManifestFormat.sha256(other.body()),
            original.bodyHmacSha256(), true);

        assertThatThrownBy(() -> BackupManifest.parse(spliced).checkAuthentic(KEY))
            .isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.NOT_AUTHENTIC));
    }

    @Test
    void refusesPartsThatAreMisnamedOutOfOrderEmptyOrDoNotAddUp() {
        for (String[] edit : new String[][] {
            {"\"data.00001.pgp\"", "\"data.00002.pgp\""},
            {"\"data.00000.pgp\"", "\"data.pgp\""},
            {"\"data.00000.pgp\"", "\"../data.00000.pgp\""},
            {"\"bytes\":900", "\"bytes\":901"},
            {"\"bytes\":900", "\"bytes\":0"},
            {"\"bytes\":900", "\"bytes\":-900"},
            {"\"parts\":[", "\"parts\":[],\"x\":["},
            {"\"parts\":[", "\"object\":\"data.pgp\",\"parts\":["},
            {"\"parts\":[{", "\"parts\":[{\"extra\":1,"},
            {"\"sha256\":\"" + "2".repeat(64), "\"sha256\":\"" + "2".repeat(63)},
        }) {
            byte[] edited = resealed(sealedParts(), edit[0], edit[1], true);
            assertThatThrownBy(() -> BackupManifest.parse(edited)).as(edit[1])
                .isInstanceOfSatisfying(ManifestException.class,
                    e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.MALFORMED));
        }
        BackupManifest.Fields none = partedFields();
        none.parts = List.of();
        byte[] empty = ManifestFormat.seal(none, KEY).toBytes();
        assertThatThrownBy(() -> BackupManifest.parse(empty)).isInstanceOf(ManifestException.class)
            .hasMessageContaining("ciphertext.parts");
    }

    @Test
    void aFormat1ManifestWithPartsAndAFormat2OneWithoutAreRefused() {
        byte[] v1WithParts = ManifestFormat.file(BackupManifest.parse(sealedParts()).body(),
            ManifestFormat.sha256(BackupManifest.parse(sealedParts()).body()), "0".repeat(64), false);
        byte[] v2WithoutParts = ManifestFormat.file(BackupManifest.parse(sealed()).body(),
            ManifestFormat.sha256(BackupManifest.parse(sealed()).body()), "0".repeat(64), true);

        assertThatThrownBy(() -> BackupManifest.parse(v1WithParts)).isInstanceOfSatisfying(ManifestException.class,
            e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.MALFORMED));
        assertThatThrownBy(() -> BackupManifest.parse(v2WithoutParts)).isInstanceOfSatisfying(ManifestException.class,
            e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.MALFORMED));
    }

    @Test
    void writesTheDocumentedLayoutAndReadsItBack() {
        byte[] bytes = sealed();
        String text = new String(bytes, StandardCharsets.UTF_8);

        BackupManifest parsed = BackupManifest.parse(bytes);

        assertThat(text).startsWith("{\"format\":\"drkit.backup-manifest/1\",\"body\":{\"id\":\"20261123T142501Z-1a2b3c4d\"")
            .matches("(?s).*,\"bodySha256\":\"[0-9a-f]{64}\",\"bodyHmacSha256\":\"[0-9a-f]{64}\"}\n")
            .contains("\"encryption\":{\"format\":\"openpgp\",\"cipher\":\"AES-256\",\"mode\":\"passphrase\","
                + "\"s2kBytes\":65011712}")
            .contains("{\"path\":\"conf/vault.hcl\",\"type\":\"file\",\"size\":42,\"mode\":\"0640\","
                + "\"mtime\":\"2026-11-01T00:00:01.500Z\",\"sha256\":\"" + "c".repeat(64) + "\"}")
            .contains("{\"path\":\"current\",\"type\":\"symlink\",\"mtime\":\"2026-11-01T00:00:02Z\",\"target\":\"conf\"}");
        assertThat(parsed.toBytes()).isEqualTo(bytes);
        assertThat(parsed.entries()).isEqualTo(fields().entries);
        assertThat(parsed.labels()).containsExactly(Map.entry("app", "vault"), Map.entry("env", "prod"));
        assertThat(parsed.sourceMode()).hasValue(0750);
        assertThat(parsed.s2kBytes()).hasValue(PassphraseEncryption.DEFAULT_S2K_BYTES);
        assertThat(parsed.compression()).isEqualTo(Compression.zstd(3));
        parsed.checkAuthentic(KEY);
    }

    @Test
    void theChecksumIsTheSha256OfTheExactBodyBytes() {
        byte[] bytes = sealed();
        BackupManifest parsed = BackupManifest.parse(bytes);

        assertThat(parsed.bodySha256()).isEqualTo(ManifestFormat.sha256(parsed.body()));
        assertThat(new String(bytes, StandardCharsets.UTF_8))
            .contains("\"body\":" + new String(parsed.body(), StandardCharsets.UTF_8) + ",\"bodySha256\"");
    }

    @Test
    void recordsRecipientFingerprints() {
        BackupManifest.Fields f = fields();
        f.encryptionMode = BackupManifest.MODE_RECIPIENTS;
        f.s2kBytes = 0;
        f.recipients = List.of("0123456789ABCDEF0123456789ABCDEF01234567");
        BackupManifest.Fields withPassphrase = fields();
        withPassphrase.encryptionMode = BackupManifest.MODE_RECIPIENTS;
        withPassphrase.recipients = f.recipients;

        BackupManifest parsed = BackupManifest.parse(ManifestFormat.seal(f, KEY).toBytes());
        BackupManifest both = BackupManifest.parse(ManifestFormat.seal(withPassphrase, KEY).toBytes());

        assertThat(parsed.encryptionMode()).isEqualTo("recipients");
        assertThat(parsed.recipients()).containsExactly("0123456789ABCDEF0123456789ABCDEF01234567");
        assertThat(parsed.s2kBytes()).isEmpty();
        assertThat(both.s2kBytes()).hasValue(PassphraseEncryption.DEFAULT_S2K_BYTES);
    }

    @Test
    void anotherKeyIsNotAuthentic() {
        BackupManifest parsed = BackupManifest.parse(sealed());
        byte[] other = new byte[32];
        other[0] = 1;

        assertThatThrownBy(() -> parsed.checkAuthentic(Secret.ofBytes(other, "other")))
            .isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.NOT_AUTHENTIC));
    }

    @Test
    void aNewerFormatVersionIsUnsupportedNotMalformed() {
        byte[] newer = new String(sealed(), StandardCharsets.UTF_8)
            .replace("drkit.backup-manifest/1", "drkit.backup-manifest/4").getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> BackupManifest.parse(newer))
            .isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.UNSUPPORTED_VERSION))
            .hasMessageContaining("format version 4").hasMessageContaining("upgrade drkit");
    }

    @Test
    void refusesWhatIsTooLargeBeforeReadingIt() {
        assertThatThrownBy(() -> BackupManifest.parse(new byte[BackupManifest.MAX_BYTES + 1]))
            .isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.TOO_LARGE));
    }

    @Test
    void refusesUnknownFieldsDuplicatesAndBadValuesEvenWithAMatchingChecksum() {
        for (String[] edit : new String[][] {
            {"\"labels\":{", "\"extra\":1,\"labels\":{"},
            {"\"labels\":{", "\"id\":\"x\",\"labels\":{"},
            {"\"mode\":\"0640\"", "\"mode\":\"0999\""},
            {"\"path\":\"conf/vault.hcl\"", "\"path\":\"../vault.hcl\""},
            {"\"path\":\"conf/vault.hcl\"", "\"path\":\"/etc/vault.hcl\""},
            {"\"path\":\"current\"", "\"path\":\"conf\""},
            {"\"size\":42", "\"size\":-1"},
            {"\"size\":42", "\"size\":4.2"},
            {"\"level\":3", "\"level\":30"},
            {"\"kind\":\"directory\"", "\"kind\":\"socket\""},
            {"\"startedAt\":\"2026-11-23T14:25:01.123Z\"", "\"startedAt\":\"yesterday\""},
            {"\"startedAt\":\"2026-11-23T14:25:01.123Z\"", "\"startedAt\":\"2027-01-01T00:00:00Z\""},
        }) {
            byte[] edited = resealed(edit[0], edit[1]);
            assertThatThrownBy(() -> BackupManifest.parse(edited)).as(edit[1])
                .isInstanceOfSatisfying(ManifestException.class,
                    e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.MALFORMED));
        }
    }

    @Test
    void refusesOtherLayoutsAndNonJson() {
        for (String text : new String[] {"", "{}", "null", "[1,2]", "{\"format\":\"other\"}",
            new String(sealed(), StandardCharsets.UTF_8).replace("\n", ""),
            new String(sealed(), StandardCharsets.UTF_8) + " "}) {
            assertThatThrownBy(() -> BackupManifest.parse(text.getBytes(StandardCharsets.UTF_8))).as(text)
                .isInstanceOf(ManifestException.class);
        }
        assertThatThrownBy(() -> BackupManifest.parse(new byte[] {(byte) 0xff, (byte) 0xfe}))
            .isInstanceOf(ManifestException.class).hasMessageContaining("UTF-8");
    }

    @Test
    void aChangedBodyFailsTheChecksum() {
        byte[] bytes = new String(sealed(), StandardCharsets.UTF_8).replace("\"vault\"", "\"vaulT\"")
            .getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> BackupManifest.parse(bytes))
            .isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.CHECKSUM_MISMATCH));
    }

    @Test
    void aManifestReadForAnotherBackupIsRefused() {
        assertThatThrownBy(() -> ManifestFormat.parse(sealed(), "20261123T000000Z-00000000"))
            .isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.WRONG_BACKUP));
    }

    @Test
    void aSummaryHoldsTheFieldsAndTheNumberOfEntriesButNeitherTheEntriesNorTheBody() {
        BackupManifest whole = BackupManifest.parse(sealed());
        BackupManifest summary = ManifestFormat.parse(sealed(), null, false);

        assertThat(whole.hasEntries()).isTrue();
        assertThat(summary.hasEntries()).isFalse();
        assertThat(summary).isEqualTo(whole).hasToString(whole.toString());
        assertThat(summary.entryCount()).isEqualTo(whole.entries().size()).isEqualTo(3);
        assertThat(summary.info().toJson()).isEqualTo(whole.info().toJson());
        assertThatThrownBy(summary::entries).isInstanceOf(IllegalStateException.class)
            .hasMessage("Manifest of backup 20261123T142501Z-1a2b3c4d was read as a summary, without its entries:"
                + " BackupEngine.manifest(\"20261123T142501Z-1a2b3c4d\") reads it whole");
        assertThatThrownBy(() -> summary.checkAuthentic(KEY)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("without the bytes its HMAC covers");
        assertThatThrownBy(summary::toBytes).isInstanceOf(IllegalStateException.class);
        // what a listing hands out never pins a whole manifest
        assertThat(whole.info().manifest().hasEntries()).isFalse();
        assertThat(whole.info().entryCount()).isEqualTo(3);
    }

    @Test
    void aParsedManifestDoesNotChangeWithTheArrayItWasReadFrom() {
        byte[] bytes = sealed();
        byte[] original = bytes.clone();
        BackupManifest manifest = BackupManifest.parse(bytes);

        java.util.Arrays.fill(bytes, (byte) 'x');

        assertThat(manifest.toBytes()).isEqualTo(original);
        manifest.checkAuthentic(KEY);
    }

    @Test
    void aSummaryStillChecksEveryEntryButNotThatPathsAreUnique() {
        for (String[] edit : new String[][] {
            {"\"mode\":\"0640\"", "\"mode\":\"0999\""},
            {"\"path\":\"conf/vault.hcl\"", "\"path\":\"../vault.hcl\""},
            {"\"size\":42", "\"size\":-1"},
            {"\"entries\":[", "\"entries\":{}, \"x\":["},
            {"\"entries\":[", "\"entries\":[1,"},
        }) {
            byte[] edited = resealed(edit[0], edit[1]);
            assertThatThrownBy(() -> ManifestFormat.parse(edited, null, false)).as(edit[1])
                .isInstanceOfSatisfying(ManifestException.class,
                    e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.MALFORMED));
        }
        byte[] twice = resealed("\"path\":\"current\"", "\"path\":\"conf\"");
        assertThat(ManifestFormat.parse(twice, null, false).entryCount()).isEqualTo(3);
        assertThatThrownBy(() -> BackupManifest.parse(twice)).hasMessageContaining("appears twice");
    }

    @Test
    void aFileSourceWithEntriesIsRefusedWholeOrAsASummary() {
        BackupManifest directory = BackupManifest.parse(sealed());
        byte[] body = new String(directory.body(), StandardCharsets.UTF_8)
            .replace("\"kind\":\"directory\"", "\"kind\":\"file\"")
            .replace("\"format\":\"tar\"", "\"format\":\"raw\"").getBytes(StandardCharsets.UTF_8);
        byte[] edited = ManifestFormat.file(body, ManifestFormat.sha256(body), directory.bodyHmacSha256(), false);
        for (boolean keep : new boolean[] {true, false}) {
            assertThatThrownBy(() -> ManifestFormat.parse(edited, null, keep)).hasMessageContaining("a file source has"
                + " entries");
        }
    }

    /** The manifest with one edit of its body and a checksum that matches the edit. */
    static byte[] resealed(String from, String to) {
        return resealed(sealed(), from, to, false);
    }

    static byte[] resealed(byte[] manifest, String from, String to, boolean parts) {
        BackupManifest parsed = BackupManifest.parse(manifest);
        String body = new String(parsed.body(), StandardCharsets.UTF_8);
        assertThat(body).contains(from);
        byte[] edited = body.replaceFirst(java.util.regex.Pattern.quote(from),
            java.util.regex.Matcher.quoteReplacement(to)).getBytes(StandardCharsets.UTF_8);
        return ManifestFormat.file(edited, ManifestFormat.sha256(edited), parsed.bodyHmacSha256(), parts);
    }
}
