package dev.drkit.core.drill;

import dev.drkit.core.DataIntegrityException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static dev.drkit.core.drill.FakeTime.EPOCH;
import static dev.drkit.core.drill.FakeTime.ms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DrillReportTest {

    static DrillReport.Builder failover() {
        return DrillReport.builder("orders-db failover")
            .started(EPOCH)
            .finished(EPOCH.plusMillis(42_500))
            .step("stop primary", Duration.ZERO, ms(1200), StepOutcome.PASS, "pg_ctl stop -m immediate")
            .step("promote replica", ms(1200), ms(850), StepOutcome.PASS, "")
            .step("verify rows", ms(14_000), ms(3100), StepOutcome.SKIP, "no verification query configured");
    }

    static DrillReport measured() {
        return failover()
            .rto(MeasuredDuration.of(ms(2500), ms(250)))
            .rpo(MeasuredDuration.of(ms(250), ms(100)))
            .lostRecords(2)
            .rtoTarget(Duration.ofSeconds(30))
            .rpoTarget(Duration.ofSeconds(1))
            .build();
    }

    @Test
    void passesWhenNoStepFailedAndEveryTargetIsMet() {
        DrillReport report = measured();

        assertThat(report.verdict()).isEqualTo(Verdict.PASS);
        assertThat(report.verdictReasons()).isEmpty();
        assertThat(report.duration()).isEqualTo(ms(42_500));
    }

    @Test
    void failsWhenAStepFailed() {
        DrillReport report = failover().step("check replication", ms(20_000), ms(10), StepOutcome.FAIL, "lag 3 s").build();

        assertThat(report.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(report.verdictReasons()).containsExactly("step 'check replication' failed");
    }

    @Test
    void failsWhenTheRtoExceedsItsTarget() {
        DrillReport report = failover().rto(MeasuredDuration.of(ms(2500), ms(250))).rtoTarget(ms(2000)).build();

        assertThat(report.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(report.verdictReasons()).containsExactly("RTO 2.500 s ± 0.250 s exceeds the target of 2.000 s");
    }

    @Test
    void comparesTheMeasuredValueItselfWithTheTarget() {
        // the value is already an upper bound: 2.5 s measured against a 2.5 s target is met
        DrillReport report = failover().rto(MeasuredDuration.of(ms(2500), ms(250))).rtoTarget(ms(2500)).build();

        assertThat(report.verdict()).isEqualTo(Verdict.PASS);
    }

    @Test
    void failsWhenATargetsMeasurementIsMissing() {
        DrillReport report = failover().rtoTarget(ms(2000)).rpoTarget(ms(1000)).build();

        assertThat(report.verdictReasons()).containsExactly(
            "RTO was not measured (target 2.000 s)", "RPO was not measured (target 1.000 s)");
    }

    @Test
    void failsWhenTheRpoExceedsItsTargetAndRecordsWereLost() {
        DrillReport report = failover().rpo(MeasuredDuration.of(ms(1250), ms(100))).lostRecords(12).rpoTarget(ms(1000)).build();

        assertThat(report.verdictReasons()).containsExactly(
            "RPO 1.250 s ± 0.100 s exceeds the target of 1.000 s (12 acknowledged records lost)");
    }

    @Test
    void failsAZeroRpoTargetWhenAnyAcknowledgedRecordWasLost() {
        // the recovery point may be right at the disruption, but a zero target allows no loss at all
        DrillReport report = failover().rpo(MeasuredDuration.of(Duration.ZERO, ms(100))).lostRecords(1)
            .rpoTarget(Duration.ZERO).build();

        assertThat(report.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(report.verdictReasons()).containsExactly("1 acknowledged records lost (RPO target 0.000 s allows no loss)");
        // and the text says so on the RPO line too, not "met" beside a failed verdict
        assertThat(report.toText().lines().filter(l -> l.trim().startsWith("RPO")))
            .singleElement().asString().contains("MISSED").doesNotContain("met");
    }

    @Test
    void failsAZeroRpoTargetWhenRecordsWereLostAndNoRpoWasMeasured() {
        DrillReport report = failover().lostRecords(3).rpoTarget(Duration.ZERO).build();

        assertThat(report.verdict()).isEqualTo(Verdict.FAIL);
    }

    @Test
    void meetsAnyRpoTargetWhenNoAcknowledgedRecordWasLost() {
        // the canary's last write was 0.8 s before the disruption, but nothing acknowledged went missing
        DrillReport report = failover().rpo(MeasuredDuration.of(ms(800), ms(1000))).lostRecords(0).rpoTarget(Duration.ZERO).build();

        assertThat(report.verdict()).isEqualTo(Verdict.PASS);
    }

    @Test
    void takesRtoFromARecoveryResultAndRpoWithLossFromACanaryResult() {
        FakeTime time = new FakeTime();
        RecoveryTimeline timeline = time.timeline();
        InMemoryCanaryStore store = new InMemoryCanaryStore();
        CanaryWriter canary = CanaryWriter.builder(store, timeline).interval(ms(100)).sleeper(time.sleeper()).build();
        canary.runUntil(() -> canary.acknowledged() == 10);
        time.advance(ms(30));
        timeline.mark(Milestone.DISRUPTION);
        store.loseAfter(8);
        RecoveryResult recovery = RecoveryVerifier.builder().probeInterval(ms(250)).consecutivePasses(1)
            .sleeper(time.sleeper()).build()
            .verify(timeline, () -> time.now().compareTo(ms(2000)) >= 0);

        DrillReport report = DrillReport.builder("from results").started(timeline.startedAt())
            .finished(time.clock().instant()).rto(recovery).canary(canary.assess()).build();

        // disruption at 0.93 s; probes from then every 250 ms; the first to pass is at 2.18 s
        assertThat(report.rto()).contains(MeasuredDuration.of(ms(1250), ms(250)));
        assertThat(report.rpo()).contains(MeasuredDuration.of(ms(230), ms(100)));
        assertThat(report.lostRecords()).hasValue(2);
    }

    @Test
    void showsAMeasurementThatWasNotMadeAsNotMeasured() {
        RecoveryTimeline timeline = new FakeTime().timeline();
        timeline.mark(Milestone.DISRUPTION);
        RecoveryResult timedOut = RecoveryVerifier.builder().probeInterval(ms(250)).timeout(ms(250))
            .sleeper(d -> { }).build().verify(timeline, () -> false);

        DrillReport report = failover().rto(timedOut).build();

        assertThat(report.rto()).isEmpty();
        assertThat(report.lostRecords()).isEmpty();
        assertThat(report.toText()).contains("  RTO        not measured\n", "  lost       not counted\n");
    }

    @Test
    void writesJsonWithFieldsInAStableOrder() {
        assertThat(measured().toJson()).isEqualTo("{"
            + "\"format\":\"drkit.drill-report/1\",\"name\":\"orders-db failover\",\"verdict\":\"PASS\",\"reasons\":[],"
            + "\"started\":\"2026-11-23T10:00:00Z\",\"finished\":\"2026-11-23T10:00:42.500Z\",\"durationMs\":42500,"
            + "\"rto\":{\"measured\":true,\"valueMs\":2500,\"uncertaintyMs\":250,\"value\":\"PT2.5S\",\"uncertainty\":\"PT0.25S\"},"
            + "\"rtoTargetMs\":30000,\"rtoTarget\":\"PT30S\","
            + "\"rpo\":{\"measured\":true,\"valueMs\":250,\"uncertaintyMs\":100,\"value\":\"PT0.25S\",\"uncertainty\":\"PT0.1S\"},"
            + "\"rpoTargetMs\":1000,\"rpoTarget\":\"PT1S\",\"lostRecords\":2,"
            + "\"steps\":["
            + "{\"name\":\"stop primary\",\"outcome\":\"PASS\",\"startOffsetMs\":0,\"durationMs\":1200,\"startOffset\":\"PT0S\","
            + "\"duration\":\"PT1.2S\",\"detail\":\"pg_ctl stop -m immediate\"},"
            + "{\"name\":\"promote replica\",\"outcome\":\"PASS\",\"startOffsetMs\":1200,\"durationMs\":850,\"startOffset\":\"PT1.2S\","
            + "\"duration\":\"PT0.85S\",\"detail\":\"\"},"
            + "{\"name\":\"verify rows\",\"outcome\":\"SKIP\",\"startOffsetMs\":14000,\"durationMs\":3100,\"startOffset\":\"PT14S\","
            + "\"duration\":\"PT3.1S\",\"detail\":\"no verification query configured\"}"
            + "]}");
    }

    @Test
    void writesAbsentMeasurementsAndTargetsAsSuch() {
        String json = DrillReport.builder("bare").started(EPOCH).finished(EPOCH).build().toJson();

        assertThat(json).contains("\"rto\":{\"measured\":false},\"rtoTargetMs\":null,\"rtoTarget\":null",
            "\"lostRecords\":null", "\"steps\":[]");
    }

    @Test
    void readsBackWhatItWrote() {
        DrillReport report = measured();

        assertThat(DrillReport.fromJson(report.toJson())).isEqualTo(report);
        DrillReport bare = DrillReport.builder("bare").started(EPOCH).finished(EPOCH).build();
        assertThat(DrillReport.fromJson(bare.toJson())).isEqualTo(bare);
    }

    @Test
    void keepsSubMillisecondPrecisionThroughTheIsoForm() {
        DrillReport report = failover().rto(MeasuredDuration.of(Duration.ofNanos(2_500_000_123L), ms(250))).build();

        assertThat(DrillReport.fromJson(report.toJson()).rto().orElseThrow().value()).isEqualTo(Duration.ofNanos(2_500_000_123L));
    }

    @Test
    void readsMillisecondsWhenTheIsoFormIsAbsentAndIgnoresUnknownFields() {
        DrillReport report = DrillReport.fromJson("{\"format\":\"drkit.drill-report/1\",\"name\":\"n\","
            + "\"started\":\"2026-11-23T10:00:00Z\",\"finished\":\"2026-11-23T10:00:01Z\",\"addedLater\":[1,2],"
            + "\"rto\":{\"measured\":true,\"valueMs\":1500,\"uncertaintyMs\":100},\"rtoTargetMs\":2000,"
            + "\"steps\":[{\"name\":\"s\",\"outcome\":\"FAIL\",\"startOffsetMs\":5,\"durationMs\":7}]}");

        assertThat(report.rto()).contains(MeasuredDuration.of(ms(1500), ms(100)));
        assertThat(report.rtoTarget()).contains(ms(2000));
        assertThat(report.steps()).containsExactly(DrillStep.of("s", ms(5), ms(7), StepOutcome.FAIL, ""));
        assertThat(report.verdict()).isEqualTo(Verdict.FAIL);
    }

    @Test
    void rejectsJsonThatIsNotAReportSayingWhatIsWrong() {
        String valid = measured().toJson();

        assertInvalid("not json", "Drill report is invalid: it is not valid JSON at column 1 (JsonParseException)");
        assertInvalid("[]", "Drill report is invalid: it is not a JSON object");
        assertInvalid("", "Drill report is invalid: it is not a JSON object");
        assertInvalid(valid.replace("drill-report/1", "drill-report/9"), "Drill report is invalid: format must be drkit.drill-report/1");
        assertInvalid(valid.replace("\"started\":\"2026-11-23T10:00:00Z\"", "\"started\":\"yesterday\""),
            "Drill report is invalid: started must be an ISO-8601 instant such as 2026-11-23T10:00:00Z");
        assertInvalid(valid.replace("\"value\":\"PT2.5S\"", "\"value\":\"-PT2.5S\""),
            "Drill report is invalid: value must not be negative, but was PT-2.5S");
        assertInvalid(valid.replace("\"outcome\":\"SKIP\"", "\"outcome\":\"MAYBE\""),
            "Drill report is invalid: outcome must be PASS, FAIL or SKIP");
        assertInvalid(valid.replace("\"lostRecords\":2", "\"lostRecords\":2.5"),
            "Drill report is invalid: lostRecords must be a whole number");
        assertInvalid(valid.replace("\"finished\":\"2026-11-23T10:00:42.500Z\"", "\"finished\":\"2026-11-23T09:00:00Z\""),
            "Drill report is invalid: finished (2026-11-23T09:00:00Z) must not be before started (2026-11-23T10:00:00Z)");
        assertInvalid(valid + "{}", "Drill report is invalid: it is not valid JSON at column " + (valid.length() + 1)
            + " (MismatchedInputException)");
        assertInvalid(valid.replace("{\"format\"", "{\"name\":\"twice\",\"format\""),
            "Drill report is invalid: it is not valid JSON at column 55 (JsonParseException)");
    }

    @Test
    void rejectsDurationsBeyondAHundredYears() {
        assertThatThrownBy(() -> failover().rtoTarget(Duration.ofDays(40_000)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("rtoTarget must be at most 100 years, but was PT960000H");
        assertThatThrownBy(() -> DrillReport.builder("x").started(Instant.MIN).finished(Instant.MAX).build())
            .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rejectsAReportWithoutTimesOrFinishingBeforeItStarted() {
        assertThatThrownBy(() -> DrillReport.builder("x").build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("a drill report needs started and finished");
        assertThatThrownBy(() -> DrillReport.builder("x").started(EPOCH).finished(EPOCH.minusMillis(1)).build())
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> DrillReport.builder("two\nlines")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writesAlignedTextForATerminal() {
        DrillReport report = failover()
            .rto(MeasuredDuration.of(ms(2500), ms(250)))
            .rpo(MeasuredDuration.of(ms(250), ms(100)))
            .lostRecords(2)
            .rtoTarget(ms(2000))
            .rpoTarget(Duration.ofSeconds(1))
            .build();

        assertThat(report.toText()).isEqualTo(""
            + "Drill 'orders-db failover': FAIL\n"
            + "  started    2026-11-23T10:00:00Z\n"
            + "  finished   2026-11-23T10:00:42.500Z  (42.500 s)\n"
            + "  RTO        2.500 s ± 0.250 s      target 2.000 s    MISSED\n"
            + "  RPO        0.250 s ± 0.100 s      target 1.000 s    met\n"
            + "  lost       2 acknowledged records\n"
            + "  why        RTO 2.500 s ± 0.250 s exceeds the target of 2.000 s\n"
            + "Steps\n"
            + "       START    DURATION  OUTCOME  STEP\n"
            + "    +0.000 s     1.200 s  PASS     stop primary: pg_ctl stop -m immediate\n"
            + "    +1.200 s     0.850 s  PASS     promote replica\n"
            + "   +14.000 s     3.100 s  SKIP     verify rows: no verification query configured\n");
    }

    @Test
    void keepsControlCharactersOutOfTheText() {
        DrillReport report = DrillReport.builder("evil").started(EPOCH).finished(EPOCH)
            .step("step", Duration.ZERO, Duration.ZERO, StepOutcome.PASS, "line one\nDrill 'fake': PASS\u001b[2J")
            .build();

        assertThat(report.toText()).contains("step: line one?Drill 'fake': PASS?[2J\n").doesNotContain("\u001b");
        assertThat(report.toText().lines()).hasSize(9);
    }

    private static void assertInvalid(String json, String message) {
        assertThatThrownBy(() -> DrillReport.fromJson(json))
            .isInstanceOf(DataIntegrityException.class)
            .hasMessage(message);
    }
}
