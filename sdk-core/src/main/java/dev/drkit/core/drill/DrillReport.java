package dev.drkit.core.drill;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.core.DataIntegrityException;
import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.Durations;
import dev.drkit.core.internal.Names;
import dev.drkit.core.internal.Text;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The outcome of a disaster-recovery drill, for an operator ({@link #toText()}) and for machines
 * ({@link #toJson()}): the drill's name and times, its steps in order, the measured RTO and RPO with their
 * uncertainty (or "not measured"), the acknowledged records lost, the targets, and a {@link Verdict}.
 *
 * <p><b>The verdict.</b> {@link Verdict#FAIL} if any step failed; if an RTO target is set and the RTO was not
 * measured or exceeds it; if an RPO target is set and acknowledged records were lost (or loss was not
 * counted) and the RPO was not measured or exceeds it. No lost acknowledged record meets any RPO target:
 * nothing the application was told was safe went missing. Measured values are compared as they are; they are
 * already upper bounds of the true values (see {@link MeasuredDuration}). {@link Verdict#PASS} otherwise;
 * {@link #verdictReasons()} says why not.
 *
 * <pre>{@code
 * DrillReport report = DrillReport.builder("orders-db failover")
 *     .started(timeline.startedAt())
 *     .finished(clock.instant())
 *     .step(DrillStep.of("stop primary", Duration.ZERO, stopTook, StepOutcome.PASS, "pg_ctl stop -m immediate"))
 *     .rto(recovery)                      // a RecoveryResult
 *     .canary(loss)                       // a CanaryResult: RPO and lost records
 *     .rtoTarget(Duration.ofSeconds(30))
 *     .rpoTarget(Duration.ofSeconds(1))
 *     .build();
 * System.out.print(report.toText());
 * history.append(report);
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public final class DrillReport {

    /**
     * The value of the JSON {@code format} field this version writes and reads: {@value}.
     *
     * @since 0.1
     */
    public static final String FORMAT = "drkit.drill-report/1";

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(64)
            .maxStringLength(1 << 20)
            .maxNumberLength(64)
            .build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build())
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final String name;
    private final Instant started;
    private final Instant finished;
    private final List<DrillStep> steps;
    private final @Nullable MeasuredDuration rto;
    private final @Nullable MeasuredDuration rpo;
    private final @Nullable Long lostRecords;
    private final @Nullable Duration rtoTarget;
    private final @Nullable Duration rpoTarget;
    private final List<String> reasons;

    private DrillReport(Builder b, Instant started, Instant finished) {
        this.name = b.name;
        this.started = started;
        this.finished = finished;
        this.steps = List.copyOf(b.steps);
        this.rto = b.rto;
        this.rpo = b.rpo;
        this.lostRecords = b.lostRecords;
        this.rtoTarget = b.rtoTarget;
        this.rpoTarget = b.rpoTarget;
        this.reasons = judge();
    }

    /**
     * A builder for a report on the drill called {@code name}.
     *
     * @param name 1 to 200 printable characters
     * @throws IllegalArgumentException if the name is not valid
     * @since 0.1
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * The drill's name.
     *
     * @since 0.1
     */
    public String name() {
        return name;
    }

    /**
     * When the drill started.
     *
     * @since 0.1
     */
    public Instant started() {
        return started;
    }

    /**
     * When it finished.
     *
     * @since 0.1
     */
    public Instant finished() {
        return finished;
    }

    /**
     * How long it took, by the wall clock.
     *
     * @since 0.1
     */
    public Duration duration() {
        return Duration.between(started, finished);
    }

    /**
     * Its steps, in the order they were added.
     *
     * @since 0.1
     */
    public List<DrillStep> steps() {
        return steps;
    }

    /**
     * The measured recovery time, if it was measured.
     *
     * @since 0.1
     */
    public Optional<MeasuredDuration> rto() {
        return Optional.ofNullable(rto);
    }

    /**
     * The measured recovery point, if it was measured.
     *
     * @since 0.1
     */
    public Optional<MeasuredDuration> rpo() {
        return Optional.ofNullable(rpo);
    }

    /**
     * How many acknowledged records were lost, if that was counted.
     *
     * @since 0.1
     */
    public OptionalLong lostRecords() {
        return lostRecords == null ? OptionalLong.empty() : OptionalLong.of(lostRecords);
    }

    /**
     * The RTO target, if one was set.
     *
     * @since 0.1
     */
    public Optional<Duration> rtoTarget() {
        return Optional.ofNullable(rtoTarget);
    }

    /**
     * The RPO target, if one was set.
     *
     * @since 0.1
     */
    public Optional<Duration> rpoTarget() {
        return Optional.ofNullable(rpoTarget);
    }

    /**
     * {@link Verdict#PASS} if {@link #verdictReasons()} is empty, {@link Verdict#FAIL} otherwise.
     *
     * @since 0.1
     */
    public Verdict verdict() {
        return reasons.isEmpty() ? Verdict.PASS : Verdict.FAIL;
    }

    /**
     * Why the drill failed, one sentence per failed step or missed target; empty if it passed.
     *
     * @since 0.1
     */
    public List<String> verdictReasons() {
        return reasons;
    }

    private List<String> judge() {
        List<String> why = new ArrayList<>();
        for (DrillStep step : steps) {
            if (step.outcome() == StepOutcome.FAIL) {
                why.add("step '" + step.name() + "' failed");
            }
        }
        if (rtoTarget != null) {
            if (rto == null) {
                why.add("RTO was not measured (target " + Durations.seconds(rtoTarget) + ")");
            } else if (rto.value().compareTo(rtoTarget) > 0) {
                why.add("RTO " + rto + " exceeds the target of " + Durations.seconds(rtoTarget));
            }
        }
        boolean nothingLost = lostRecords != null && lostRecords == 0;
        if (rpoTarget != null && !nothingLost) {
            if (rpoTarget.isZero() && lostRecords != null) {
                // A zero target allows no loss at all, whatever the RPO figure says.
                why.add(lostRecords + " acknowledged records lost (RPO target 0.000 s allows no loss)");
            } else if (rpo == null) {
                why.add("RPO was not measured (target " + Durations.seconds(rpoTarget) + ")");
            } else if (rpo.value().compareTo(rpoTarget) > 0) {
                why.add("RPO " + rpo + " exceeds the target of " + Durations.seconds(rpoTarget)
                    + (lostRecords == null ? "" : " (" + lostRecords + " acknowledged records lost)"));
            }
        }
        return List.copyOf(why);
    }

    // ---- JSON ------------------------------------------------------------------------------------------------

    /**
     * The report as one line of JSON, fields always in the same order: {@code format}, {@code name},
     * {@code verdict}, {@code reasons}, {@code started}, {@code finished}, {@code durationMs}, {@code rto},
     * {@code rtoTargetMs}, {@code rtoTarget}, {@code rpo}, {@code rpoTargetMs}, {@code rpoTarget},
     * {@code lostRecords}, {@code steps}. Durations are whole milliseconds as numbers ({@code ...Ms}) and
     * exact ISO-8601 strings beside them; a measurement is {@code {"measured":false}} or
     * {@code {"measured":true,"valueMs":2500,"uncertaintyMs":250,"value":"PT2.5S","uncertainty":"PT0.25S"}};
     * absent targets and an uncounted loss are {@code null}.
     *
     * @since 0.1
     */
    public String toJson() {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = JSON.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("format", FORMAT);
            json.writeStringField("name", name);
            json.writeStringField("verdict", verdict().name());
            json.writeArrayFieldStart("reasons");
            for (String reason : reasons) {
                json.writeString(reason);
            }
            json.writeEndArray();
            json.writeStringField("started", started.toString());
            json.writeStringField("finished", finished.toString());
            json.writeNumberField("durationMs", duration().toMillis());
            writeMeasured(json, "rto", rto);
            writeDuration(json, "rtoTarget", rtoTarget);
            writeMeasured(json, "rpo", rpo);
            writeDuration(json, "rpoTarget", rpoTarget);
            if (lostRecords == null) {
                json.writeNullField("lostRecords");
            } else {
                json.writeNumberField("lostRecords", lostRecords);
            }
            json.writeArrayFieldStart("steps");
            for (DrillStep step : steps) {
                json.writeStartObject();
                json.writeStringField("name", step.name());
                json.writeStringField("outcome", step.outcome().name());
                json.writeNumberField("startOffsetMs", step.startOffset().toMillis());
                json.writeNumberField("durationMs", step.duration().toMillis());
                json.writeStringField("startOffset", step.startOffset().toString());
                json.writeStringField("duration", step.duration().toString());
                json.writeStringField("detail", step.detail());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to a string cannot fail", e);
        }
        return out.toString();
    }

    private static void writeMeasured(JsonGenerator json, String field, @Nullable MeasuredDuration measured)
        throws IOException {
        json.writeObjectFieldStart(field);
        json.writeBooleanField("measured", measured != null);
        if (measured != null) {
            json.writeNumberField("valueMs", measured.value().toMillis());
            json.writeNumberField("uncertaintyMs", measured.uncertainty().toMillis());
            json.writeStringField("value", measured.value().toString());
            json.writeStringField("uncertainty", measured.uncertainty().toString());
        }
        json.writeEndObject();
    }

    private static void writeDuration(JsonGenerator json, String field, @Nullable Duration value) throws IOException {
        if (value == null) {
            json.writeNullField(field + "Ms");
            json.writeNullField(field);
        } else {
            json.writeNumberField(field + "Ms", value.toMillis());
            json.writeStringField(field, value.toString());
        }
    }

    /**
     * Reads a report written by {@link #toJson()}. Unknown fields are ignored, so later versions may add some;
     * the verdict is judged again from the data rather than read. Where a duration has both forms, the exact
     * ISO-8601 one is used.
     *
     * @throws DataIntegrityException if {@code json} is not such a report; the message says what is wrong,
     *                                quoting at most a short excerpt of the input with control characters replaced
     * @since 0.1
     */
    public static DrillReport fromJson(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at column " + e.getLocation().getColumnNr();
            // Jackson's own message may quote the input; name the problem's kind and place instead.
            throw invalid("it is not valid JSON" + where + " (" + e.getClass().getSimpleName() + ")", e);
        }
        try {
            return read(root);
        } catch (IllegalArgumentException | IllegalStateException | DateTimeException | ArithmeticException e) {
            throw invalid(Text.oneLine(String.valueOf(e.getMessage()), 200), e);
        }
    }

    private static DrillReport read(@Nullable JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("it is not a JSON object");
        }
        String format = text(root, "format");
        Checks.argument(FORMAT.equals(format), "format must be %s", FORMAT);
        Builder b = builder(text(root, "name"))
            .started(instant(root, "started"))
            .finished(instant(root, "finished"));
        MeasuredDuration rto = measured(root, "rto");
        if (rto != null) {
            b.rto(rto);
        }
        MeasuredDuration rpo = measured(root, "rpo");
        if (rpo != null) {
            b.rpo(rpo);
        }
        Duration rtoTarget = optionalDuration(root, "rtoTarget");
        if (rtoTarget != null) {
            b.rtoTarget(rtoTarget);
        }
        Duration rpoTarget = optionalDuration(root, "rpoTarget");
        if (rpoTarget != null) {
            b.rpoTarget(rpoTarget);
        }
        JsonNode lost = root.get("lostRecords");
        if (lost != null && !lost.isNull()) {
            b.lostRecords(longValue(lost, "lostRecords"));
        }
        JsonNode steps = root.get("steps");
        if (steps != null && !steps.isNull()) {
            Checks.argument(steps.isArray(), "steps must be an array");
            int i = 0;
            for (JsonNode step : steps) {
                Checks.argument(step.isObject(), "steps[%s] must be an object", i);
                String detail = step.has("detail") && !step.get("detail").isNull() ? text(step, "detail") : "";
                b.step(DrillStep.of(text(step, "name"), duration(step, "startOffset"), duration(step, "duration"),
                    outcome(step), detail));
                i++;
            }
        }
        return b.build();
    }

    private static @Nullable MeasuredDuration measured(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        Checks.argument(node.isObject(), "%s must be an object", field);
        JsonNode measured = node.get("measured");
        Checks.argument(measured != null && measured.isBoolean(), "%s.measured must be true or false", field);
        if (!measured.booleanValue()) {
            return null;
        }
        return MeasuredDuration.of(duration(node, "value"), duration(node, "uncertainty"));
    }

    private static @Nullable Duration optionalDuration(JsonNode node, String field) {
        boolean hasIso = node.has(field) && !node.get(field).isNull();
        boolean hasMs = node.has(field + "Ms") && !node.get(field + "Ms").isNull();
        return hasIso || hasMs ? duration(node, field) : null;
    }

    /** The ISO-8601 form of {@code field} if present, else its {@code fieldMs} number. */
    private static Duration duration(JsonNode node, String field) {
        Duration value;
        JsonNode iso = node.get(field);
        if (iso != null && !iso.isNull()) {
            Checks.argument(iso.isTextual(), "%s must be an ISO-8601 duration string", field);
            try {
                value = Duration.parse(iso.textValue());
            } catch (DateTimeException e) {
                throw new IllegalArgumentException(field + " must be an ISO-8601 duration such as PT2.5S", e);
            }
        } else {
            JsonNode ms = node.get(field + "Ms");
            Checks.argument(ms != null && !ms.isNull(), "%s is missing", field);
            value = Duration.ofMillis(longValue(ms, field + "Ms"));
        }
        return DrillStep.bounded(value, field);
    }

    private static Instant instant(JsonNode node, String field) {
        try {
            return Instant.parse(text(node, field));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(field + " must be an ISO-8601 instant such as 2026-11-23T10:00:00Z", e);
        }
    }

    private static StepOutcome outcome(JsonNode step) {
        String outcome = text(step, "outcome");
        for (StepOutcome candidate : StepOutcome.values()) {
            if (candidate.name().equals(outcome)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("outcome must be PASS, FAIL or SKIP");
    }

    private static long longValue(JsonNode node, String field) {
        Checks.argument(node.isIntegralNumber() && node.canConvertToLong(), "%s must be a whole number", field);
        return node.longValue();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        Checks.argument(value != null && value.isTextual(), "%s must be a string", field);
        return value.textValue();
    }

    private static DataIntegrityException invalid(String why, Throwable cause) {
        return new DataIntegrityException("Drill report is invalid: " + why, Map.of("format", FORMAT), cause);
    }

    // ---- text ------------------------------------------------------------------------------------------------

    /**
     * The report as aligned lines for a terminal, ending in a newline. Names and details are put on one line
     * each, with control characters replaced, so a report cannot move the cursor or fake lines.
     *
     * <pre>
     * Drill 'orders-db failover': FAIL
     *   started    2026-11-23T10:00:00Z
     *   finished   2026-11-23T10:00:42.500Z  (42.500 s)
     *   RTO        2.500 s ± 0.250 s      target 2.000 s    MISSED
     *   RPO        0.250 s ± 0.100 s      target 1.000 s    met
     *   lost       2 acknowledged records
     *   why        RTO 2.500 s ± 0.250 s exceeds the target of 2.000 s
     * Steps
     *        START    DURATION  OUTCOME  STEP
     *     +0.000 s     1.200 s  PASS     stop primary: pg_ctl stop -m immediate
     * </pre>
     *
     * @since 0.1
     */
    public String toText() {
        StringBuilder out = new StringBuilder();
        out.append("Drill '").append(Text.oneLine(name, 200)).append("': ").append(verdict()).append('\n');
        line(out, "started", started.toString());
        line(out, "finished", finished + "  (" + Durations.seconds(duration()) + ")");
        line(out, "RTO", judged(rto, rtoTarget, false, false));
        line(out, "RPO", judged(rpo, rpoTarget, lostRecords != null && lostRecords == 0,
            lostRecords != null && lostRecords > 0));
        line(out, "lost", lostRecords == null ? "not counted"
            : lostRecords + (lostRecords == 1 ? " acknowledged record" : " acknowledged records"));
        for (String reason : reasons) {
            line(out, "why", Text.oneLine(reason, 300));
        }
        if (!steps.isEmpty()) {
            out.append("Steps\n");
            out.append(String.format("  %10s  %10s  %-7s  %s%n", "START", "DURATION", "OUTCOME", "STEP"));
            for (DrillStep step : steps) {
                String what = step.name() + (step.detail().isEmpty() ? "" : ": " + step.detail());
                out.append(String.format("  %10s  %10s  %-7s  %s%n", "+" + Durations.seconds(step.startOffset()),
                    Durations.seconds(step.duration()), step.outcome(), Text.oneLine(what, 300)));
            }
        }
        return out.toString();
    }

    private static String judged(@Nullable MeasuredDuration measured, @Nullable Duration target, boolean nothingLost,
                                 boolean someLost) {
        String value = measured == null ? "not measured" : measured.toString();
        if (target == null) {
            return value;
        }
        String verdict;
        if (target.isZero() && someLost) {
            verdict = "MISSED";   // a zero target allows no loss, as the verdict has it, whatever the figure
        } else if (measured != null && measured.value().compareTo(target) <= 0) {
            verdict = "met";
        } else if (nothingLost) {
            verdict = "met: no acknowledged record lost";
        } else {
            verdict = "MISSED";
        }
        return String.format("%-22s target %-10s %s", value, Durations.seconds(target), verdict);
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(String.format("  %-10s %s%n", label, value));
    }

    @Override
    public String toString() {
        return "DrillReport[" + Text.oneLine(name, 100) + ", " + verdict() + ", started " + started + ", "
            + steps.size() + " steps" + (rto == null ? "" : ", RTO " + rto) + (rpo == null ? "" : ", RPO " + rpo) + "]";
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof DrillReport)) {
            return false;
        }
        DrillReport that = (DrillReport) other;
        return name.equals(that.name) && started.equals(that.started) && finished.equals(that.finished)
            && steps.equals(that.steps) && Objects.equals(rto, that.rto) && Objects.equals(rpo, that.rpo)
            && Objects.equals(lostRecords, that.lostRecords) && Objects.equals(rtoTarget, that.rtoTarget)
            && Objects.equals(rpoTarget, that.rpoTarget);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, started, finished, steps, rto, rpo, lostRecords, rtoTarget, rpoTarget);
    }

    /**
     * Builds a {@link DrillReport}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final String name;
        private @Nullable Instant started;
        private @Nullable Instant finished;
        private final List<DrillStep> steps = new ArrayList<>();
        private @Nullable MeasuredDuration rto;
        private @Nullable MeasuredDuration rpo;
        private @Nullable Long lostRecords;
        private @Nullable Duration rtoTarget;
        private @Nullable Duration rpoTarget;

        private Builder(String name) {
            this.name = Names.printable(name, 200, "name");
        }

        /**
         * When the drill started; required.
         *
         * @since 0.1
         */
        public Builder started(Instant started) {
            this.started = Objects.requireNonNull(started, "started");
            return this;
        }

        /**
         * When it finished; required, not before it started.
         *
         * @since 0.1
         */
        public Builder finished(Instant finished) {
            this.finished = Objects.requireNonNull(finished, "finished");
            return this;
        }

        /**
         * Adds a step after those added so far.
         *
         * @since 0.1
         */
        public Builder step(DrillStep step) {
            steps.add(Objects.requireNonNull(step, "step"));
            return this;
        }

        /**
         * Adds a step after those added so far.
         *
         * @throws IllegalArgumentException as {@link DrillStep#of} does
         * @since 0.1
         */
        public Builder step(String name, Duration startOffset, Duration duration, StepOutcome outcome, String detail) {
            return step(DrillStep.of(name, startOffset, duration, outcome, detail));
        }

        /**
         * The measured RTO.
         *
         * @throws IllegalArgumentException if longer than 100 years
         * @since 0.1
         */
        public Builder rto(MeasuredDuration rto) {
            this.rto = bounded(Objects.requireNonNull(rto, "rto"), "rto");
            return this;
        }

        /**
         * The RTO of a recovery verification, or "not measured" if it did not see a recovery.
         *
         * @since 0.1
         */
        public Builder rto(RecoveryResult recovery) {
            this.rto = Objects.requireNonNull(recovery, "recovery").rto().map(m -> bounded(m, "rto")).orElse(null);
            return this;
        }

        /**
         * The measured RPO.
         *
         * @throws IllegalArgumentException if longer than 100 years
         * @since 0.1
         */
        public Builder rpo(MeasuredDuration rpo) {
            this.rpo = bounded(Objects.requireNonNull(rpo, "rpo"), "rpo");
            return this;
        }

        /**
         * The RPO and lost records of a canary, the RPO "not measured" if no acknowledged record survived.
         *
         * @since 0.1
         */
        public Builder canary(CanaryResult canary) {
            Objects.requireNonNull(canary, "canary");
            this.rpo = canary.rpo().map(m -> bounded(m, "rpo")).orElse(null);
            this.lostRecords = canary.lostRecords();
            return this;
        }

        /**
         * How many acknowledged records were lost.
         *
         * @throws IllegalArgumentException if negative
         * @since 0.1
         */
        public Builder lostRecords(long lostRecords) {
            Checks.argument(lostRecords >= 0, "lostRecords must not be negative, but was %s", lostRecords);
            this.lostRecords = lostRecords;
            return this;
        }

        /**
         * The longest acceptable RTO.
         *
         * @throws IllegalArgumentException if negative or longer than 100 years
         * @since 0.1
         */
        public Builder rtoTarget(Duration target) {
            this.rtoTarget = DrillStep.bounded(target, "rtoTarget");
            return this;
        }

        /**
         * The longest acceptable RPO; zero when no acknowledged write may be lost.
         *
         * @throws IllegalArgumentException if negative or longer than 100 years
         * @since 0.1
         */
        public Builder rpoTarget(Duration target) {
            this.rpoTarget = DrillStep.bounded(target, "rpoTarget");
            return this;
        }

        /**
         * The report.
         *
         * @throws IllegalStateException if the start or finish is missing, the finish is before the start, or
         *                               the drill lasted more than 100 years
         * @since 0.1
         */
        public DrillReport build() {
            Checks.state(started != null && finished != null, "a drill report needs started and finished");
            Checks.state(!finished.isBefore(started), "finished (%s) must not be before started (%s)", finished, started);
            Checks.state(Duration.between(started, finished).compareTo(DrillStep.MAX_DURATION) <= 0,
                "a drill report must span at most 100 years, but spans %s to %s", started, finished);
            return new DrillReport(this, started, finished);
        }

        private static MeasuredDuration bounded(MeasuredDuration measured, String name) {
            DrillStep.bounded(measured.value(), name);
            DrillStep.bounded(measured.uncertainty(), name + " uncertainty");
            return measured;
        }
    }
}
