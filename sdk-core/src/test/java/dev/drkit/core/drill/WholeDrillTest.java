package dev.drkit.core.drill;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static dev.drkit.core.drill.FakeTime.EPOCH;
import static dev.drkit.core.drill.FakeTime.ms;
import static org.assertj.core.api.Assertions.assertThat;

/** A failover drill from start to history, on fake time: the pieces of the package used together. */
class WholeDrillTest {

    @TempDir
    Path dir;

    @Test
    void measuresAFailoverAndKeepsItsReport() {
        FakeTime time = new FakeTime();
        RecoveryTimeline timeline = time.timeline();
        InMemoryCanaryStore store = new InMemoryCanaryStore();
        CanaryWriter canary = CanaryWriter.builder(store, timeline).name("orders").interval(ms(100))
            .sleeper(time.sleeper()).build();
        RecoveryVerifier verifier = RecoveryVerifier.builder().name("orders").probeInterval(ms(250))
            .consecutivePasses(3).timeout(Duration.ofMinutes(1)).sleeper(time.sleeper()).build();

        // traffic: seq 1..57 acknowledged, one every 100 ms
        canary.runUntil(() -> canary.acknowledged() == 57);
        // the primary dies at 5.65 s; the replica it is promoted from lacks the last two writes
        time.advanceTo(ms(5650));
        timeline.mark(Milestone.DISRUPTION);
        store.down(true).loseAfter(55);
        // the service answers again from 7.2 s, once the replica is promoted
        RecoveryResult recovery = verifier.verify(timeline, () -> {
            if (time.now().compareTo(ms(6000)) >= 0 && timeline.find(Milestone.DETECTION).isEmpty()) {
                timeline.mark(Milestone.DETECTION);
            }
            if (time.now().compareTo(ms(7200)) >= 0 && timeline.find(Milestone.ACTION).isEmpty()) {
                timeline.mark(Milestone.ACTION);
                store.down(false);
            }
            return time.now().compareTo(ms(7200)) >= 0;
        });
        CanaryResult loss = canary.assess();

        DrillReport report = DrillReport.builder("orders-db failover")
            .started(timeline.startedAt())
            .finished(time.clock().instant())
            .step("write canary traffic", Duration.ZERO, ms(5650), StepOutcome.PASS, "57 writes acknowledged")
            .step("stop primary", ms(5650), Duration.ZERO, StepOutcome.PASS, "")
            .step("promote replica", timeline.find(Milestone.DETECTION).orElseThrow().offset(),
                timeline.between(Milestone.DETECTION, Milestone.ACTION).orElseThrow(), StepOutcome.PASS, "")
            .rto(recovery)
            .canary(loss)
            .rtoTarget(Duration.ofSeconds(2))
            .rpoTarget(ms(500))
            .build();
        DrillHistory history = DrillHistory.at(dir.resolve("drills.jsonl"));
        history.append(report);

        // probes at 5.65, 5.90, ... 7.15 s fail; 7.40, 7.65 and 7.90 s pass
        assertThat(recovery.rto()).contains(MeasuredDuration.of(ms(1750), ms(250)));
        assertThat(loss.lostSequences()).containsExactly(56L, 57L);
        assertThat(loss.rpo()).contains(MeasuredDuration.of(ms(250), ms(100)));
        assertThat(report.verdict()).isEqualTo(Verdict.PASS);
        assertThat(timeline.marks()).extracting(RecoveryTimeline.Mark::name)
            .containsExactly("disruption", "detection", "action", "first-success", "verified-recovery");
        assertThat(timeline.find(Milestone.VERIFIED_RECOVERY).orElseThrow().at()).isEqualTo(EPOCH.plusMillis(7900));
        assertThat(history.read().reports()).containsExactly(report);
        assertThat(report.toText()).contains(
            "  RTO        1.750 s ± 0.250 s      target 2.000 s    met\n",
            "  RPO        0.250 s ± 0.100 s      target 0.500 s    met\n",
            "  lost       2 acknowledged records\n");
    }
}
