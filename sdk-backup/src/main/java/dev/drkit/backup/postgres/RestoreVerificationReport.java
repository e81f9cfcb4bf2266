package dev.drkit.backup.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.core.drill.StepOutcome;
import dev.drkit.core.internal.Text;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link PgRestoreVerifier} found when it restored a PostgreSQL backup into a scratch cluster: one
 * {@link Check} per step, in order ({@code restore}, {@code pg_restore} or {@code pg_verifybackup} and
 * {@code start}, {@code row counts}, {@code schema}, {@code amcheck}), each passed, failed or skipped with the
 * reason. The backup passed if no check failed.
 *
 * <p>As JSON ({@link #toJson()}, one line, format {@value #FORMAT}) for machines and the history, as text
 * ({@link #toText()}) for people. Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public final class RestoreVerificationReport {

    /** The JSON {@code format} this version writes and reads: {@value}. */
    public static final String FORMAT = "drkit.pg-restore-verification/1";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One check: its name, outcome and what it found.
     *
     * @param name    {@code restore}, {@code pg_restore}, {@code pg_verifybackup}, {@code start}, {@code row counts},
     *                {@code schema}, {@code amcheck}
     * @param outcome passed, failed, or skipped (with the reason in {@code detail})
     * @param detail  what was checked and found
     * @since 0.1
     */
    public record Check(String name, StepOutcome outcome, String detail) {
        /** Checks the values. */
        public Check {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(outcome, "outcome");
            detail = Text.oneLine(Objects.requireNonNull(detail, "detail"), 2000);
        }
    }

    private final String backupId;
    private final String kind;
    private final @Nullable String database;
    private final @Nullable Instant backupFinishedAt;
    private final Instant started;
    private final Instant finished;
    private final List<Check> checks;

    /**
     * @param backupId         the backup verified
     * @param kind             its {@link PgLabels#KIND}, or {@code unknown}
     * @param database         the database of a dump, or null
     * @param backupFinishedAt when the backup finished, if its manifest could be read
     * @param started          when verification started
     * @param finished         when it finished
     * @param checks           the checks, in order
     */
    public RestoreVerificationReport(String backupId, String kind, @Nullable String database,
                                     @Nullable Instant backupFinishedAt, Instant started, Instant finished,
                                     List<Check> checks) {
        this.backupId = Objects.requireNonNull(backupId, "backupId");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.database = database;
        this.backupFinishedAt = backupFinishedAt;
        this.started = Objects.requireNonNull(started, "started");
        this.finished = Objects.requireNonNull(finished, "finished");
        this.checks = List.copyOf(checks);
    }

    /** The backup verified. */
    public String backupId() {
        return backupId;
    }

    /** Its kind ({@link PgLabels#KIND}). */
    public String kind() {
        return kind;
    }

    /** The database of a dump. */
    public Optional<String> database() {
        return Optional.ofNullable(database);
    }

    /** When the backup finished. */
    public Optional<Instant> backupFinishedAt() {
        return Optional.ofNullable(backupFinishedAt);
    }

    /** When verification started. */
    public Instant started() {
        return started;
    }

    /** When it finished. */
    public Instant finished() {
        return finished;
    }

    /** How long it took. */
    public Duration duration() {
        return Duration.between(started, finished);
    }

    /** The checks, in order. */
    public List<Check> checks() {
        return checks;
    }

    /** The check called {@code name}, if it is in the report. */
    public Optional<Check> check(String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** Whether no check failed (and there was at least one). */
    public boolean passed() {
        return !checks.isEmpty() && checks.stream().noneMatch(c -> c.outcome() == StepOutcome.FAIL);
    }

    /** The failed checks. */
    public List<Check> failures() {
        return checks.stream().filter(c -> c.outcome() == StepOutcome.FAIL).toList();
    }

    /** One line of JSON. */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("backupId", backupId);
        root.put("kind", kind);
        if (database != null) {
            root.put("database", database);
        }
        if (backupFinishedAt != null) {
            root.put("backupFinishedAt", backupFinishedAt.toString());
        }
        root.put("started", started.toString());
        root.put("finished", finished.toString());
        root.put("durationMillis", duration().toMillis());
        root.put("passed", passed());
        ArrayNode list = root.putArray("checks");
        for (Check c : checks) {
            list.addObject().put("name", c.name()).put("outcome", c.outcome().name()).put("detail", c.detail());
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A report from {@link #toJson()}.
     *
     * @throws IllegalArgumentException if {@code json} is not such a report
     */
    public static RestoreVerificationReport fromJson(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            if (root == null || !FORMAT.equals(root.path("format").asText())) {
                throw new IllegalArgumentException("not a " + FORMAT + " report");
            }
            List<Check> checks = new ArrayList<>();
            for (JsonNode c : root.path("checks")) {
                checks.add(new Check(c.path("name").asText(), StepOutcome.valueOf(c.path("outcome").asText()),
                    c.path("detail").asText()));
            }
            return new RestoreVerificationReport(text(root, "backupId"), text(root, "kind"),
                root.hasNonNull("database") ? root.get("database").asText() : null,
                root.hasNonNull("backupFinishedAt") ? Instant.parse(root.get("backupFinishedAt").asText()) : null,
                Instant.parse(text(root, "started")), Instant.parse(text(root, "finished")), checks);
        } catch (JsonProcessingException | java.time.DateTimeException | NullPointerException e) {
            throw new IllegalArgumentException("not a " + FORMAT + " report: " + e.getClass().getSimpleName());
        }
    }

    private static String text(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || !node.isTextual()) {
            throw new IllegalArgumentException("not a " + FORMAT + " report: no " + field);
        }
        return node.asText();
    }

    /** A few lines for people. */
    public String toText() {
        StringBuilder out = new StringBuilder();
        out.append("Restore verification of backup ").append(backupId).append(" (").append(kind)
            .append(database == null ? "" : " of " + database).append("): ").append(passed() ? "PASS" : "FAIL")
            .append('\n');
        out.append(String.format("  %-16s %s%n", "started", started));
        out.append(String.format("  %-16s %.3f s%n", "took", duration().toMillis() / 1000.0));
        for (Check c : checks) {
            out.append(String.format("  %-16s %-5s %s%n", c.name(), c.outcome(), c.detail()));
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return "RestoreVerificationReport[" + backupId + " " + kind + " " + (passed() ? "PASS" : "FAIL") + "]";
    }
}
