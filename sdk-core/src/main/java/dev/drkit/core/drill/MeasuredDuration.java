package dev.drkit.core.drill;

import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.Durations;

import java.time.Duration;
import java.util.Objects;

/**
 * A measured duration and how precisely it is known: an RTO seen by probes every 250 ms is
 * {@code 2.500 s ± 0.250 s}.
 *
 * <p>For the measurements drkit makes, the value is an upper bound of the true one, to within the time a
 * single probe or write takes: the true RTO lies between {@code value - uncertainty} and {@code value} (the
 * system was down at the last failed probe and up at the first passing one), and likewise the true RPO. A
 * value is compared with its target as it is. Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public final class MeasuredDuration {

    private final Duration value;
    private final Duration uncertainty;

    private MeasuredDuration(Duration value, Duration uncertainty) {
        this.value = value;
        this.uncertainty = uncertainty;
    }

    /**
     * A measurement.
     *
     * @param value       what was measured; not negative
     * @param uncertainty how precisely it is known (the probe or write interval); not negative
     * @throws IllegalArgumentException if either is negative
     * @since 0.1
     */
    public static MeasuredDuration of(Duration value, Duration uncertainty) {
        return new MeasuredDuration(Checks.notNegative(value, "value"), Checks.notNegative(uncertainty, "uncertainty"));
    }

    /**
     * What was measured.
     *
     * @since 0.1
     */
    public Duration value() {
        return value;
    }

    /**
     * How precisely the value is known.
     *
     * @since 0.1
     */
    public Duration uncertainty() {
        return uncertainty;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MeasuredDuration
            && value.equals(((MeasuredDuration) other).value)
            && uncertainty.equals(((MeasuredDuration) other).uncertainty);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, uncertainty);
    }

    /** {@code 2.500 s ± 0.250 s}. */
    @Override
    public String toString() {
        return Durations.seconds(value) + " ± " + Durations.seconds(uncertainty);
    }
}
