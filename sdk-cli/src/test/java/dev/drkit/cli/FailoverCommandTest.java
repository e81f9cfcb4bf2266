package dev.drkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** Each drill scenario once, on real servers, through the command line. */
class FailoverCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {"crash", "zombie"})
    void drillPassesWithNothingLostAndNothingWrittenToTheOldPrimary(String scenario) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));

        int code = cli.execute("failover", "drill", "--scenario", scenario, "--json");

        JsonNode result = new ObjectMapper().readTree(out.toString());
        assertThat(code).as(out + "\n" + err).isZero();
        assertThat(result.at("/failover/lost").asLong()).isZero();
        assertThat(result.at("/failover/writesToOldPrimary").asLong()).isZero();
        assertThat(result.at("/failover/acknowledged").asLong()).isPositive();
        assertThat(result.at("/failover/timeToDetectMillis").isNumber()).isTrue();
        assertThat(result.at("/failover/firstWriteAfterPromotionMillis").isNumber()).isTrue();
        assertThat(result.at("/report/verdict").asText()).isEqualTo("PASS");
        assertThat(err.toString()).contains("drill: break the primary");
        long inFlight = result.at("/failover/failedInFlightAtBreak").asLong(-1);
        long afterBreak = result.at("/failover/failedStartedAfterBreak").asLong(-1);
        assertThat(result.at("/failover/failed").asLong()).isEqualTo(inFlight + afterBreak);
        assertThat(afterBreak).isGreaterThanOrEqualTo(0);
        if (scenario.equals("crash")) {
            // The outage (1 s to the promotion) is shorter than drkit's default primaryWait: a write that starts
            // once the loss is detected waits for the new primary instead of failing. The writes in flight on the
            // broken connections fail, at most one per writer (the drill runs two).
            assertThat(result.at("/failover/failedStartedAfterDetection").asLong(-1))
                .as("writes started after the loss was detected that failed").isZero();
            assertThat(inFlight).as("writes in flight at the break that failed").isBetween(0L, 2L);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"crash", "freeze"})
    void drillWithWritesMarkedSafeToRetryFailsNoneLosesNoneAndSaysSo(String scenario) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));

        int code = cli.execute("failover", "drill", "--scenario", scenario, "--retry", "safe", "--json");

        JsonNode result = new ObjectMapper().readTree(out.toString());
        assertThat(code).as(out + "\n" + err).isZero();
        assertThat(result.at("/report/verdict").asText()).isEqualTo("PASS");
        assertThat(result.at("/report/name").asText()).contains("writes marked safe to retry");
        assertThat(result.at("/failover/retry").asText()).isEqualTo("safe");
        assertThat(result.at("/failover/failed").asLong(-1)).as("failed writes, marked safe to retry").isZero();
        assertThat(result.at("/failover/lost").asLong(-1)).as("acknowledged writes lost").isZero();
        assertThat(result.at("/failover/writesToOldPrimary").asLong(-1)).isZero();
        assertThat(result.at("/failover/acknowledged").asLong()).isPositive();
        if (scenario.equals("freeze")) {
            // The writes that reached the frozen primary before its loss was noticed ran again on the new one.
            assertThat(result.at("/failover/retried").asLong()).isPositive();
        }
    }

    @Test
    void rejectsAnUnknownRetryModeAsAUsageError() {
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setErr(new PrintWriter(err, true));

        int code = cli.execute("failover", "drill", "--retry", "always");

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("--retry", "always");
    }

    @Test
    void crashByAnImmediateStopLosesNothingAndFailsNoWriteStartedAfterDetection() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));

        int code = cli.execute("failover", "drill", "--scenario", "crash", "--crash-by", "immediate", "--json");

        JsonNode result = new ObjectMapper().readTree(out.toString());
        assertThat(code).as(out + "\n" + err).isZero();
        assertThat(result.at("/report/name").asText()).contains("crash by an immediate stop", "sync replica");
        JsonNode broken = null;
        for (JsonNode step : result.at("/report/steps")) {
            if (step.get("name").asText().equals("break the primary")) {
                broken = step;
            }
        }
        assertThat(broken).as("the break step").isNotNull();
        assertThat(broken.get("detail").asText()).isEqualTo("pg_ctl stop -m immediate");
        assertThat(result.at("/report/verdict").asText()).isEqualTo("PASS");
        assertThat(result.at("/failover/acknowledged").asLong()).isPositive();
        assertThat(result.at("/failover/lost").asLong()).as("acknowledged writes lost under sync").isZero();
        assertThat(result.at("/failover/writesToOldPrimary").asLong()).isZero();
        assertThat(result.at("/failover/timeToDetectMillis").isNumber()).isTrue();
        assertThat(result.at("/failover/failedStartedAfterDetection").asLong(-1))
            .as("writes started after the loss was detected that failed").isZero();
        long inFlight = result.at("/failover/failedInFlightAtBreak").asLong(-1);
        long afterBreak = result.at("/failover/failedStartedAfterBreak").asLong(-1);
        assertThat(result.at("/failover/failed").asLong()).isEqualTo(inFlight + afterBreak);
    }

    @Test
    void rejectsAnImmediateStopWithFreezeOrAStallOrAnUnknownWayAsUsageErrors() {
        for (String[] args : new String[][] {
            {"failover", "drill", "--scenario", "freeze", "--crash-by", "immediate"},
            {"failover", "drill", "--crash-by", "immediate", "--stall-walsender", "2s"},
            {"failover", "drill", "--crash-by", "meteor"}}) {
            StringWriter err = new StringWriter();
            picocli.CommandLine cli = Drkit.commandLine();
            cli.setErr(new PrintWriter(err, true));

            int code = cli.execute(args);

            assertThat(code).as(String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
            assertThat(err.toString()).as(String.join(" ", args)).containsAnyOf("--crash-by", "--stall-walsender");
        }
    }

    @Test
    void freezeDrillPrintsTheFiguresAsText() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));

        int code = cli.execute("failover", "drill", "--scenario", "freeze");

        assertThat(code).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("time to detect", "first write after the promotion",
            "writes to the old primary after   0", "acknowledged writes lost          0 of");
    }

    @Test
    void asyncCrashAfterAStalledWalSenderCountsTheLossAndShowsItWasReported() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));

        int code = cli.execute("failover", "drill", "--scenario", "crash", "--replication", "async",
            "--stall-walsender", "2s", "--json");

        JsonNode result = new ObjectMapper().readTree(out.toString());
        assertThat(code).as(out + "\n" + err).isZero();
        assertThat(result.at("/failover/lost").asLong()).isPositive();
        assertThat(result.at("/failover/dataLossReported").asText()).contains("bytes of WAL did not reach");
        assertThat(err.toString()).contains("drill: stall the WAL sender");
    }

    @Test
    void rejectsAStallWithAnotherScenarioOrABadDurationAsUsageErrors() {
        for (String[] args : new String[][] {
            {"failover", "drill", "--scenario", "freeze", "--stall-walsender", "2s"},
            {"failover", "drill", "--stall-walsender", "two seconds"},
            {"failover", "drill", "--stall-walsender", "0s"}}) {
            StringWriter err = new StringWriter();
            picocli.CommandLine cli = Drkit.commandLine();
            cli.setErr(new PrintWriter(err, true));

            int code = cli.execute(args);

            assertThat(code).as(String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
            assertThat(err.toString()).contains("--stall-walsender");
        }
    }

    @Test
    void rejectsAnUnknownScenarioAsAUsageError() {
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setErr(new PrintWriter(err, true));

        int code = cli.execute("failover", "drill", "--scenario", "meteor");

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("meteor");
    }
}
