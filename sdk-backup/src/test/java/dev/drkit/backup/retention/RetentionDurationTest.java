package dev.drkit.backup.retention;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The keep-within duration format (restic's {@code 1y2m3d4h}), and the calendar arithmetic behind it. */
class RetentionDurationTest {

    @ParameterizedTest
    @CsvSource({
        "30d,        0, 0, 30, 0",
        "1y2m3d4h,   1, 2, 3,  4",
        "4h3d2m1y,   1, 2, 3,  4",
        "12h,        0, 0, 0,  12",
        "2y,         2, 0, 0,  0",
        "6m,         0, 6, 0,  0",
        "007d,       0, 0, 7,  0",
        "0d,         0, 0, 0,  0",
        "1000000y,   1000000, 0, 0, 0",
    })
    void readsResticsFormat(String text, int years, int months, int days, int hours) {
        RetentionDuration duration = RetentionDuration.parse(text);

        assertThat(duration.years()).isEqualTo(years);
        assertThat(duration.months()).isEqualTo(months);
        assertThat(duration.days()).isEqualTo(days);
        assertThat(duration.hours()).isEqualTo(hours);
        assertThat(duration).isEqualTo(RetentionDuration.of(years, months, days, hours));
    }

    @Test
    void ignoresSurroundingWhitespace() {
        assertThat(RetentionDuration.parse("  2d \t")).isEqualTo(RetentionDuration.ofDays(2));
    }

    @Test
    void writesWhatItReads() {
        assertThat(RetentionDuration.parse("4h3d2m1y")).hasToString("1y2m3d4h");
        assertThat(RetentionDuration.parse("30d")).hasToString("30d");
        assertThat(RetentionDuration.ZERO).hasToString("0d");
        assertThat(RetentionDuration.parse("0y0d")).isSameAs(RetentionDuration.ZERO);
        assertThat(RetentionDuration.ZERO.isZero()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''          | it is empty",
        "'   '       | it is empty",
        "d           | 'd' at position 1 is not a digit",
        "30          | no unit after 30",
        "3x          | 'x' after 3 is not a unit",
        "1w          | 'w' after 1 is not a unit",
        "30D         | 'D' after 30 is not a unit",
        "-3d         | '-' at position 1 is not a digit",
        "+3d         | '+' at position 1 is not a digit",
        "1d2d        | unit d appears twice",
        "1d 2h       | ' ' at position 3 is not a digit",
        "'  1d x'    | ' ' at position 5 is not a digit",
        "1.5d        | '.' after 1 is not a unit",
        "1000001d    | 1000001d is more than 1000000d",
        "99999999999y| 99999999999y is more than 1000000y",
    })
    void rejectsAnythingElseSayingWhatIsWrong(String text, String problem) {
        assertThatThrownBy(() -> RetentionDuration.parse(text))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("duration must be numbers each followed by y, m, d or h, like 30d or 1y2m3d4h, but was \""
                + text + "\": " + problem);
    }

    @ParameterizedTest
    @ValueSource(strings = {"٣d", "３d"})
    void acceptsOnlyAsciiDigits(String text) {
        // Go's unicode.IsNumber lets restic read other scripts' digits; a typo is likelier than intent here.
        assertThatThrownBy(() -> RetentionDuration.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void quotesControlCharactersHarmlessly() {
        assertThatThrownBy(() -> RetentionDuration.parse("1d\u001b[2J"))
            .hasMessageNotContaining("\u001b")
            .hasMessageContaining("1d?[2J");
    }

    @Test
    void rejectsNegativeAndHugeComponents() {
        assertThatThrownBy(() -> RetentionDuration.of(0, -1, 0, 0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("months must be between 0 and 1000000, but was -1");
        assertThatThrownBy(() -> RetentionDuration.ofDays(1_000_001))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("days must be between 0 and 1000000, but was 1000001");
    }

    @Test
    void goesBackOnTheCalendarCarryingAnOverflowingDayIntoTheNextMonthAsGoDoes() {
        // 31 March less one month is "31 February", which Go's AddDate (and so restic) turns into 3 March.
        Instant march31 = Instant.parse("2026-03-31T12:00:00Z");

        assertThat(RetentionDuration.parse("1m").before(march31, ZoneOffset.UTC))
            .isEqualTo(Instant.parse("2026-03-03T12:00:00Z"));
        assertThat(RetentionDuration.parse("1y").before(Instant.parse("2028-02-29T00:00:00Z"), ZoneOffset.UTC))
            .isEqualTo(Instant.parse("2027-03-01T00:00:00Z"));
    }

    @Test
    void appliesYearsMonthsAndDaysInOneStepThenHoursAsElapsedTime() {
        // 2026-11-20 less 1y2m3d = 2025-09-17 (one step), then 4 hours before that.
        assertThat(RetentionDuration.parse("1y2m3d4h").before(Instant.parse("2026-11-20T02:00:00Z"), ZoneOffset.UTC))
            .isEqualTo(Instant.parse("2025-09-16T22:00:00Z"));
    }

    @Test
    void countsDaysOnTheWallClockOfTheZone() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        // 12:00 on 29 March 2026 in Berlin (summer time) less a day is 12:00 on 28 March (winter time).
        assertThat(RetentionDuration.parse("1d").before(Instant.parse("2026-03-29T10:00:00Z"), berlin))
            .isEqualTo(Instant.parse("2026-03-28T11:00:00Z"));
        // Hours are elapsed time: 24h back is 24 hours back, whatever the clocks did.
        assertThat(RetentionDuration.parse("24h").before(Instant.parse("2026-03-29T10:00:00Z"), berlin))
            .isEqualTo(Instant.parse("2026-03-28T10:00:00Z"));
    }

    @Test
    void movesAWallClockTimeInAGapForward() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        // 02:30 on 30 March 2026 less a day is 02:30 on 29 March, which Berlin skipped: it becomes 03:30 CEST.
        assertThat(RetentionDuration.parse("1d").before(Instant.parse("2026-03-30T00:30:00Z"), berlin))
            .isEqualTo(Instant.parse("2026-03-29T01:30:00Z"));
    }

    @Test
    void reachesAMillionYearsBackFromTheEarliestBackupWithoutOverflow() {
        RetentionDuration huge = RetentionDuration.of(1_000_000, 1_000_000, 1_000_000, 1_000_000);

        assertThat(huge.before(Backup.MIN_TIME, ZoneId.of("Pacific/Kiritimati"))).isBefore(Backup.MIN_TIME);
        assertThat(huge.before(Backup.MAX_TIME, ZoneId.of("Pacific/Kiritimati"))).isBefore(Backup.MAX_TIME);
    }
}
