package dev.drkit.backup.retention;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Objects;

/**
 * How far back a keep-within rule reaches: years, months, days and hours, written like restic's
 * {@code --keep-within} argument, for example {@code 30d}, {@code 1y6m} or {@code 2y5m7d3h}.
 *
 * <p>The period is calendar arithmetic, not a fixed number of seconds: see {@link #before(Instant, ZoneId)}.
 * {@link #ZERO} turns a keep-within rule off. Instances are immutable and thread-safe; two are equal when all
 * four components are.
 *
 * <pre>{@code
 * RetentionDuration month = RetentionDuration.parse("1m");
 * RetentionDuration sameAsAbove = RetentionDuration.of(0, 1, 0, 0);
 * }</pre>
 *
 * @since 0.1
 */
public final class RetentionDuration {

    /**
     * The largest value of any one component: {@value}. A million years back from any backup is still a
     * valid date; beyond it the arithmetic would overflow.
     *
     * @since 0.1
     */
    public static final int MAX_COMPONENT = 1_000_000;

    /**
     * No time at all; as a keep-within setting, the rule is off.
     *
     * @since 0.1
     */
    public static final RetentionDuration ZERO = new RetentionDuration(0, 0, 0, 0);

    private static final String FORMAT = "numbers each followed by y, m, d or h, like 30d or 1y2m3d4h";

    private final int years;
    private final int months;
    private final int days;
    private final int hours;

    private RetentionDuration(int years, int months, int days, int hours) {
        this.years = years;
        this.months = months;
        this.days = days;
        this.hours = hours;
    }

    /**
     * A duration of {@code years}, {@code months}, {@code days} and {@code hours}.
     *
     * @throws IllegalArgumentException if a component is negative or above {@value #MAX_COMPONENT}
     * @since 0.1
     */
    public static RetentionDuration of(int years, int months, int days, int hours) {
        checkComponent(years, "years");
        checkComponent(months, "months");
        checkComponent(days, "days");
        checkComponent(hours, "hours");
        return years == 0 && months == 0 && days == 0 && hours == 0
            ? ZERO : new RetentionDuration(years, months, days, hours);
    }

    /**
     * {@code days} days.
     *
     * @throws IllegalArgumentException if {@code days} is negative or above {@value #MAX_COMPONENT}
     * @since 0.1
     */
    public static RetentionDuration ofDays(int days) {
        return of(0, 0, days, 0);
    }

    private static void checkComponent(int value, String name) {
        if (value < 0 || value > MAX_COMPONENT) {
            throw new IllegalArgumentException(name + " must be between 0 and " + MAX_COMPONENT + ", but was " + value);
        }
    }

    /**
     * Reads restic's duration format: one or more numbers, each followed by its unit, {@code y} (years),
     * {@code m} (months), {@code d} (days) or {@code h} (hours), in any order, for example {@code 30d},
     * {@code 1y6m} or {@code 2y5m7d3h}. Surrounding whitespace is ignored; {@code 0d} is {@link #ZERO}.
     *
     * <p>Stricter than restic, which accepts some text that is surely a mistake: here the text must not be
     * empty, a unit may appear only once ({@code 1d2d} is rejected, where restic takes the last), numbers are
     * ASCII digits without a sign, and each is at most {@value #MAX_COMPONENT}. There is no week unit (restic has
     * none either): write {@code 7d}.
     *
     * @throws IllegalArgumentException if {@code text} is not in this format; the message quotes it and says what
     *                                  is wrong
     * @since 0.1
     */
    public static RetentionDuration parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        if (s.isEmpty()) {
            throw invalid(text, "it is empty");
        }
        int lead = text.length() - text.stripLeading().length();     // so positions count in the text as given
        int[] components = {-1, -1, -1, -1};    // years, months, days, hours; -1: not given
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == start) {
                throw invalid(text, "'" + s.charAt(i) + "' at position " + (lead + i + 1) + " is not a digit");
            }
            String digits = s.substring(start, i);
            if (i == s.length()) {
                throw invalid(text, "no unit after " + digits);
            }
            char unit = s.charAt(i);
            int slot = "ymdh".indexOf(unit);
            if (slot < 0) {
                throw invalid(text, "'" + unit + "' after " + digits + " is not a unit");
            }
            if (components[slot] >= 0) {
                throw invalid(text, "unit " + unit + " appears twice");
            }
            // Leading zeros are harmless, so the length check looks at the digits that matter.
            String significant = digits.replaceFirst("^0+(?=.)", "");
            if (significant.length() > 7 || Integer.parseInt(significant) > MAX_COMPONENT) {
                throw invalid(text, digits + unit + " is more than " + MAX_COMPONENT + unit);
            }
            components[slot] = Integer.parseInt(significant);
            i++;
        }
        return of(Math.max(components[0], 0), Math.max(components[1], 0), Math.max(components[2], 0),
            Math.max(components[3], 0));
    }

    private static IllegalArgumentException invalid(String text, String problem) {
        String shown = text.length() > 60 ? text.substring(0, 60) + "..." : text;
        // The text may come from a command line or a file: keep control characters out of the message.
        return new IllegalArgumentException(("duration must be " + FORMAT + ", but was \"" + shown + "\": " + problem)
            .replaceAll("\\p{Cntrl}", "?"));
    }

    /**
     * The number of years.
     *
     * @since 0.1
     */
    public int years() {
        return years;
    }

    /**
     * The number of months.
     *
     * @since 0.1
     */
    public int months() {
        return months;
    }

    /**
     * The number of days.
     *
     * @since 0.1
     */
    public int days() {
        return days;
    }

    /**
     * The number of hours.
     *
     * @since 0.1
     */
    public int hours() {
        return hours;
    }

    /**
     * Whether every component is 0; a keep-within rule with a zero duration is off.
     *
     * @since 0.1
     */
    public boolean isZero() {
        return years == 0 && months == 0 && days == 0 && hours == 0;
    }

    /**
     * The instant this duration before {@code time}, counted on the calendar of {@code zone} the way restic
     * counts it: years, months and days go back on the wall clock, in one step, with an overflowing day carried
     * into the next month (31 March less one month is 3 March in a common year, as in Go's
     * {@code time.AddDate}, not 28 February); then the hours go back as elapsed time. A wall-clock time that a
     * daylight-saving change skips is moved forward by the length of the gap.
     *
     * @since 0.1
     */
    public Instant before(Instant time, ZoneId zone) {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(zone, "zone");
        LocalDateTime wall = LocalDateTime.ofInstant(time, zone);
        // Go normalises an out-of-range month into the year first, then adds the day offset to the first of
        // that month; YearMonth arithmetic and plusDays do the same without ever clamping a day.
        YearMonth month = YearMonth.from(wall).minusYears(years).minusMonths(months);
        LocalDateTime back = month.atDay(1).plusDays(wall.getDayOfMonth() - 1L - days).atTime(wall.toLocalTime());
        return ZonedDateTime.of(back, zone).toInstant().minus(Duration.ofHours(hours));
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof RetentionDuration)) {
            return false;
        }
        RetentionDuration that = (RetentionDuration) other;
        return years == that.years && months == that.months && days == that.days && hours == that.hours;
    }

    @Override
    public int hashCode() {
        return Objects.hash(years, months, days, hours);
    }

    /**
     * This duration in the format {@link #parse(String)} reads, units in the order y, m, d, h, zero components
     * left out; {@link #ZERO} is {@code 0d}.
     */
    @Override
    public String toString() {
        if (isZero()) {
            return "0d";
        }
        StringBuilder text = new StringBuilder();
        if (years != 0) {
            text.append(years).append('y');
        }
        if (months != 0) {
            text.append(months).append('m');
        }
        if (days != 0) {
            text.append(days).append('d');
        }
        if (hours != 0) {
            text.append(hours).append('h');
        }
        return text.toString();
    }
}
