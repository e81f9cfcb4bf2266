package dev.drkit.core.drill;

import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.Durations;
import dev.drkit.core.internal.Names;
import dev.drkit.core.internal.Text;

import java.time.Duration;
import java.util.Objects;

/**
 * One step of a drill as a {@link DrillReport} shows it: what was done, when (from the start of the drill),
 * for how long, how it ended and a detail for the operator. Immutable and thread-safe.
 *
 * <pre>{@code
 * DrillStep.of("promote replica", Duration.ofMillis(1200), Duration.ofMillis(850), StepOutcome.PASS, "pg_ctl promote")
 * }</pre>
 *
 * @since 0.1
 */
public final class DrillStep {

    /** The longest duration or offset a report holds: 100 years, far beyond any drill, far within arithmetic. */
    static final Duration MAX_DURATION = Duration.ofDays(36_525);

    /**
     * The longest detail kept: {@value} characters.
     *
     * @since 0.1
     */
    public static final int MAX_DETAIL_LENGTH = 4000;

    private final String name;
    private final Duration startOffset;
    private final Duration duration;
    private final StepOutcome outcome;
    private final String detail;

    private DrillStep(String name, Duration startOffset, Duration duration, StepOutcome outcome, String detail) {
        this.name = name;
        this.startOffset = startOffset;
        this.duration = duration;
        this.outcome = outcome;
        this.detail = detail;
    }

    /**
     * A step.
     *
     * @param name        1 to 200 printable characters
     * @param startOffset when it started, from the start of the drill; 0 to 100 years
     * @param duration    how long it took; 0 to 100 years
     * @param outcome     how it ended
     * @param detail      what an operator should know (a command, an exit code, an error); may be empty; at most
     *                    {@value #MAX_DETAIL_LENGTH} characters; never a secret
     * @throws IllegalArgumentException if an argument is out of range
     * @since 0.1
     */
    public static DrillStep of(String name, Duration startOffset, Duration duration, StepOutcome outcome, String detail) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(detail, "detail");
        Names.printable(name, 200, "name");
        Checks.argument(detail.length() <= MAX_DETAIL_LENGTH,
            "detail must be at most %s characters, but was %s", MAX_DETAIL_LENGTH, detail.length());
        return new DrillStep(name, bounded(startOffset, "startOffset"), bounded(duration, "duration"), outcome, detail);
    }

    static Duration bounded(Duration value, String name) {
        Checks.notNegative(value, name);
        Checks.argument(value.compareTo(MAX_DURATION) <= 0, "%s must be at most 100 years, but was %s", name, value);
        return value;
    }

    /**
     * What was done.
     *
     * @since 0.1
     */
    public String name() {
        return name;
    }

    /**
     * When it started, from the start of the drill.
     *
     * @since 0.1
     */
    public Duration startOffset() {
        return startOffset;
    }

    /**
     * How long it took.
     *
     * @since 0.1
     */
    public Duration duration() {
        return duration;
    }

    /**
     * How it ended.
     *
     * @since 0.1
     */
    public StepOutcome outcome() {
        return outcome;
    }

    /**
     * The detail for the operator; may be empty.
     *
     * @since 0.1
     */
    public String detail() {
        return detail;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof DrillStep)) {
            return false;
        }
        DrillStep that = (DrillStep) other;
        return name.equals(that.name) && startOffset.equals(that.startOffset) && duration.equals(that.duration)
            && outcome == that.outcome && detail.equals(that.detail);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, startOffset, duration, outcome, detail);
    }

    @Override
    public String toString() {
        return "DrillStep[" + name + " +" + Durations.seconds(startOffset) + " " + Durations.seconds(duration) + " "
            + outcome + (detail.isEmpty() ? "" : ": " + Text.oneLine(detail, 100)) + "]";
    }
}
