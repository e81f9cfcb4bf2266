package dev.drkit.core.drill;

/**
 * How one step of a drill ended.
 *
 * <p>Immutable and thread-safe, as enums are.
 *
 * @since 0.1
 */
public enum StepOutcome {
    /** The step did what it should. */
    PASS,
    /** The step failed; the drill's verdict is {@link Verdict#FAIL}. */
    FAIL,
    /** The step was not run (an earlier step failed, or it does not apply here). */
    SKIP
}
