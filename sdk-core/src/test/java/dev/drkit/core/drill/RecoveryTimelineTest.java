package dev.drkit.core.drill;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.drkit.core.drill.FakeTime.EPOCH;
import static dev.drkit.core.drill.FakeTime.ms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecoveryTimelineTest {

    final FakeTime time = new FakeTime();

    @Test
    void recordsMarksOnTheTickerWithWallClockInstants() {
        time.advance(ms(500));
        RecoveryTimeline timeline = time.timeline();
        time.advance(Duration.ofSeconds(10));

        RecoveryTimeline.Mark disruption = timeline.mark(Milestone.DISRUPTION);

        assertThat(timeline.startedAt()).isEqualTo(EPOCH.plusMillis(500));
        assertThat(disruption.name()).isEqualTo("disruption");
        assertThat(disruption.offset()).isEqualTo(Duration.ofSeconds(10));
        assertThat(disruption.at()).isEqualTo(EPOCH.plusMillis(10_500));
        assertThat(timeline.find(Milestone.DISRUPTION)).containsSame(disruption);
        assertThat(timeline.elapsed()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void measuresDurationsBetweenMarks() {
        RecoveryTimeline timeline = time.timeline();
        time.advance(Duration.ofSeconds(10));
        timeline.mark(Milestone.DISRUPTION);
        time.advance(ms(1500));
        timeline.mark(Milestone.DETECTION);
        time.advance(ms(700));
        timeline.mark(Milestone.ACTION);
        timeline.mark("dns-updated");

        assertThat(timeline.between(Milestone.DISRUPTION, Milestone.DETECTION)).contains(ms(1500));
        assertThat(timeline.between(Milestone.DISRUPTION, Milestone.ACTION)).contains(ms(2200));
        assertThat(timeline.between(Milestone.ACTION, Milestone.DISRUPTION)).contains(ms(-2200));
        assertThat(timeline.between("disruption", "dns-updated")).contains(ms(2200));
        assertThat(timeline.between(Milestone.DISRUPTION, Milestone.VERIFIED_RECOVERY)).isEmpty();
    }

    @Test
    void durationsIgnoreTheWallClockBeingStepped() {
        RecoveryTimeline timeline = RecoveryTimeline.start(time.ticker, java.time.Clock.fixed(EPOCH, java.time.ZoneOffset.UTC));
        timeline.mark(Milestone.DISRUPTION);
        time.advance(ms(250));
        timeline.mark(Milestone.ACTION);

        assertThat(timeline.between(Milestone.DISRUPTION, Milestone.ACTION)).contains(ms(250));
    }

    @Test
    void backDatesAMarkByTheMonotonicDistance() {
        RecoveryTimeline timeline = time.timeline();
        time.advance(Duration.ofSeconds(12));
        long firstPass = time.ticker.nanos();
        time.advance(ms(500));

        RecoveryTimeline.Mark mark = timeline.markAt(Milestone.FIRST_SUCCESS, firstPass);

        assertThat(mark.offset()).isEqualTo(Duration.ofSeconds(12));
        assertThat(mark.at()).isEqualTo(EPOCH.plusSeconds(12));
        assertThat(mark.tickerNanos()).isEqualTo(firstPass);
    }

    @Test
    void refusesToBackDateIntoTheFutureOrBeforeTheStart() {
        time.advance(Duration.ofSeconds(1));
        RecoveryTimeline timeline = time.timeline();
        long now = time.ticker.nanos();

        assertThatThrownBy(() -> timeline.markAt("x", now + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> timeline.markAt("x", now - 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void marksEachNameOnce() {
        RecoveryTimeline timeline = time.timeline();
        timeline.mark(Milestone.DISRUPTION);

        assertThatThrownBy(() -> timeline.mark(Milestone.DISRUPTION))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith("Timeline already has a mark 'disruption'");
        assertThatThrownBy(() -> timeline.mark("disruption")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rejectsNamesThatWouldNotPrintOnOneLine() {
        RecoveryTimeline timeline = time.timeline();

        assertThatThrownBy(() -> timeline.mark(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> timeline.mark("a\nb")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> timeline.mark("x".repeat(101))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void listsMarksEarliestFirst() {
        RecoveryTimeline timeline = time.timeline();
        time.advance(Duration.ofSeconds(1));
        long early = time.ticker.nanos();
        time.advance(Duration.ofSeconds(1));
        timeline.mark(Milestone.DISRUPTION);
        timeline.markAt("earlier", early);

        assertThat(timeline.marks()).extracting(RecoveryTimeline.Mark::name).containsExactly("earlier", "disruption");
        assertThat(timeline).hasToString("RecoveryTimeline[started 2026-11-23T10:00:00Z, earlier +1.000 s, disruption +2.000 s]");
    }
}
