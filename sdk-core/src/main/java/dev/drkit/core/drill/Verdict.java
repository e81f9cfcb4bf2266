package dev.drkit.core.drill;

/**
 * Whether a drill met its bar: no step failed, and every target set was met by a measurement.
 *
 * <p>Immutable and thread-safe, as enums are.
 *
 * @since 0.1
 */
public enum Verdict {
    /** Every step passed or was skipped, and every target was met. */
    PASS,
    /** A step failed, a target was missed, or a target's measurement is missing. */
    FAIL
}
