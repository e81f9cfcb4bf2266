package dev.drkit.core.drill;

import dev.drkit.core.DrkitException;
import dev.drkit.core.internal.Failures;
import dev.drkit.core.internal.Text;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Runs the steps of a drill one after another and records each as a {@link DrillStep}: its start on the
 * drill's timeline, how long it took, and whether it passed. A step that throws is recorded as failed and the
 * exception is rethrown so the drill stops; {@link #skip} records the steps that did not run.
 *
 * <p>The failed step's detail is the message of a {@link DrkitException}, because drkit writes its own
 * messages to be safe to show (they name settings, files and states, never secret values or row data). Any
 * other exception is shown by its type only, with its SQL state if it is or wraps an SQL exception
 * ({@code "org.postgresql.util.PSQLException (SQLState 08006)"}): a foreign message may carry anything, such as
 * a connection string with a password, and reports and drill history keep what they are given.
 *
 * <pre>{@code
 * DrillSteps steps = new DrillSteps(timeline);
 * PgCluster primary = steps.run("start primary", () -> PgCluster.start(config), p -> "port " + p.port());
 * steps.run("promote replica", () -> { replica.promote(); return "timeline " + replica.timeline(); });
 * report.steps(steps.steps());
 * }</pre>
 *
 * <p>Not thread-safe: one drill thread runs the steps.
 *
 * @since 0.1
 */
public final class DrillSteps {

    /**
     * The work of one step.
     *
     * @param <T> what the step produces
     * @since 0.1
     */
    @FunctionalInterface
    public interface Action<T> {
        /**
         * Does the step's work.
         *
         * @throws Exception if the step failed
         */
        T run() throws Exception;
    }

    private final RecoveryTimeline timeline;
    private final List<DrillStep> steps = new ArrayList<>();

    /**
     * Steps timed on {@code timeline}.
     *
     * @since 0.1
     */
    public DrillSteps(RecoveryTimeline timeline) {
        this.timeline = Objects.requireNonNull(timeline, "timeline");
    }

    /**
     * Runs a step whose result is its own detail.
     *
     * @throws DrkitException  or any other exception of {@code action}, after recording the step as failed
     * @since 0.1
     */
    public String run(String name, Action<String> action) throws Exception {
        return run(name, action, detail -> detail);
    }

    /**
     * Runs a step and records it with the detail {@code describe} gives of its result.
     *
     * @throws Exception whatever {@code action} threw, after recording the step as failed
     * @since 0.1
     */
    public <T> T run(String name, Action<T> action, Function<? super T, String> describe) throws Exception {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(describe, "describe");
        Duration start = timeline.elapsed();
        T result;
        try {
            result = action.run();
        } catch (Exception | AssertionError e) {
            // an assertion failing in a step (a drill run as a JUnit test) is the step's failure too
            record(name, start, StepOutcome.FAIL, describeFailure(e));
            throw e;
        }
        record(name, start, StepOutcome.PASS, describe.apply(result));
        return result;
    }

    /**
     * Records a step that passed or failed on a check the caller made itself, without running anything.
     *
     * @since 0.1
     */
    public void check(String name, boolean passed, String detail) {
        record(name, timeline.elapsed(), passed ? StepOutcome.PASS : StepOutcome.FAIL, detail);
    }

    /**
     * Records a step that did not run, and why.
     *
     * @since 0.1
     */
    public void skip(String name, String reason) {
        record(name, timeline.elapsed(), StepOutcome.SKIP, reason);
    }

    /**
     * Whether any step so far failed.
     *
     * @since 0.1
     */
    public boolean anyFailed() {
        return steps.stream().anyMatch(step -> step.outcome() == StepOutcome.FAIL);
    }

    /**
     * The steps recorded so far, in order.
     *
     * @since 0.1
     */
    public List<DrillStep> steps() {
        return List.copyOf(steps);
    }

    private void record(String name, Duration start, StepOutcome outcome, String detail) {
        Duration duration = timeline.elapsed().minus(start);
        steps.add(DrillStep.of(name, start, duration, outcome, Text.oneLine(detail, DrillStep.MAX_DETAIL_LENGTH)));
    }

    private static String describeFailure(Throwable e) {
        if (e instanceof DrkitException && e.getMessage() != null) {
            return e.getMessage();   // drkit's own messages are written to be safe to show: see the class description
        }
        return Failures.describe(e);
    }
}
