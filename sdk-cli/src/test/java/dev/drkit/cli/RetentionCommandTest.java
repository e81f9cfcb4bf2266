package dev.drkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class RetentionCommandTest {

    /** The backups of the worked example in docs/retention.md, not in order, with a blank line. */
    static final String EXAMPLE = String.join("\n",
        "2026-11-19T03:00:00Z",
        "2026-11-20T03:00:00Z",
        "2026-11-19T15:00:00Z",
        "",
        "2026-11-18T03:00:00Z",
        "2026-11-17T03:00:00Z",
        "2026-11-15T03:00:00Z",
        "2026-11-10T03:00:00Z",
        "2026-11-01T03:00:00Z",
        "2026-10-31T03:00:00Z",
        "   2026-10-15T03:00:00Z   ",
        "");

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String stdin, String... args) {
        CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        RetentionCommand.Plan plan = cli.getSubcommands().get("retention").getSubcommands().get("plan").getCommand();
        plan.input = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        return cli.execute(args);
    }

    private List<String> outLines() {
        return out.toString().lines().toList();
    }

    @Test
    void printsEachBackupNewestFirstWithTheReasonsToKeepIt() {
        int code = run(EXAMPLE, "retention", "plan", "--keep-daily", "3", "--keep-weekly", "2", "--keep-monthly", "3",
            "--now", "2026-11-23T12:00:00Z");

        assertThat(code).isEqualTo(ExitCodes.OK);
        assertThat(err.toString()).isEmpty();
        assertThat(outLines()).containsExactly(
            "keep    2026-11-20T03:00:00Z  daily 2026-11-20, weekly 2026-W47, monthly 2026-11",
            "keep    2026-11-19T15:00:00Z  daily 2026-11-19",
            "delete  2026-11-19T03:00:00Z",
            "keep    2026-11-18T03:00:00Z  daily 2026-11-18",
            "delete  2026-11-17T03:00:00Z",
            "keep    2026-11-15T03:00:00Z  weekly 2026-W46",
            "delete  2026-11-10T03:00:00Z",
            "delete  2026-11-01T03:00:00Z",
            "keep    2026-10-31T03:00:00Z  monthly 2026-10",
            "keep    2026-10-15T03:00:00Z  oldest monthly 2026-10");
    }

    @Test
    void printsJsonWithTheTimeAsGivenTheInstantTheLineAndTheReasons() throws Exception {
        int code = run("2026-11-20T04:00:00+01:00 prod,db\n2026-11-19T03:00:00Z\n",
            "retention", "plan", "--keep-last", "1", "--json");

        JsonNode plan = new ObjectMapper().readTree(out.toString());
        assertThat(code).isZero();
        assertThat(plan.isArray()).isTrue();
        assertThat(plan).hasSize(2);
        assertThat(plan.get(0).get("time").asText()).isEqualTo("2026-11-20T04:00:00+01:00");
        assertThat(plan.get(0).get("instant").asText()).isEqualTo("2026-11-20T03:00:00Z");
        assertThat(plan.get(0).get("line").asInt()).isEqualTo(1);
        assertThat(plan.get(0).get("tags")).extracting(JsonNode::asText).containsExactly("db", "prod");
        assertThat(plan.get(0).get("keep").asBoolean()).isTrue();
        assertThat(plan.get(0).get("reasons")).extracting(JsonNode::asText).containsExactly("last 1");
        assertThat(plan.get(1).get("keep").asBoolean()).isFalse();
        assertThat(plan.get(1).get("reasons")).isEmpty();
    }

    @Test
    void withoutKeepOptionsAppliesTheDefaultsSevenDailyFourWeeklyTwelveMonthly() {
        StringBuilder daily = new StringBuilder();
        for (int day = 1; day <= 30; day++) {
            daily.append(String.format("2026-11-%02dT03:00:00Z%n", day));
        }

        int code = run(daily.toString(), "retention", "plan");

        assertThat(code).isZero();
        assertThat(outLines()).filteredOn(line -> line.contains("daily ")).hasSize(7);
        assertThat(outLines()).filteredOn(line -> line.contains("weekly ")).hasSize(4);
        assertThat(outLines()).filteredOn(line -> line.contains("monthly ")).hasSize(2);   // and "oldest monthly"
        assertThat(outLines()).filteredOn(line -> line.startsWith("keep")).hasSize(10);
    }

    @Test
    void takesBucketsInTheGivenZoneAndReadsTimesWithoutOffsetInIt() {
        String input = "2026-11-19T23:30:00Z\n2026-11-19T23:00\n2026-11-18T12:00:00Z\n";

        run(input, "retention", "plan", "--keep-daily", "7", "--zone", "Europe/Berlin");

        assertThat(outLines()).containsExactly(
            "keep    2026-11-19T23:30:00Z  daily 2026-11-20",
            "keep    2026-11-19T23:00      daily 2026-11-19",
            "keep    2026-11-18T12:00:00Z  daily 2026-11-18");
    }

    @Test
    void keepsTaggedBackupsAndAlwaysTheNewest() {
        String input = "2026-11-20T03:00:00Z\n2026-11-19T03:00:00Z  release  prod\n2026-11-18T03:00:00Z prod\n";

        int code = run(input, "retention", "plan", "--keep-tag", "release,prod");

        assertThat(code).isZero();
        assertThat(outLines()).containsExactly(
            "keep    2026-11-20T03:00:00Z  newest backup",
            "keep    2026-11-19T03:00:00Z  tags prod,release",
            "delete  2026-11-18T03:00:00Z");
    }

    @Test
    void acceptsUnlimitedAndKeepWithin() {
        String input = "2026-11-20T03:00:00Z\n2026-11-19T03:00:00Z\n2025-01-01T00:00:00Z\n";

        int code = run(input, "retention", "plan", "--keep-yearly", "unlimited", "--keep-within", "1d12h",
            "--now", "2026-11-23T00:00:00Z");

        assertThat(code).isZero();
        assertThat(outLines()).containsExactly(
            "keep    2026-11-20T03:00:00Z  yearly 2026, within 1d12h",
            "keep    2026-11-19T03:00:00Z  within 1d12h",
            "keep    2025-01-01T00:00:00Z  yearly 2025");
    }

    @Test
    void printsNothingForNoBackups() throws Exception {
        assertThat(run("\n\n", "retention", "plan")).isZero();
        assertThat(out.toString()).isEmpty();

        assertThat(run("", "retention", "plan", "--json")).isZero();
        assertThat(new ObjectMapper().readTree(out.toString()).isEmpty()).isTrue();
    }

    @Test
    void aBadLineIsAUsageErrorNamingTheLine() {
        int code = run("2026-11-20T03:00:00Z\n\nyesterday\n", "retention", "plan");

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().strip()).isEqualTo(
            "drkit retention plan: line 3: \"yesterday\" is not an ISO-8601 time like 2026-11-20T03:00:00Z");
    }

    @Test
    void aTimeOutsideTheSupportedYearsIsAUsageErrorNamingTheLine() {
        int code = run("+12026-11-20T03:00:00Z\n", "retention", "plan");

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).startsWith("drkit retention plan: line 1: time must be between");
    }

    @Test
    void aPolicyThatKeepsNothingIsAUsageError() {
        int code = run("2026-11-20T03:00:00Z\n", "retention", "plan", "--keep-daily", "0");

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).startsWith("drkit retention plan: the --keep options keep nothing");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--keep-daily   | -1          | '-1' is negative: give a number from 0, or 'unlimited' to keep all",
        "--keep-last    | all         | 'all' is not a count",
        "--keep-within  | 2w          | 'w' after 2 is not a unit",
        "--keep-within-daily | 1d1d   | unit d appears twice",
        "--zone         | Mars/Olympus| 'Mars/Olympus' is not a time zone",
        "--now          | tomorrow    | 'tomorrow' is not an ISO-8601 time",
        "--keep-tag     | a,,b        | tag must be 1 to 100 characters",
    })
    void badOptionValuesAreUsageErrorsThatSayWhy(String option, String value, String message) {
        int code = run("2026-11-20T03:00:00Z\n", "retention", "plan", option, value);

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(out.toString()).isEmpty();
        // One line, as the docs promise: the option, the value and why, not picocli's usage text after it.
        assertThat(err.toString().strip()).doesNotContain("\n")
            .startsWith("drkit retention plan: invalid value for option '" + option + "': ").contains(message);
    }

    /** The repro of a host with a wrong clock: its backup took keep-last, and the real ones were all deleted. */
    @Test
    void aBackupDatedInTheFutureNeverCostsTheNewestBackupNotDatedInTheFuture() {
        int code = run("2099-01-01T00:00:00Z\n2026-11-20T03:00:00Z\n2026-11-19T03:00:00Z\n",
            "retention", "plan", "--keep-last", "1", "--now", "2026-11-20T04:00:00Z");

        assertThat(code).isZero();
        assertThat(outLines()).containsExactly(
            "keep    2099-01-01T00:00:00Z  last 1",
            "keep    2026-11-20T03:00:00Z  newest backup not dated in the future",
            "delete  2026-11-19T03:00:00Z");
    }

    @Test
    void acceptsInputThatStartsWithAByteOrderMark() {
        int code = run("\uFEFF2026-11-20T03:00:00Z prod\n2026-11-19T03:00:00Z\n", "retention", "plan",
            "--keep-tag", "prod");

        assertThat(code).as(err.toString()).isZero();
        assertThat(outLines()).containsExactly(
            "keep    2026-11-20T03:00:00Z  tag prod",
            "delete  2026-11-19T03:00:00Z");
    }

    @Test
    void helpDescribesTheOptionsAndTheTopLevelListsTheCommand() {
        assertThat(run("", "retention", "plan", "--help")).isZero();
        assertThat(out.toString()).contains("--keep-within=DURATION", "--keep-tag=TAG[,TAG...]", "--zone=ZONE");
        assertThat(out.toString().replaceAll("\\s+", " ")).contains("Without any --keep option: 7 daily, 4 weekly,"
            + " 12 monthly");

        out.getBuffer().setLength(0);
        assertThat(run("", "--help")).isZero();
        assertThat(out.toString()).contains("retention");
    }

    @Test
    void readsStandardInputWhenRunAsAProgram() throws Exception {
        ProcessBuilder child = new ProcessBuilder(List.of(
            ProcessHandle.current().info().command().orElse("java"),
            "-cp", System.getProperty("java.class.path"), Drkit.class.getName(),
            "retention", "plan", "--keep-last", "1"));
        child.redirectErrorStream(true);
        Process process = child.start();
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write("2026-11-19T03:00:00Z\n2026-11-20T03:00:00Z\n".getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output.lines()).containsExactly(
            "keep    2026-11-20T03:00:00Z  last 1",
            "delete  2026-11-19T03:00:00Z");
    }
}
