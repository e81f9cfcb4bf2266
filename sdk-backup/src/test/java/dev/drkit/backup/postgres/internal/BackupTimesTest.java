package dev.drkit.backup.postgres.internal;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Label times as PostgreSQL writes them ({@code %Y-%m-%d %H:%M:%S %Z} in {@code log_timezone}): read when the zone
 * stands for one offset, unknown otherwise.
 */
class BackupTimesTest {

    @Test
    void unambiguousZonesAreReadWithTheirOffset() {
        assertThat(BackupTimes.time("2024-06-01 12:00:00 UTC")).contains(Instant.parse("2024-06-01T12:00:00Z"));
        assertThat(BackupTimes.time("2024-06-01 12:00:00 GMT")).contains(Instant.parse("2024-06-01T12:00:00Z"));
        assertThat(BackupTimes.time("2024-06-01 12:00:00 BST")).contains(Instant.parse("2024-06-01T11:00:00Z"));
        assertThat(BackupTimes.time("2024-06-01 12:00:00 CEST")).contains(Instant.parse("2024-06-01T10:00:00Z"));
        assertThat(BackupTimes.time("2024-01-15 12:00:00 CET")).contains(Instant.parse("2024-01-15T11:00:00Z"));
        assertThat(BackupTimes.time("2024-06-01 12:00:00 EDT")).contains(Instant.parse("2024-06-01T16:00:00Z"));
        assertThat(BackupTimes.time("2024-06-01 12:00:00 PDT")).contains(Instant.parse("2024-06-01T19:00:00Z"));
        assertThat(BackupTimes.time("2024-01-15 12:00:00 NST")).contains(Instant.parse("2024-01-15T15:30:00Z"));
        // tzdata writes zones without an abbreviation as an offset: Asia/Dubai +04, Asia/Kathmandu +0545
        assertThat(BackupTimes.time("2024-06-01 12:00:00 +04")).contains(Instant.parse("2024-06-01T08:00:00Z"));
        assertThat(BackupTimes.time("2024-06-01 12:00:00 +0545")).contains(Instant.parse("2024-06-01T06:15:00Z"));
        assertThat(BackupTimes.time("2024-06-01 12:00:00 -03")).contains(Instant.parse("2024-06-01T15:00:00Z"));
    }

    @Test
    void ambiguousOrUnknownAbbreviationsLeaveTheTimeUnknown() {
        // CST: US Central, China, Cuba; IST: India, Israel, Ireland; PST: US Pacific, the Philippines
        assertThat(BackupTimes.time("2024-06-01 12:00:00 CST")).isEmpty();
        assertThat(BackupTimes.time("2024-06-01 12:00:00 IST")).isEmpty();
        assertThat(BackupTimes.time("2024-01-15 12:00:00 PST")).isEmpty();
        assertThat(BackupTimes.time("2024-06-01 12:00:00 XYZT")).isEmpty();
        assertThat(BackupTimes.time("2024-06-01 12:00:00 +25")).isEmpty();
        assertThat(BackupTimes.time("2024-06-01 12:00:00")).isEmpty();
    }
}
