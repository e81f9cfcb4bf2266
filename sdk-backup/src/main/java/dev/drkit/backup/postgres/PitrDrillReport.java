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
import java.util.Objects;

/**
 * The outcome of a {@link PitrDrill}: the sdk-core {@link DrillReport} (steps, verdict, RTO), the target, the
 * {@link ReplayPoint} reached, and the RTO split into fetching the base backup, replaying to the target and
 * checking, as text ({@link #toText()}) and JSON ({@link #toJson()}). Immutable.
 *
 * <p>The JSON is an object with {@code format} {@value #FORMAT}, {@code target}, {@code passed}, {@code reached}
 * ({@code lsn}, {@code timeline}, {@code lastCommit}, {@code stopLine}), {@code seconds} ({@code fetch},
 * {@code replay}, {@code checks}, {@code total}) and {@code report}, the {@link DrillReport#toJson()} object.
 *
 * @since 0.1
 */
public final class PitrDrillReport {

    /**
     * The JSON {@code format} field: {@value}.
     *
     * @since 0.1
     */
    public static final String FORMAT = "drkit.pitr-drill/1";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DrillReport report;
    private final Instant target;
    private final ReplayPoint reached;
    private final Duration fetch;
    private final Duration replay;
    private final Duration checks;

    PitrDrillReport(DrillReport report, Instant target, ReplayPoint reached, Duration fetch, Duration replay,
                    Duration checks) {
        this.report = Objects.requireNonNull(report, "report");
        this.target = Objects.requireNonNull(target, "target");
        this.reached = Objects.requireNonNull(reached, "reached");
        this.fetch = fetch;
        this.replay = replay;
        this.checks = checks;
    }

    /**
     * The drill report: one step per phase and per check, the verdict and the RTO (fetch + replay + checks).
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
     * How long copying or extracting the base backup into the scratch directory took.
     *
     * @since 0.1
     */
    public Duration fetchTime() {
        return fetch;
    }

    /**
     * How long it took from starting the scratch server until replay paused at the target.
     *
     * @since 0.1
     */
    public Duration replayTime() {
        return replay;
    }

    /**
     * How long the checks took.
     *
     * @since 0.1
     */
    public Duration checkTime() {
        return checks;
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
        seconds.put("fetch", seconds(fetch));
        seconds.put("replay", seconds(replay));
        seconds.put("checks", seconds(checks));
        seconds.put("total", seconds(fetch.plus(replay).plus(checks)));
        try {
            root.set("report", JSON.readTree(report.toJson()));
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The report for an operator: the target and the point reached, the RTO split, then the drill report.
     *
     * @since 0.1
     */
    public String toText() {
        return "PITR drill to " + target + ": " + (passed() ? "PASS" : "FAIL") + "\n"
            + "  reached:  " + reached + "\n"
            + (reached.stopLine().isEmpty() ? "" : "  server:   " + reached.stopLine() + "\n")
            + "  RTO:      " + Durations.seconds(fetch.plus(replay).plus(checks)) + " = fetch "
            + Durations.seconds(fetch) + " + replay " + Durations.seconds(replay) + " + checks "
            + Durations.seconds(checks) + "\n"
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
