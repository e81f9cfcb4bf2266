package dev.drkit.backup.retention;

import java.time.LocalDateTime;
import java.time.temporal.IsoFields;

/**
 * The calendar buckets of the hourly to yearly rules, on a wall clock. The label of a bucket is also its key:
 * two wall-clock times share a bucket exactly when their labels are equal.
 */
enum Period {
    /** {@code 2026-11-20T14}: the date and the hour. */
    HOUR {
        @Override
        String label(LocalDateTime wall) {
            return wall.toLocalDate() + "T" + twoDigits(wall.getHour());
        }
    },
    /** {@code 2026-11-20}. */
    DAY {
        @Override
        String label(LocalDateTime wall) {
            return wall.toLocalDate().toString();
        }
    },
    /**
     * {@code 2026-W47}: the ISO 8601 week-based year and week. Weeks start on Monday, and week 1 is the week
     * with the year's first Thursday, so 29 December 2025 is in 2026-W01 and 1 January 2027 in 2026-W53.
     */
    WEEK {
        @Override
        String label(LocalDateTime wall) {
            return year(wall.get(IsoFields.WEEK_BASED_YEAR)) + "-W"
                + twoDigits(wall.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
        }
    },
    /** {@code 2026-11}. */
    MONTH {
        @Override
        String label(LocalDateTime wall) {
            return year(wall.getYear()) + "-" + twoDigits(wall.getMonthValue());
        }
    },
    /** {@code 2026}. */
    YEAR {
        @Override
        String label(LocalDateTime wall) {
            return year(wall.getYear());
        }
    };

    /** The bucket of {@code wall}, as text. */
    abstract String label(LocalDateTime wall);

    private static String twoDigits(int value) {
        return value < 10 ? "0" + value : Integer.toString(value);
    }

    /** A year as ISO 8601 and {@link java.time.LocalDate#toString()} write it: at least four digits. */
    private static String year(int year) {
        return year < 0 ? String.format("-%04d", -year) : String.format("%04d", year);
    }
}
