package dev.drkit.core.slo;

import java.time.Duration;

/** Short names for windows, as used in metric tags and logs: {@code 5m}, {@code 1h}, {@code 3d}. */
final class Windows {

    private Windows() {
    }

    static String format(Duration window) {
        long seconds = window.getSeconds();
        if (window.getNano() != 0) {
            return window.toMillis() + "ms";
        }
        if (seconds % 86_400 == 0) {
            return seconds / 86_400 + "d";
        }
        if (seconds % 3_600 == 0) {
            return seconds / 3_600 + "h";
        }
        if (seconds % 60 == 0) {
            return seconds / 60 + "m";
        }
        return seconds + "s";
    }
}
