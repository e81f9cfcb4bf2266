package dev.drkit.backup.postgres.wal;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes everything that reads archive bytes: WAL segments, timeline history files, backup manifests and labels.
 * Each must return results or report a problem, never throw, and never trust a length it read.
 *
 * <p>In a normal build each target runs once with empty input (and with any saved inputs under
 * {@code src/test/resources/dev/drkit/backup/postgres/wal/WalReaderFuzzTestInputs/<method>/}). To fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn -pl sdk-backup test -Dtest=WalReaderFuzzTest}.
 */
class WalReaderFuzzTest {

    private static final int SEGMENT = 1 << 20;
    private static final int BLOCK = 8192;
    private static final long SYSID = 7_000_000_000_000_000_001L;

    /**
     * A 1 MiB segment of fuzzer bytes (repeated to fill it), with valid page headers stamped on most pages (so the record parser is
     * reached) and record-like headers now and then.
     */
    @FuzzTest(maxDuration = "60s")
    void walkerSurvivesAnySegment(FuzzedDataProvider data) throws IOException {
        long segno = data.consumeLong(0, 1000);
        boolean stampHeaders = data.consumeBoolean();
        byte[] segment = new byte[SEGMENT];
        byte[] fuzz = data.consumeBytes(SEGMENT);
        // fuzzer inputs are short: repeat them over the segment so that records cross pages
        for (int at = 0; fuzz.length > 0 && at < SEGMENT; at += fuzz.length) {
            System.arraycopy(fuzz, 0, segment, at, Math.min(fuzz.length, SEGMENT - at));
        }
        ByteBuffer le = ByteBuffer.wrap(segment).order(ByteOrder.LITTLE_ENDIAN);
        if (stampHeaders) {
            for (int page = 0; page < SEGMENT / BLOCK; page++) {
                int at = page * BLOCK;
                le.putShort(at, (short) WalWalker.PAGE_MAGIC_PG15);
                le.putShort(at + 2, (short) ((le.getShort(at + 2) & 0x1) | (page == 0 ? 0x2 : 0)));
                le.putInt(at + 4, 1);
                le.putLong(at + 8, segno * SEGMENT + at);
                if (page == 0) {
                    le.putLong(at + 24, SYSID);
                    le.putInt(at + 32, SEGMENT);
                    le.putInt(at + 36, BLOCK);
                }
            }
        }
        Path file = Files.createTempFile("wal-fuzz", ".seg");
        try {
            Files.write(file, segment);
            List<Long> records = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            WalWalker walker = new WalWalker(new WalWalker.Sink() {
                @Override
                public void record(WalWalker.Record r) {
                    assertThat(r.totalLength()).isBetween((long) WalWalker.RECORD_HEADER, WalWalker.MAX_RECORD_LENGTH);
                    assertThat(r.prefixLength()).isBetween(0, WalWalker.PREFIX_BYTES);
                    WalRecords.xactTime(r);
                    WalRecords.backupEndStart(r);
                    WalRecords.endOfRecoveryTimelines(r);
                    records.add(r.lsn());
                }

                @Override
                public void problem(WalWalker.Problem problem, long lsn, String message) {
                    assertThat(message).isNotBlank().doesNotContain("\n");
                    problems.add(message);
                }
            }, SEGMENT, BLOCK, SYSID);
            walker.start(segno * SEGMENT, data.consumeBoolean() ? -1 : segno * SEGMENT - 24);
            WalWalker.Outcome outcome = walker.walkSegment(file, segno, (address, tli) -> null);

            assertThat(problems.size()).isLessThanOrEqualTo(1);
            assertThat(outcome == WalWalker.Outcome.FAILED).isEqualTo(!problems.isEmpty());
            for (int i = 1; i < records.size(); i++) {
                assertThat(records.get(i)).isGreaterThan(records.get(i - 1));
            }
            assertThat(walker.bytesRead()).isLessThanOrEqualTo(SEGMENT);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** History files: parsed or refused with a reason, never anything else. */
    @FuzzTest(maxDuration = "30s")
    void historyParserSurvivesAnyText(FuzzedDataProvider data) {
        int timeline = data.consumeInt(1, 100);
        byte[] bytes = data.consumeRemainingAsBytes();
        try {
            TimelineHistory history = TimelineHistory.parse(timeline, bytes);
            assertThat(history.entries()).isNotEmpty();
            assertThat(history.parent()).isLessThan(timeline);
            history.timelineAt(data.consumeLong());
        } catch (TimelineHistory.InvalidHistoryException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    /** Manifests and labels: parsed, or refused with IllegalArgumentException. */
    @FuzzTest(maxDuration = "30s")
    void manifestAndLabelParsersSurviveAnyText(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        List<String> problems = new ArrayList<>();
        try {
            BaseBackup.parseManifest(bytes, problems);
        } catch (IllegalArgumentException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
        try {
            BaseBackup.parseLabel(bytes);
        } catch (IllegalArgumentException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
        BaseBackup.parseTime(text);
    }
}
