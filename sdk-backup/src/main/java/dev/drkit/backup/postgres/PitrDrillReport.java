package dev.drkit.backup.postgres;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.core.drill.DrillReport;
import dev.drkit.core.drill.Verdict;
import dev.drkit.core.internal.Durations;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of a {@link PitrDrill}: the sdk-core {@link DrillReport} (steps, verdict, RTO), the target, the
 * {@link ReplayPoint} reached, and the drill's time split into phases ({@link Phases}): fetching the base backup,
 * setting up the scratch cluster, adopting the copy, replaying to the target and checking, whose sum is the RTO,
 * then stopping the server and deleting the copy, which the RTO leaves out; as text ({@link #toText()}) and JSON
 * ({@link #toJson()}). Immutable.
 *
 * <p>The JSON is an object with {@code format} {@value #FORMAT}, {@code target}, {@code passed}, {@code reached}
 * ({@code lsn}, {@code timeline}, {@code lastCommit}, {@code stopLine}), {@code seconds} ({@code fetch},
 * {@code setup}, {@code adopt}, {@code replay}, {@code checks}, {@code rto}, {@code cleanup}, {@code total}) and
 * {@code report}, the {@link DrillReport#toJson()} object.
 *
 * @since 0.1
 */
public final class PitrDrillReport {

    /**
     * The JSON {@code format} field: {@value}. Version 2 added the phases {@code setup}, {@code adopt} and
     * {@code cleanup} and the {@code rto}; {@code total} is now the whole drill, cleanup included.
     *
     * @since 0.1
     */
    public static final String FORMAT = "drkit.pitr-drill/2";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How long each phase of a drill took. The phases follow one another without gaps, from the start of
     * {@link PitrDrill#run()} to the deletion of the copy, so {@link #total()} is the drill's whole time.
     *
     * @param fetch   copying or extracting the base backup (beside the scratch cluster's directory)
     * @param setup   what the fetch did not already cover of finding the PostgreSQL binaries (which runs
     *                {@code pg_config} and {@code postgres --version} on another thread during the fetch), and
     *                making the scratch cluster's directory
     * @param adopt   moving the copy into place, writing the recovery settings, giving its files to the server's
     *                operating-system user, and checking the target against the backup's end
     * @param replay  from starting the server until replay paused at the target (and the point reached was read)
     * @param checks  the checks
     * @param cleanup stopping the server and deleting the scratch cluster, after the RTO was taken
     * @since 0.1
     */
    public record Phases(Duration fetch, Duration setup, Duration adopt, Duration replay, Duration checks,
                         Duration cleanup) {

        /**
         * @throws IllegalArgumentException if a duration is negative
         */
        public Phases {
            for (Duration d : List.of(fetch, setup, adopt, replay, checks, cleanup)) {
                Objects.requireNonNull(d, "phase");
                if (d.isNegative()) {
                    throw new IllegalArgumentException("a phase must not be negative, but was " + d);
                }
            }
        }

        /**
         * The recovery time: fetch + setup + adopt + replay + checks.
         *
         * @since 0.1
         */
        public Duration rto() {
            return fetch.plus(setup).plus(adopt).plus(replay).plus(checks);
        }

        /**
         * The whole drill: the RTO and the cleanup.
         *
         * @since 0.1
         */
        public Duration total() {
            return rto().plus(cleanup);
        }
    }

    private final DrillReport report;
    private final Instant target;
    private final ReplayPoint reached;
    private final Phases phases;

    PitrDrillReport(DrillReport report, Instant target, ReplayPoint reached, Phases phases) {
        this.report = Objects.requireNonNull(report, "report");
        this.target = Objects.requireNonNull(target, "target");
        this.reached = Objects.requireNonNull(reached, "reached");
        this.phases = Objects.requireNonNull(phases, "phases");
    }

    /**
     * The drill report: one step per phase and per check, the verdict and the RTO ({@link Phases#rto()}).
     *
     * @since 0.1
     */
    public DrillReport report() {
        return report;
    }

    /**
     * Whether replay paused at the target and every check matched.
     *
     * @since 0.1
     */
    public boolean passed() {
        return report.verdict() == Verdict.PASS;
    }

    /**
     * The target time.
     *
     * @since 0.1
     */
    public Instant target() {
        return target;
    }

    /**
     * Where replay paused.
     *
     * @since 0.1
     */
    public ReplayPoint reached() {
        return reached;
    }

    /**
     * How long each phase took.
     *
     * @since 0.1
     */
    public Phases phases() {
        return phases;
    }

    /**
     * How long copying or extracting the base backup took.
     *
     * @since 0.1
     */
    public Duration fetchTime() {
        return phases.fetch();
    }

    /**
     * How long it took from starting the scratch server until replay paused at the target.
     *
     * @since 0.1
     */
    public Duration replayTime() {
        return phases.replay();
    }

    /**
     * How long the checks took.
     *
     * @since 0.1
     */
    public Duration checkTime() {
        return phases.checks();
    }

    /**
     * The recovery time: every phase until the checks were done ({@link Phases#rto()}).
     *
     * @since 0.1
     */
    public Duration rto() {
        return phases.rto();
    }

    /**
     * A drill that failed before it could make a report (it threw), as JSON in this report's format, for
     * {@code --json} callers that read one object whatever happened: {@code passed} false, the {@code reason} of a
     * {@link PitrDrillException} (null for another failure), the failure's {@code kind} ({@code data},
     * {@code environment}, ...) and its message as {@code error}.
     *
     * @since 0.1
     */
    public static String failureJson(dev.drkit.core.DrkitException failure) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("passed", false);
        if (failure instanceof PitrDrillException drill) {
            root.put("reason", drill.reason().name());
        } else {
            root.putNull("reason");
        }
        root.put("kind", failure.kind().name().toLowerCase(java.util.Locale.ROOT));
        root.put("error", failure.getMessage());
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The report as JSON, described on the class.
     *
     * @since 0.1
     */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("target", target.toString());
        root.put("passed", passed());
        ObjectNode point = root.putObject("reached");
        point.put("lsn", reached.lsn());
        point.put("timeline", reached.timeline());
        if (reached.lastCommit().isPresent()) {
            point.put("lastCommit", reached.lastCommit().get().toString());
        } else {
            point.putNull("lastCommit");
        }
        point.put("stopLine", reached.stopLine());
        ObjectNode seconds = root.putObject("seconds");
        seconds.put("fetch", seconds(phases.fetch()));
        seconds.put("setup", seconds(phases.setup()));
        seconds.put("adopt", seconds(phases.adopt()));
        seconds.put("replay", seconds(phases.replay()));
        seconds.put("checks", seconds(phases.checks()));
        seconds.put("rto", seconds(phases.rto()));
        seconds.put("cleanup", seconds(phases.cleanup()));
        seconds.put("total", seconds(phases.total()));
        try {
            root.set("report", JSON.readTree(report.toJson()));
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The report for an operator: the target and the point reached, the RTO split, the cleanup, then the drill
     * report.
     *
     * @since 0.1
     */
    public String toText() {
        return "PITR drill to " + target + ": " + (passed() ? "PASS" : "FAIL") + "\n"
            + "  reached:  " + reached + "\n"
            + (reached.stopLine().isEmpty() ? "" : "  server:   " + reached.stopLine() + "\n")
            + "  RTO:      " + Durations.seconds(phases.rto()) + " = fetch " + Durations.seconds(phases.fetch())
            + " + setup " + Durations.seconds(phases.setup()) + " + adopt " + Durations.seconds(phases.adopt())
            + " + replay " + Durations.seconds(phases.replay()) + " + checks " + Durations.seconds(phases.checks())
            + "\n"
            + "  cleanup:  " + Durations.seconds(phases.cleanup()) + " after the RTO (stop, delete the copy); total "
            + Durations.seconds(phases.total()) + "\n"
            + report.toText();
    }

    @Override
    public String toString() {
        return "PitrDrillReport[" + (passed() ? "PASS" : "FAIL") + ", target " + target + ", " + reached + "]";
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1_000_000L / 1000.0;
    }
}
