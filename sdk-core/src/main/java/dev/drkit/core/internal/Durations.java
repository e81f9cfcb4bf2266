package dev.drkit.core.internal;

import java.time.Duration;
import java.util.Locale;

/**
 * Renders durations for people: seconds with millisecond precision, as an operator reads them in a terminal.
 * Internal: no compatibility guarantees.
 */
public final class Durations {

    private Durations() {
    }

    /** {@code 2.500 s}; negative durations keep their sign. */
    public static String seconds(Duration duration) {
        long millis = duration.toMillis();
        String sign = millis < 0 ? "-" : "";
        long abs = Math.abs(millis);
        return String.format(Locale.ROOT, "%s%d.%03d s", sign, abs / 1000, abs % 1000);
    }
}
