package dev.drkit.backup.postgres.internal;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Fuzzes the parser of the record kept beside each archived WAL file ({@code wal.json}), which anyone with write
 * access to the store may have changed. In a normal build each target runs once with empty input; to fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn -pl sdk-backup test -Dtest=WalMetaFuzzTest}.
 */
class WalMetaFuzzTest {

    private static final WalMeta VALID = new WalMeta("000000010000000000000003", 16777216, "a".repeat(64), 1234,
        "b".repeat(64), "zstd-1", "passphrase");

    @FuzzTest(maxDuration = "60s")
    void parsesAnyBytesOrRefusesThem(FuzzedDataProvider data) {
        check(data.consumeRemainingAsBytes());
    }

    @FuzzTest(maxDuration = "60s")
    void parsesEditedRecords(FuzzedDataProvider data) {
        String text = new String(VALID.toBytes(), StandardCharsets.UTF_8);
        int from = data.consumeInt(0, text.length());
        int to = data.consumeInt(from, Math.min(text.length(), from + 20));
        check((text.substring(0, from) + data.consumeRemainingAsString() + text.substring(to))
            .getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRecordReadsBackAsWritten() throws Exception {
        assertThat(WalMeta.parse(VALID.toBytes())).isEqualTo(VALID);
    }

    @Test
    void refusesDuplicateFieldsOtherFormatsAndBadDigests() {
        String text = new String(VALID.toBytes(), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> WalMeta.parse(text.replace("\"bytes\":16777216", "\"bytes\":1,\"bytes\":2")
            .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("twice");
        assertThatThrownBy(() -> WalMeta.parse(text.replace("drkit.wal/1", "drkit.wal/9")
            .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("format");
        assertThatThrownBy(() -> WalMeta.parse(text.replace("a".repeat(64), "A".repeat(64))
            .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("sha256");
    }

    private static void check(byte[] bytes) {
        WalMeta meta;
        try {
            meta = WalMeta.parse(bytes);
        } catch (WalMeta.InvalidMetaException expected) {
            assertThat(expected.getMessage()).doesNotContain("\n");
            return;
        }
        // what is accepted is a well-formed record that survives a round trip
        try {
            assertThat(WalMeta.parse(meta.toBytes())).isEqualTo(meta);
        } catch (WalMeta.InvalidMetaException e) {
            throw new AssertionError("an accepted record does not read back: " + e.getMessage(), e);
        }
    }
}
