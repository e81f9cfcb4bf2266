package dev.drkit.core.drill;

import dev.drkit.core.EnvironmentException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.drkit.core.drill.FakeTime.EPOCH;
import static dev.drkit.core.drill.FakeTime.ms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CanaryWriterTest {

    final FakeTime time = new FakeTime();
    final RecoveryTimeline timeline = time.timeline();
    final InMemoryCanaryStore store = new InMemoryCanaryStore();
    final CanaryWriter canary = CanaryWriter.builder(store, timeline)
        .name("orders")
        .interval(ms(100))
        .sleeper(time.sleeper())
        .build();

    @Test
    void countsLostRecordsExactlyAndMeasuresRpoFromTheNewestSurvivor() {
        // writes every 100 ms from t=0: seq 1..57 at 0.0 .. 5.6 s, all acknowledged
        canary.runUntil(() -> canary.acknowledged() == 57);
        time.advanceTo(ms(5650));
        timeline.mark(Milestone.DISRUPTION);
        store.loseAfter(55);   // the promoted replica had not received 56 and 57

        CanaryResult result = canary.assess();

        assertThat(result.acknowledged()).isEqualTo(57);
        assertThat(result.acknowledgedBeforeDisruption()).isEqualTo(57);
        assertThat(result.lostRecords()).isEqualTo(2);
        assertThat(result.lostSequences()).containsExactly(56L, 57L);
        assertThat(result.recoveryPoint()).contains(new CanaryRecord(55, EPOCH.plusMillis(5400)));
        assertThat(result.rpo()).contains(MeasuredDuration.of(ms(250), ms(100)));
        assertThat(result.failedWrites()).isZero();
        assertThat(time.sleeps).containsOnly(ms(100));
    }

    @Test
    void writesNumberedTimestampedRecordsAtTheInterval() {
        canary.runUntil(() -> canary.acknowledged() == 3);

        assertThat(store.sequences()).containsExactly(1L, 2L, 3L);
        assertThat(readBack()).containsExactly(
            new CanaryRecord(1, EPOCH), new CanaryRecord(2, EPOCH.plusMillis(100)), new CanaryRecord(3, EPOCH.plusMillis(200)));
    }

    @Test
    void doesNotCountFailedWritesAsAcknowledgedOrLost() {
        canary.runUntil(() -> canary.acknowledged() == 10);        // seq 1..10, t = 0 .. 0.9 s
        time.advanceTo(ms(950));
        timeline.mark(Milestone.DISRUPTION);
        store.down(true);
        canary.runUntil(() -> canary.failedWrites() == 5);         // seq 11..15 fail during the outage
        store.down(false);
        canary.runUntil(() -> canary.acknowledged() == 13);        // seq 16..18 reach the new primary

        CanaryResult result = canary.assess();

        assertThat(result.failedWrites()).isEqualTo(5);
        assertThat(result.lostRecords()).isZero();
        assertThat(result.acknowledgedBeforeDisruption()).isEqualTo(10);
        assertThat(result.recoveryPoint().orElseThrow().sequence()).isEqualTo(10);
        assertThat(result.rpo()).contains(MeasuredDuration.of(ms(50), ms(100)));
        assertThat(canary.lastFailure()).contains("java.io.IOException");
    }

    @Test
    void countsAcknowledgedWritesLostAfterTheDisruptionToo() {
        canary.runUntil(() -> canary.acknowledged() == 5);   // the last at 400 ms
        time.advance(ms(50));
        timeline.mark(Milestone.DISRUPTION);
        time.advance(ms(50));
        canary.runUntil(() -> canary.acknowledged() == 8);   // 500 .. 700 ms, acknowledged by the old primary, cut off
        store.lose(6, 7, 8);

        CanaryResult result = canary.assess();

        assertThat(result.lostSequences()).containsExactly(6L, 7L, 8L);
        assertThat(result.acknowledgedBeforeDisruption()).isEqualTo(5);
        assertThat(result.recoveryPoint().orElseThrow().sequence()).isEqualTo(5);
        // what was acknowledged from 400 ms (exclusive) to 700 ms is gone: not the 50 ms up to the mark
        assertThat(result.rpo()).contains(MeasuredDuration.of(ms(300), ms(100)));
        DrillReport report = DrillReport.builder("orders").canary(result).rpoTarget(ms(100))
            .started(EPOCH).finished(EPOCH.plusSeconds(1)).build();
        assertThat(report.verdict()).isEqualTo(Verdict.FAIL);
    }

    @Test
    void findsLossInTheMiddleNotJustAtTheEnd() {
        canary.runUntil(() -> canary.acknowledged() == 10);
        timeline.mark(Milestone.DISRUPTION);
        store.lose(4, 7);

        CanaryResult result = canary.assess();

        assertThat(result.lostSequences()).containsExactly(4L, 7L);
        assertThat(result.recoveryPoint().orElseThrow().sequence()).isEqualTo(3);
    }

    @Test
    void measuresRpoFromBeforeTheFirstLostWriteWhenLaterOnesSurvived() {
        // seq 1..5 at 0 .. 400 ms, all acknowledged; 4 is lost but 5 survived
        canary.runUntil(() -> canary.acknowledged() == 5);
        time.advanceTo(ms(450));
        timeline.mark(Milestone.DISRUPTION);
        store.lose(4);

        CanaryResult result = canary.assess();

        assertThat(result.lostSequences()).containsExactly(4L);
        assertThat(result.recoveryPoint()).contains(new CanaryRecord(3, EPOCH.plusMillis(200)));
        assertThat(result.rpo()).contains(MeasuredDuration.of(ms(250), ms(100)));
    }

    @Test
    void hasNoRecoveryPointWhenTheFirstWriteWasLost() {
        canary.runUntil(() -> canary.acknowledged() == 3);
        timeline.mark(Milestone.DISRUPTION);
        store.lose(1);

        CanaryResult result = canary.assess();

        assertThat(result.recoveryPoint()).isEmpty();
        assertThat(result.rpo()).isEmpty();
    }

    @Test
    void leavesRpoUnmeasuredWhenNothingAcknowledgedSurvived() {
        canary.runUntil(() -> canary.acknowledged() == 4);
        timeline.mark(Milestone.DISRUPTION);
        store.loseAfter(0);

        CanaryResult result = canary.assess();

        assertThat(result.rpo()).isEmpty();
        assertThat(result.recoveryPoint()).isEmpty();
        assertThat(result.lostRecords()).isEqualTo(4);
    }

    @Test
    void tellsWritesThatCommittedWithoutAnAnswerFromRecordsItNeverWrote() {
        canary.writeOnce();
        store.commitButFail(true);
        assertThat(canary.writeOnce()).isFalse();
        store.commitButFail(false);
        store.add(new CanaryRecord(999, EPOCH));   // left over from an earlier drill
        timeline.mark(Milestone.DISRUPTION);

        CanaryResult result = canary.assess();

        assertThat(result.unacknowledgedSurvivors()).isEqualTo(1);
        assertThat(result.unexpectedRecords()).isEqualTo(1);
        assertThat(result.lostRecords()).isZero();
        assertThat(result.failedWrites()).isEqualTo(1);
    }

    @Test
    void skipsSlotsAWriteOverranInsteadOfBursting() {
        CanaryStore slow = new CanaryStore() {
            @Override
            public void write(long sequence, java.time.Instant writtenAt) {
                time.advance(ms(250));
            }

            @Override
            public java.util.Collection<CanaryRecord> readAll() {
                return List.of();
            }
        };
        CanaryWriter writer = CanaryWriter.builder(slow, timeline).interval(ms(100)).sleeper(time.sleeper()).build();

        writer.runUntil(() -> writer.acknowledged() == 3);

        // writes start at 0, 300 and 600 ms: each took 250 ms, so the slots at 100 and 200 ms were skipped
        assertThat(time.sleeps).containsExactly(ms(50), ms(50));
        assertThat(time.now()).isEqualTo(ms(850));
    }

    @Test
    void needsTheDisruptionMarkedToAssess() {
        canary.writeOnce();

        assertThatThrownBy(canary::assess)
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("mark Milestone.DISRUPTION");
    }

    @Test
    void reportsAStoreThatCannotBeReadBack() {
        canary.writeOnce();
        timeline.mark(Milestone.DISRUPTION);
        store.failReads(1);

        assertThatThrownBy(canary::assess)
            .isInstanceOf(EnvironmentException.class)
            .hasMessage("Canary 'orders' cannot read its records back after recovery: java.io.IOException");
        assertThat(canary.assess().lostRecords()).isZero();
    }

    @Test
    void rejectsAnIntervalThatIsNotPositive() {
        assertThatThrownBy(() -> CanaryWriter.builder(store, timeline).interval(Duration.ZERO))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("interval must be positive, but was PT0S");
    }

    @Test
    void writesForRealOnItsOwnThreadUntilStopped() throws Exception {
        RecoveryTimeline real = RecoveryTimeline.start();
        CanaryWriter writer = CanaryWriter.builder(store, real).name("real").interval(ms(1)).build();
        CountDownLatch fiveWrites = store.expectWrites(5);

        writer.start();
        assertThat(fiveWrites.await(30, TimeUnit.SECONDS)).isTrue();
        writer.stop();
        long acknowledged = writer.acknowledged();
        real.mark(Milestone.DISRUPTION);

        assertThat(acknowledged).isGreaterThanOrEqualTo(5);
        assertThat(store.sequences()).hasSize((int) acknowledged);
        CanaryResult result = writer.assess();
        assertThat(result.lostRecords()).isZero();
        assertThat(result.rpo()).isPresent();
        assertThatThrownBy(writer::start).isInstanceOf(IllegalStateException.class);
        writer.close();   // stopping again is harmless
    }

    @Test
    void refusesToAssessWhileStillWriting() throws Exception {
        CanaryWriter writer = CanaryWriter.builder(store, RecoveryTimeline.start()).interval(ms(1)).build();
        CountDownLatch firstWrite = store.expectWrites(1);
        writer.start();
        try {
            assertThat(firstWrite.await(30, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(writer::assess)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("Canary 'canary' is still writing: stop() it before assessing");
        } finally {
            writer.stop();
        }
    }

    private List<CanaryRecord> readBack() {
        try {
            return List.copyOf(store.readAll());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
