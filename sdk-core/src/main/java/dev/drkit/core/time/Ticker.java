package dev.drkit.core.time;

/**
 * A monotonic source of nanoseconds, for measuring intervals (never wall-clock time).
 *
 * <p>Production code uses {@link #system()}; tests use {@link ManualTicker} so that nothing has to sleep.
 * Implementations are thread-safe.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface Ticker {

    /** Nanoseconds from an arbitrary origin; only differences between two readings have a meaning. */
    long nanos();

    /** The JVM's monotonic clock, {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
