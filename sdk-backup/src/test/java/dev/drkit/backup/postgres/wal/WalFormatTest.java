package dev.drkit.backup.postgres.wal;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

/** LSNs, file names, history files, backup labels and PostgreSQL timestamps. */
class WalFormatTest {

    @Test
    void lsnTextRoundTrips() {
        qt().forAll(longs().between(0, Long.MAX_VALUE)).checkAssert(lsn ->
            assertThat(Lsn.parse(Lsn.format(lsn))).isEqualTo(lsn));
        assertThat(Lsn.format(0x3000028L)).isEqualTo("0/3000028");
        assertThat(Lsn.parse("1/A0")).isEqualTo(0x1_0000_00A0L);
    }

    @Test
    void malformedLsnIsRefused() {
        assertThatThrownBy(() -> Lsn.parse("0/")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lsn.parse("x/1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lsn.parse("123456789/1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void segmentNamesRoundTripForEverySegmentSize() {
        for (long size = 1 << 20; size <= 1 << 30; size <<= 1) {
            long segmentSize = size;
            qt().forAll(longs().between(0, Long.MAX_VALUE / segmentSize)).checkAssert(segno -> {
                String name = SegmentName.of(7, segno, segmentSize);
                SegmentName.Segment parsed = SegmentName.parseSegment(name, segmentSize).orElseThrow();
                assertThat(parsed.segno()).isEqualTo(segno);
                assertThat(parsed.timeline()).isEqualTo(7);
            });
        }
        assertThat(SegmentName.of(1, 0x103, 16 << 20)).isEqualTo("000000010000000100000003");
        assertThat(SegmentName.parseSegment("000000010000000000000003.partial", 16 << 20).orElseThrow().partial())
            .isTrue();
        assertThat(SegmentName.parseSegment("000000010000000000000100", 16 << 20)).isEmpty();
        assertThat(SegmentName.parseHistory("0000000A.history")).contains(10);
        assertThat(SegmentName.isBackupHistory("000000010000000000000002.00000028.backup")).isTrue();
    }

    @Test
    void historyChoosesTimelinesBySwitchPoint() throws Exception {
        TimelineHistory h = TimelineHistory.parse(3, ("1\t0/3000060\tno recovery target specified\n"
            + "\n# comment\n2\t0/5000100\tbefore 2026-11-23 14:00:00+00\n").getBytes(StandardCharsets.UTF_8));

        assertThat(h.parent()).isEqualTo(2);
        assertThat(h.begin()).isEqualTo(0x5000100L);
        assertThat(h.timelineAt(0x3000059L)).isEqualTo(1);
        assertThat(h.timelineAt(0x3000060L)).isEqualTo(2);
        assertThat(h.timelineAt(0x50000FFL)).isEqualTo(2);
        assertThat(h.timelineAt(0x5000100L)).isEqualTo(3);
        assertThat(h.beginOf(2)).isEqualTo(0x3000060L);
        assertThat(h.contains(1)).isTrue();
        assertThat(h.contains(4)).isFalse();
    }

    @Test
    void historyWithTimelinesOutOfOrderOrSwitchPointsGoingDownIsRefused() {
        assertThatThrownBy(() -> TimelineHistory.parse(3, "2\t0/5000000\tx\n1\t0/6000000\tx\n".getBytes()))
            .hasMessageContaining("timelines must increase");
        assertThatThrownBy(() -> TimelineHistory.parse(3, "1\t0/5000000\tx\n2\t0/4000000\tx\n".getBytes()))
            .hasMessageContaining("before the previous one");
        assertThatThrownBy(() -> TimelineHistory.parse(2, "2\t0/5000000\tx\n".getBytes()))
            .hasMessageContaining("as an ancestor of timeline 2");
        assertThatThrownBy(() -> TimelineHistory.parse(2, "# nothing\n".getBytes()))
            .hasMessageContaining("names no parent");
        assertThatThrownBy(() -> TimelineHistory.parse(2, "1\tzz\tx\n".getBytes()))
            .hasMessageContaining("not an LSN");
    }

    @Test
    void backupLabelTimeIsReadWithItsZone() {
        assertThat(BaseBackup.parseTime("2026-11-23 14:24:35 UTC")).isEqualTo(Instant.parse("2026-11-23T14:24:35Z"));
        assertThat(BaseBackup.parseTime("2026-11-23 15:24:35 CET")).isEqualTo(Instant.parse("2026-11-23T14:24:35Z"));
        assertThat(BaseBackup.parseTime("yesterday")).isNull();
        // not Asia/Dhaka, as ZoneId.SHORT_IDS has it
        assertThat(BaseBackup.parseTime("2024-06-01 12:00:00 BST")).isEqualTo(Instant.parse("2024-06-01T11:00:00Z"));
    }

    @Test
    void backupLabelNeedsItsLocations() {
        String label = "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n"
            + "CHECKPOINT LOCATION: 0/2000060\nSTART TIMELINE: 1\n";
        assertThat(BaseBackup.parseLabel(label.getBytes())).containsEntry("START TIMELINE", "1");
        assertThatThrownBy(() -> BaseBackup.parseLabel("CHECKPOINT LOCATION: 0/2000060\n".getBytes()))
            .hasMessageContaining("START WAL LOCATION");
    }

    @Test
    void postgresTimestampsCountFrom2000() {
        assertThat(WalRecords.toInstant(0)).isEqualTo(Instant.parse("2000-01-01T00:00:00Z"));
        qt().forAll(longs().between(-1L << 50, 1L << 50)).checkAssert(micros ->
            assertThat(WalRecords.toPostgresMicros(WalRecords.toInstant(micros))).isEqualTo(micros));
    }

    @Test
    void manifestJsonReaderRefusesMalformedInput() {
        assertThat(MiniJson.parse("{\"a\":[1,2.5,\"x\\u0041\",true,null]}")).isInstanceOf(java.util.Map.class);
        for (String bad : List.of("{", "[1,]", "{\"a\" 1}", "\"\\q\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")) {
            assertThatThrownBy(() -> MiniJson.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("malformed JSON");
        }
    }
}
