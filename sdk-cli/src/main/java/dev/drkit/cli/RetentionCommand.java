package dev.drkit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.backup.retention.Backup;
import dev.drkit.backup.retention.KeepReason;
import dev.drkit.backup.retention.RetentionDuration;
import dev.drkit.backup.retention.RetentionPlan;
import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.core.EnvironmentException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code drkit retention}: previews retention policies. {@code drkit retention plan} reads backup times on
 * standard input and prints, newest first, which a policy keeps and deletes and why. Deletes nothing.
 */
@Command(name = "retention", mixinStandardHelpOptions = true,
    description = "Retention policies (restic's forget rules): preview which backups a policy keeps.",
    subcommands = {RetentionCommand.Plan.class})
final class RetentionCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw Drkit.missingSubcommand(spec);
    }

    /** {@code drkit retention plan}: one decision per input line, newest first; exit 0, or 2 for bad input. */
    @Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Shows which backups a retention policy keeps and deletes, and why.",
        description = {
            "Reads backup times from standard input, one a line: an ISO-8601 time such as",
            "2026-11-20T03:00:00Z (without an offset, the time is in --zone), then, if any,",
            "the backup's tags, separated by spaces or commas. Blank lines are ignored.",
            "Prints, newest first, keep or delete for each backup and the reasons to keep",
            "it. Deletes nothing.",
            "",
            "The rules are restic's forget rules: a backup is kept when any rule keeps it; the calendar rules "
                + "keep the newest backup of each of the newest N hours, days, ISO weeks, months or years that "
                + "have backups, and the oldest backup too while a rule has count left; keep-within counts back "
                + "from the newest backup, not from now. drkit never deletes the newest backup, nor the newest "
                + "backup not dated after now (should a backup be dated in the future). Without any --keep "
                + "option: 7 daily, 4 weekly, 12 monthly.",
            ""})
    static final class Plan implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        RetentionOptions keep;


        @Option(names = "--now", paramLabel = "TIME",
            description = "The current time, ISO-8601 (default: the clock). keep-within ignores backups after it "
                + "when it finds the newest, and the newest backup not after it is always kept.")
        String now;

        @Option(names = "--json", description = "Print the plan as a JSON array.")
        boolean json;

        /** Where the backup times come from; standard input unless a test says otherwise. */
        InputStream input = System.in;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            RetentionPolicy policy;
            Instant at;
            List<Line> lines;
            try {
                policy = keep.policy();
                at = RetentionOptions.convert("--now", now, new InstantConverter());
                lines = read(input, keep.zone());
            } catch (IOException e) {
                throw new EnvironmentException("cannot read the backup times from standard input ("
                    + e.getClass().getSimpleName() + ")", e);
            } catch (IllegalArgumentException e) {
                // Bad options or input are the caller's to fix: one line, usage exit code, no stack trace.
                err.println(spec.qualifiedName() + ": " + e.getMessage());
                err.flush();
                return ExitCodes.USAGE;
            }
            Map<String, Line> byId = new HashMap<>();
            lines.forEach(line -> byId.put(line.backup.id(), line));
            RetentionPlan plan = policy.plan(lines.stream().map(line -> line.backup).collect(Collectors.toList()),
                at == null ? Instant.now() : at);

            PrintWriter out = spec.commandLine().getOut();
            String result = json ? json(plan, byId) : text(plan, byId);
            if (!result.isEmpty()) {
                out.println(result);
            }
            out.flush();
            return ExitCodes.OK;
        }

        /** One input line: where it was, as written, and the backup made from it. */
        static final class Line {
            final int number;
            final String time;
            final Backup backup;

            Line(int number, String time, Backup backup) {
                this.number = number;
                this.time = time;
                this.backup = backup;
            }
        }

        /**
         * The backups on {@code input}, one a line.
         *
         * @throws IllegalArgumentException naming the line that cannot be read
         */
        static List<Line> read(InputStream input, ZoneId zone) throws IOException {
            List<Line> lines = new ArrayList<>();
            BufferedReader reader = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
            String text;
            int number = 0;
            while ((text = reader.readLine()) != null) {
                number++;
                // A byte order mark, as editors on Windows write at the start of UTF-8 text, is no part of a time.
                String line = (number == 1 && text.startsWith("\uFEFF") ? text.substring(1) : text).strip();
                if (line.isEmpty()) {
                    continue;
                }
                String[] fields = line.split("[\\s,]+");
                Instant time = parseTime(fields[0], zone, number);
                Set<String> lineTags = new LinkedHashSet<>(Arrays.asList(fields).subList(1, fields.length));
                try {
                    // The line number is the id: unique, and among equal times the earlier line counts as newer.
                    lines.add(new Line(number, fields[0], Backup.of(String.format("%010d", number), time, lineTags)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("line " + number + ": " + e.getMessage(), e);
                }
            }
            return lines;
        }

        private static Instant parseTime(String text, ZoneId zone, int number) {
            try {
                TemporalAccessor parsed = DateTimeFormatter.ISO_DATE_TIME.parseBest(text, ZonedDateTime::from,
                    LocalDateTime::from);
                return parsed instanceof ZonedDateTime
                    ? ((ZonedDateTime) parsed).toInstant() : ((LocalDateTime) parsed).atZone(zone).toInstant();
            } catch (DateTimeParseException e) {
                String shown = text.length() > 60 ? text.substring(0, 60) + "..." : text;
                throw new IllegalArgumentException("line " + number + ": \"" + shown.replaceAll("\\p{Cntrl}", "?")
                    + "\" is not an ISO-8601 time like 2026-11-20T03:00:00Z", e);
            } catch (DateTimeException e) {
                throw new IllegalArgumentException("line " + number + ": " + e.getMessage(), e);
            }
        }

        private static String text(RetentionPlan plan, Map<String, Line> byId) {
            int width = plan.decisions().stream().mapToInt(d -> byId.get(d.backup().id()).time.length()).max()
                .orElse(0);
            StringBuilder text = new StringBuilder();
            for (RetentionPlan.Decision decision : plan.decisions()) {
                String line = String.format("%-6s  %-" + width + "s  %s", decision.keep() ? "keep" : "delete",
                    byId.get(decision.backup().id()).time,
                    decision.reasons().stream().map(KeepReason::toString).collect(Collectors.joining(", ")));
                text.append(line.stripTrailing()).append(System.lineSeparator());
            }
            return text.toString().stripTrailing();
        }

        private static String json(RetentionPlan plan, Map<String, Line> byId) {
            ObjectMapper mapper = new ObjectMapper();
            ArrayNode array = mapper.createArrayNode();
            for (RetentionPlan.Decision decision : plan.decisions()) {
                Line line = byId.get(decision.backup().id());
                ObjectNode node = array.addObject();
                node.put("time", line.time);
                node.put("instant", decision.backup().time().toString());
                node.put("line", line.number);
                ArrayNode tagArray = node.putArray("tags");
                decision.backup().tags().forEach(tagArray::add);
                node.put("keep", decision.keep());
                ArrayNode reasons = node.putArray("reasons");
                decision.reasons().forEach(reason -> reasons.add(reason.toString()));
            }
            return array.toPrettyString();
        }
    }

    /** A count: a number from 0, or {@code unlimited}. */
    static final class CountConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            if ("unlimited".equals(value)) {
                return RetentionPolicy.UNLIMITED;
            }
            int count;
            try {
                count = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new TypeConversionException(
                    "'" + value + "' is not a count: give a number from 0, or 'unlimited'");
            }
            if (count < 0) {
                throw new TypeConversionException(
                    "'" + value + "' is negative: give a number from 0, or 'unlimited' to keep all");
            }
            return count;
        }
    }

    /** A keep-within duration in restic's format. */
    static final class DurationConverter implements ITypeConverter<RetentionDuration> {
        @Override
        public RetentionDuration convert(String value) {
            try {
                return RetentionDuration.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A time zone id, like {@code Europe/Berlin} or {@code UTC}. */
    static final class ZoneConverter implements ITypeConverter<ZoneId> {
        @Override
        public ZoneId convert(String value) {
            try {
                return ZoneId.of(value);
            } catch (DateTimeException e) {
                throw new TypeConversionException("'" + value + "' is not a time zone; use a name like Europe/Berlin"
                    + " or UTC, or an offset like +02:00");
            }
        }
    }

    /** An ISO-8601 instant with an offset, like {@code 2026-11-23T12:00:00Z}. */
    static final class InstantConverter implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            try {
                return DateTimeFormatter.ISO_DATE_TIME.parse(value, ZonedDateTime::from).toInstant();
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + value + "' is not an ISO-8601 time with an offset, like "
                    + "2026-11-23T12:00:00Z");
            }
        }
    }
}
