package dev.drkit.examples.nightly;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Objects;

/**
 * When {@link NightlyBackupApp} runs: the first due time strictly after a given instant. Implementations are
 * immutable and thread-safe.
 */
@FunctionalInterface
public interface Schedule {

    /** The first time strictly after {@code after} at which a run is due. */
    Instant next(Instant after);

    /**
     * Every day at {@code time} on the wall clock of {@code zone}. On the day clocks go forward, a time in the gap
     * runs after it (02:30 in Europe/Berlin on the last Sunday of March runs at 03:30); on the day they go back, a
     * time that happens twice runs the first time only.
     */
    static Schedule dailyAt(LocalTime time, ZoneId zone) {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(zone, "zone");
        return new Schedule() {
            @Override
            public Instant next(Instant after) {
                LocalDate day = after.atZone(zone).toLocalDate();
                while (true) {
                    // ZonedDateTime.of moves a time in a gap forward and takes the earlier of two offsets.
                    Instant due = ZonedDateTime.of(day, time, zone).toInstant();
                    if (due.isAfter(after)) {
                        return due;
                    }
                    day = day.plusDays(1);
                }
            }

            @Override
            public String toString() {
                return "daily at " + time + " " + zone;
            }
        };
    }

    /** Every {@code interval} from {@code origin}: {@code origin + k × interval}, for tests and frequent backups. */
    static Schedule every(Duration interval, Instant origin) {
        Objects.requireNonNull(origin, "origin");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, but was " + interval);
        }
        long step = interval.toMillis();
        if (step < 1) {
            throw new IllegalArgumentException("interval must be at least 1 ms, but was " + interval);
        }
        return new Schedule() {
            @Override
            public Instant next(Instant after) {
                long since = after.toEpochMilli() - origin.toEpochMilli();
                long k = since < 0 ? 0 : Math.floorDiv(since, step) + 1;
                return origin.plusMillis(k * step);
            }

            @Override
            public String toString() {
                return "every " + interval + " from " + origin;
            }
        };
    }
}
