package dev.drkit.failover.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.Secret;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;
import dev.drkit.failover.HostRole;
import dev.drkit.failover.HostState;
import dev.drkit.failover.event.FailoverEvent;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The topology monitor's decisions ({@link TopologyMonitor#evaluate(List, long)}) in hand-written sequences of
 * probe rounds over two hosts: the cases the random rounds of {@link TopologyMonitorProperties} are unlikely to
 * reach, such as long runs of rounds or a promoted host missing exactly one probe.
 */
class TopologyMonitorTest {

    static final Endpoint A = Endpoint.of("10.0.0.1", 5432);
    static final Endpoint B = Endpoint.of("10.0.0.2", 5432);
    static final long CLUSTER = 42;
    static final long STEP = TimeUnit.MILLISECONDS.toNanos(250);

    long now = TimeUnit.HOURS.toNanos(1);

    @Test
    void oldPrimaryStaysFencedWhenThePromotedHostMissesAProbeBeforeItIsConfirmed() {
        // given: A is the primary on timeline 1
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        round(monitor, primary(A, 100, 1), standby(B, 100, 1));
        round(monitor, primary(A, 200, 1), standby(B, 200, 1));
        assertThat(monitor.primary()).isEqualTo(A);
        // when: B is promoted to timeline 2, then its next probe times out while A still claims timeline 1
        round(monitor, primary(A, 300, 1), primary(B, 300, 2));
        assertThat(monitor.primary()).isNull();
        round(monitor, primary(A, 400, 1), timedOut(B));
        round(monitor, primary(A, 500, 1), timedOut(B));
        // then: nothing goes to A, and B is elected once confirmed
        assertThat(monitor.primary()).as("primary after timeline 2 was seen").isNull();
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.FENCED);
        round(monitor, primary(A, 600, 1), primary(B, 600, 2));
        round(monitor, primary(A, 700, 1), primary(B, 700, 2));
        assertThat(monitor.primary()).isEqualTo(B);
        assertThat(actions.elected).containsExactly(A, B);
        // and A is a standby again once it follows timeline 2
        round(monitor, standby(A, 700, 2), primary(B, 800, 2));
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.STANDBY);
        monitor.close();
    }

    @Test
    void olderTimelineStaysFencedBeforeTheFirstElectionWhenTheNewerHostMissesProbes() {
        // given: no primary known yet (a data source started after a failover); A claims timeline 1, B timeline 2
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        round(monitor, primary(A, 100, 1), primary(B, 100, 2));
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.FENCED);
        // when: B misses probes before it is confirmed, so nothing newer than A is seen in those rounds
        for (int i = 0; i < 5; i++) {
            round(monitor, primary(A, 200 + i, 1), timedOut(B));
        }
        // then: A stays fenced and is not elected
        assertThat(monitor.primary()).isNull();
        assertThat(actions.elected).isEmpty();
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.FENCED);
        assertThat(actions.fencedBecause.get(A)).contains("timeline 1", B.id(), "timeline 2", "no primary elected yet");
        // and B is elected once confirmed
        round(monitor, primary(A, 300, 1), primary(B, 300, 2));
        round(monitor, primary(A, 400, 1), primary(B, 400, 2));
        assertThat(actions.elected).containsExactly(B);
        monitor.close();
    }

    @Test
    void primaryOnAnOlderTimelineThanAStandbyIsNotElected() {
        // given: no primary known yet; B is a standby that followed a promotion to timeline 2 (whose primary is
        // not answering), A an old primary on timeline 1
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        // when: B's restartpoint is still on timeline 1 but its WAL receiver receives timeline 2
        round(monitor, primary(A, 100, 1), standby(B, 100, 1, 2));
        // then
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.FENCED);
        assertThat(actions.fencedBecause.get(A)).contains(B.id(), "was a standby on timeline 2");
        // and A stays refused when B's receiver stops (its restartpoint has not reached timeline 2)
        for (int i = 0; i < 5; i++) {
            round(monitor, primary(A, 200 + i, 1), standby(B, 100, 1, 0));
        }
        assertThat(monitor.primary()).isNull();
        assertThat(actions.elected).isEmpty();
        monitor.close();
    }

    @Test
    void primaryIsLostAndFencedWhenAStandbyShowsANewerTimeline() {
        // given: A is the primary on timeline 1, B its standby
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        round(monitor, primary(A, 100, 1), standby(B, 100, 1));
        round(monitor, primary(A, 200, 1), standby(B, 200, 1));
        assertThat(monitor.primary()).isEqualTo(A);
        // when: B follows a promotion to timeline 2 of a host the data source does not reach
        round(monitor, primary(A, 300, 1), standby(B, 300, 2, 2));
        // then
        assertThat(monitor.primary()).isNull();
        assertThat(actions.lost).containsExactly(A);
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.FENCED);
        monitor.close();
    }

    @Test
    void hostsOfTwoClustersClaimingPrimaryBeforeAnyElectionGetNoWrites() {
        // given: no primary known yet; B is of another cluster (a wrong address in the configuration)
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        // when: both claim primary, B on a newer timeline
        for (int i = 0; i < 5; i++) {
            round(monitor, primary(A, 100 + i, 1), primaryOf(B, 100 + i, 2, CLUSTER + 1));
        }
        // then: a timeline of one cluster says nothing about another's; neither is elected
        assertThat(monitor.primary()).isNull();
        assertThat(actions.elected).isEmpty();
        // and once B is gone, A is elected
        round(monitor, primary(A, 200, 1), timedOut(B));
        round(monitor, primary(A, 300, 1), timedOut(B));
        assertThat(actions.elected).containsExactly(A);
        monitor.close();
    }

    @Test
    void aLoneHostOfAnotherClusterIsNeverElectedWhenTheClusterIsConfigured() {
        // given: the data source is told which cluster to write to; at start only B answers, and it is of another
        // cluster (the host list points at a scratch copy promoted in a drill)
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(config(Duration.ofSeconds(2)).systemIdentifier(CLUSTER).build(), actions);
        // when
        for (int i = 0; i < 5; i++) {
            round(monitor, timedOut(A), primaryOf(B, 100 + i, 2, CLUSTER + 1));
        }
        // then: nothing is elected, B is fenced and says why
        assertThat(monitor.primary()).isNull();
        assertThat(actions.elected).isEmpty();
        assertThat(monitor.topology().host(B).orElseThrow().role()).isEqualTo(HostRole.FENCED);
        assertThat(actions.fencedBecause.get(B)).contains("another cluster", Long.toString(CLUSTER));
        // and the right cluster's primary is elected once it answers
        round(monitor, primary(A, 200, 1), primaryOf(B, 200, 2, CLUSTER + 1));
        round(monitor, primary(A, 300, 1), primaryOf(B, 300, 2, CLUSTER + 1));
        assertThat(actions.elected).containsExactly(A);
        monitor.close();
    }

    @Test
    void withoutTheClusterConfiguredTheFirstPrimaryElectedDecidesIt() {
        // the same start without systemIdentifier: B, the only host answering, is elected (what the option is for)
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        for (int i = 0; i < 5; i++) {
            round(monitor, timedOut(A), primaryOf(B, 100 + i, 2, CLUSTER + 1));
        }
        assertThat(actions.elected).containsExactly(B);
        // and from then on the other cluster (A's) is refused
        round(monitor, primary(A, 200, 1), primaryOf(B, 200, 2, CLUSTER + 1));
        assertThat(actions.fencedBecause.get(A)).contains("another cluster");
        monitor.close();
    }

    @Test
    void aStandbyOfAnotherClusterTakesNoReadsHoweverCloseItsWalPosition() {
        // given: A is the primary; B is a standby of another cluster on the same timeline, at the same position
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        for (int i = 1; i <= 5; i++) {
            round(monitor, primary(A, 1_000L * i, 1), standbyOf(B, 1_000L * i, 1, CLUSTER + 1));
        }
        // then: it is no replica of A
        assertThat(monitor.primary()).isEqualTo(A);
        assertThat(actions.readers).isEmpty();
        assertThat(monitor.topology().host(B).orElseThrow().replicaLag()).isEmpty();
        monitor.close();
    }

    @Test
    void oldPrimaryIsElectedAgainOnlyOnceTheTimelinesAreForgottenAndNoHostShowsTheNewerOne() {
        // given: A is the primary on timeline 1; B is promoted to timeline 2 and elected; A is fenced
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        round(monitor, primary(A, 100, 1), standby(B, 100, 1));
        round(monitor, primary(A, 200, 1), standby(B, 200, 1));
        round(monitor, primary(A, 300, 1), primary(B, 300, 2));
        round(monitor, primary(A, 400, 1), primary(B, 400, 2));
        assertThat(actions.elected).containsExactly(A, B);
        // when: the promotion is undone; B is stopped, so it is lost, and A is the primary again on timeline 1
        for (int i = 0; i < 3; i++) {
            round(monitor, primary(A, 500 + i, 1), timedOut(B));
        }
        for (int i = 0; i < 5; i++) {
            round(monitor, primary(A, 600 + i, 1), timedOut(B));
        }
        // then: A stays fenced until the operator says so
        assertThat(monitor.primary()).isNull();
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.FENCED);
        // and forgetting while B still shows timeline 2 (started again, not rebuilt yet) changes nothing
        monitor.forgetTimelines();
        round(monitor, primary(A, 700, 1), standby(B, 700, 2));
        round(monitor, primary(A, 800, 1), standby(B, 800, 2));
        round(monitor, primary(A, 900, 1), standby(B, 900, 2));
        assertThat(monitor.primary()).isNull();
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.FENCED);
        // and once B is rebuilt as A's standby on timeline 1, forgetting lets A be elected after its confirmations
        round(monitor, primary(A, 1_000, 1), standby(B, 1_000, 1));
        assertThat(monitor.primary()).isNull();
        monitor.forgetTimelines();
        round(monitor, primary(A, 1_100, 1), standby(B, 1_100, 1));
        assertThat(monitor.primary()).as("after one probe").isNull();
        round(monitor, primary(A, 1_200, 1), standby(B, 1_200, 1));
        assertThat(monitor.primary()).isEqualTo(A);
        assertThat(actions.elected).containsExactly(A, B, A);
        monitor.close();
    }

    @Test
    void lagBoundLongerThanTheSampleWindowIsNeverExceeded() {
        // given: a 5 minute bound, probes every 250 ms, B replays nothing from the start
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofMinutes(5), actions);
        long stuck = 1_000_000;
        long wal = stuck;
        long start = now;
        // when: 400 s pass
        while (now - start < TimeUnit.SECONDS.toNanos(400)) {
            wal += 1_000;
            round(monitor, STEP, primary(A, wal, 1), standby(B, stuck, 1));
        }
        // then
        assertThat(monitor.topology().host(B).orElseThrow().replicaLag())
            .hasValueSatisfying(lag -> assertThat(lag).isGreaterThan(Duration.ofMinutes(5)));
        assertThat(actions.readers).doesNotContain(B);
        monitor.close();
    }

    @Test
    void aStandbyFarBehindTakesNoReadsRightAfterTheElection() {
        // given: B's replay is far behind A from the first round, when A's WAL positions start being sampled
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(60), actions);
        long behind = 1_000;
        long wal = 100_000_000;
        // when: A is elected (two confirmations), well within the 60 s bound of the first sample
        round(monitor, primary(A, wal, 1), standby(B, behind, 1));
        round(monitor, primary(A, wal, 1), standby(B, behind, 1));
        // then
        assertThat(monitor.topology().primary()).hasValue(A);
        assertThat(actions.readers).doesNotContain(B);
        // and once B has replayed past a sampled position it takes reads
        wal += 1_000;
        round(monitor, primary(A, wal, 1), standby(B, wal, 1));
        assertThat(actions.readers).containsExactly(B);
        monitor.close();
    }

    @Test
    void burstOfBackToBackRoundsKeepsAStuckStandbyBeyondTheDefaultBound() {
        // given: B has replayed nothing for 10 s of rounds at the default interval
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        long stuck = 1_000_000;
        long wal = stuck;
        for (int i = 0; i < 40; i++) {
            wal += 1_000;
            round(monitor, STEP, primary(A, wal, 1), standby(B, stuck, 1));
        }
        assertThat(actions.readers).doesNotContain(B);
        // when: rounds come back to back, 2 ms apart, as they do while callers report connection failures
        for (int i = 0; i < 600; i++) {
            wal += 1_000;
            round(monitor, TimeUnit.MILLISECONDS.toNanos(2), primary(A, wal, 1), standby(B, stuck, 1));
        }
        // then
        assertThat(monitor.topology().host(B).orElseThrow().replicaLag())
            .hasValueSatisfying(lag -> assertThat(lag).isGreaterThan(Duration.ofSeconds(2)));
        assertThat(actions.readers).doesNotContain(B);
        // and once B catches up it takes reads again, though not every round added a sample
        wal += 1_000;
        round(monitor, TimeUnit.MILLISECONDS.toNanos(2), primary(A, wal, 1), standby(B, wal, 1));
        assertThat(actions.readers).containsExactly(B);
        monitor.close();
    }

    @Test
    void aStandbyLeavingAndRejoiningTheReadersByItsLagIsPublished() {
        List<FailoverEvent> events = new ArrayList<>();
        Recorder actions = new Recorder();
        FailoverConfig config = config(Duration.ofSeconds(2)).build();
        TopologyMonitor monitor = new TopologyMonitor(config, actions, events::add,
            new FailoverCounters(config.endpoints()));
        long wal = 1_000_000;
        round(monitor, primary(A, wal, 1), standby(B, wal, 1));
        round(monitor, primary(A, wal, 1), standby(B, wal, 1));
        assertThat(actions.readers).containsExactly(B);
        // B replays nothing for 10 s while A writes
        long stuck = wal;
        for (int i = 0; i < 10; i++) {
            wal += 1_000;
            round(monitor, TimeUnit.SECONDS.toNanos(1), primary(A, wal, 1), standby(B, stuck, 1));
        }
        assertThat(actions.readers).isEmpty();
        round(monitor, primary(A, wal, 1), standby(B, wal, 1));
        assertThat(actions.readers).containsExactly(B);

        List<String> reads = events.stream()
            .filter(e -> e.type() == FailoverEvent.Type.HOST_CHANGED && e.endpoint().equals(B))
            .map(FailoverEvent::detail).filter(d -> d.startsWith("STANDBY takes")).toList();
        assertThat(reads).hasSize(3);
        assertThat(reads.get(0)).startsWith("STANDBY takes reads: lag 0 ms, within the bound of 2000 ms");
        assertThat(reads.get(1)).startsWith("STANDBY takes no reads: lag ").endsWith("over the bound of 2000 ms");
        assertThat(reads.get(2)).startsWith("STANDBY takes reads: lag 0 ms");
        monitor.close();
    }

    @Test
    void probesFartherApartThanTheSampleWindowStillSeeAStuckStandby() {
        // given: a 2 s bound (samples kept 6 s) and rounds 10 s apart
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        long stuck = 1_000_000;
        long wal = stuck;
        // when: B replays nothing
        for (int i = 0; i < 5; i++) {
            wal += 1_000;
            round(monitor, TimeUnit.SECONDS.toNanos(10), primary(A, wal, 1), standby(B, stuck, 1));
        }
        // then
        assertThat(monitor.topology().host(B).orElseThrow().replicaLag())
            .hasValueSatisfying(lag -> assertThat(lag).isGreaterThanOrEqualTo(Duration.ofSeconds(10)));
        assertThat(actions.readers).doesNotContain(B);
        monitor.close();
    }

    @Test
    void standbyOnThePrimarysTimelineWithinTheBoundTakesReads() {
        // given: A is the primary on timeline 2, B a standby whose restartpoint and receiver are on timeline 2
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        // when: B has replayed all the primary wrote
        round(monitor, primary(A, 1_000, 2), standby(B, 1_000, 2, 2));
        round(monitor, primary(A, 2_000, 2), standby(B, 2_000, 2, 2));
        // then
        assertThat(actions.readers).containsExactly(B);
        HostState b = monitor.topology().host(B).orElseThrow();
        assertThat(b.timeline()).isEqualTo(2);
        assertThat(b.replicaLag()).contains(Duration.ZERO);
        monitor.close();
    }

    @Test
    void standbyOnAnOlderTimelineTakesNoReadsHoweverSmallItsLag() {
        // given: A is the primary on timeline 2; B is the old primary restarted as a standby without pg_rewind:
        // still on timeline 1, its replay stopped at WAL past the fork point, which is ahead of the quiet primary
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        captureLog();
        try {
            // when
            for (int i = 0; i < 20; i++) {
                round(monitor, primary(A, 1_000, 2), standby(B, 5_000, 1, 1));
            }
            // then: no reads, no lag, and one WARN, not one per probe
            assertThat(monitor.topology().host(B).orElseThrow().role()).isEqualTo(HostRole.STANDBY);
            assertThat(actions.readers).isEmpty();
            HostState b = monitor.topology().host(B).orElseThrow();
            assertThat(b.timeline()).isEqualTo(1);
            assertThat(b.replicaLag()).isEmpty();
            List<String> aboutB = warnings().stream().filter(w -> w.contains(B.id())).toList();
            assertThat(aboutB).hasSize(1);
            assertThat(aboutB.get(0)).contains("timeline 1", "timeline 2");
            // and once it follows timeline 2 (rebuilt), it takes reads again
            round(monitor, primary(A, 6_000, 2), standby(B, 6_000, 2, 2));
            assertThat(actions.readers).containsExactly(B);
            assertThat(monitor.topology().host(B).orElseThrow().replicaLag()).contains(Duration.ZERO);
        } finally {
            stopCapturing();
            monitor.close();
        }
    }

    @Test
    void standbyReceivingThePrimarysTimelineBeforeItsRestartpointTakesReads() {
        // given: B followed A's promotion to timeline 2; its last restartpoint is still on timeline 1
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        // when
        round(monitor, primary(A, 1_000, 2), standby(B, 1_000, 1, 2));
        round(monitor, primary(A, 2_000, 2), standby(B, 2_000, 1, 2));
        // then
        assertThat(actions.readers).containsExactly(B);
        assertThat(monitor.topology().host(B).orElseThrow().timeline()).isEqualTo(2);
        // and without the receiver's timeline (a role without pg_read_all_stats) it waits for its restartpoint
        round(monitor, primary(A, 3_000, 2), standby(B, 3_000, 1, 0));
        assertThat(actions.readers).isEmpty();
        round(monitor, primary(A, 4_000, 2), standby(B, 4_000, 2, 0));
        assertThat(actions.readers).containsExactly(B);
        monitor.close();
    }

    @Test
    void thePrimaryAnsweringAsAnotherClusterIsLostAndFenced() {
        // given: A is the primary of the configured cluster
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(config(Duration.ofSeconds(2)).systemIdentifier(CLUSTER).build(), actions);
        round(monitor, primary(A, 100, 1), standby(B, 100, 1));
        round(monitor, primary(A, 200, 1), standby(B, 200, 1));
        assertThat(monitor.primary()).isEqualTo(A);
        // when: A's address now leads to another cluster (a DNS name or VIP moved, the host rebuilt), after one miss
        round(monitor, timedOut(A), standby(B, 200, 1));
        round(monitor, primaryOf(A, 10, 1, CLUSTER + 1), standby(B, 200, 1));
        // then
        assertThat(monitor.primary()).isNull();
        assertThat(actions.lost).containsExactly(A);
        assertThat(actions.fencedBecause.get(A)).contains("another cluster", Long.toString(CLUSTER + 1));
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.FENCED);
        for (int i = 0; i < 5; i++) {
            round(monitor, primaryOf(A, 20 + i, 1, CLUSTER + 1), standby(B, 200, 1));
        }
        assertThat(actions.elected).containsExactly(A);
        monitor.close();
    }

    @Test
    void thePrimaryAnsweringOnAnOlderTimelineIsLostAndFenced() {
        // given: A is the primary on timeline 2
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        round(monitor, primary(A, 100, 2), standby(B, 100, 2));
        round(monitor, primary(A, 200, 2), standby(B, 200, 2));
        assertThat(monitor.primary()).isEqualTo(A);
        // when: A's address answers with an older primary of the same cluster (a reverted VM snapshot, a name moved
        // to the old primary) while B is down, so no other host shows the newer timeline this round
        round(monitor, timedOut(A), timedOut(B));
        round(monitor, primary(A, 150, 1), timedOut(B));
        // then
        assertThat(monitor.primary()).isNull();
        assertThat(actions.lost).containsExactly(A);
        assertThat(actions.fencedBecause.get(A)).contains("older timeline 1", "2");
        for (int i = 0; i < 5; i++) {
            round(monitor, primary(A, 160 + i, 1), timedOut(B));
        }
        assertThat(actions.elected).containsExactly(A);
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.FENCED);
        monitor.close();
    }

    @Test
    void aSplitBrainElectsNoneUntilTheRivalIsUnreachableForFailAfterProbes() {
        // given: both claim primary on timeline 2 of the same cluster (two standbys promoted)
        List<FailoverEvent> events = new ArrayList<>();
        Recorder actions = new Recorder();
        FailoverConfig config = config(Duration.ofSeconds(2)).build();
        TopologyMonitor monitor = new TopologyMonitor(config, actions, events::add,
            new FailoverCounters(config.endpoints()));
        captureLog();
        try {
            for (int i = 0; i < 10; i++) {
                round(monitor, primary(A, 100 + i, 2), primary(B, 100 + i, 2));
            }
            // then: none is elected, one event and one WARN say so, and the exception would name it
            assertThat(monitor.primary()).isNull();
            assertThat(events).filteredOn(e -> e.type() == FailoverEvent.Type.SPLIT_BRAIN).hasSize(1)
                .first().satisfies(e -> assertThat(e.detail()).contains("split brain", A.id(), B.id(), "timeline 2"));
            assertThat(warnings().stream().filter(w -> w.contains("claim primary")).count()).isEqualTo(1);
            assertThat(monitor.rivalry()).contains("split brain");
            assertThat(new dev.drkit.failover.NoPrimaryException("monitor", Duration.ofSeconds(15),
                monitor.topology().hosts(), monitor.rivalry(), null).getMessage())
                .contains("has no primary after 15000 ms: split brain: " + A.id() + " and " + B.id());
            // when: B misses one probe, then two more, then claims again
            round(monitor, primary(A, 200, 2), timedOut(B));
            assertThat(actions.elected).as("after one missed probe of B").isEmpty();
            round(monitor, primary(A, 300, 2), primary(B, 300, 2));
            round(monitor, primary(A, 400, 2), timedOut(B));
            round(monitor, primary(A, 500, 2), timedOut(B));
            assertThat(actions.elected).as("B missed %s probes", 2).isEmpty();
            round(monitor, primary(A, 600, 2), timedOut(B));
            // then: A is elected once B has failed failAfter probes in a row
            assertThat(actions.elected).containsExactly(A);
            assertThat(monitor.rivalry()).isNull();
            assertThat(events).filteredOn(e -> e.type() == FailoverEvent.Type.SPLIT_BRAIN).hasSize(1);
        } finally {
            stopCapturing();
            monitor.close();
        }
    }

    @Test
    void aSplitBrainEndsAtOnceWhenTheRivalIsInRecovery() {
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        round(monitor, primary(A, 100, 2), primary(B, 100, 2));
        round(monitor, primary(A, 200, 2), primary(B, 200, 2));
        // B is demoted (restarted as a standby): A needs its own confirmations, nothing more
        round(monitor, primary(A, 300, 2), standby(B, 200, 2));
        assertThat(actions.elected).isEmpty();
        round(monitor, primary(A, 400, 2), standby(B, 200, 2));
        assertThat(actions.elected).containsExactly(A);
        monitor.close();
    }

    @Test
    void aPrimaryRefusingTheProbeForWantOfConnectionsOrCredentialsIsKept() throws Exception {
        // given: A is the primary
        Recorder actions = new Recorder();
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        round(monitor, primary(A, 100, 1), standby(B, 100, 1));
        round(monitor, primary(A, 200, 1), standby(B, 200, 1));
        // when: the probe's credentials source throws (a secret store down): the host itself was not even tried
        FailoverConfig broken = config(Duration.ofSeconds(2)).credentials(new CredentialsSource() {
            @Override
            public dev.drkit.core.secret.DatabaseCredentials current() {
                throw new IllegalStateException("vault sealed");
            }
        }).build();
        ProbeResult refused;
        try (HostProbe probe = new HostProbe(Endpoint.of("127.0.0.1", 1), broken)) {
            refused = probe.start().get(10, TimeUnit.SECONDS);
        }
        assertThat(refused.ok()).isFalse();
        assertThat(refused.reachable()).as("not dead").isTrue();
        assertThat(refused.failure()).contains("credentials", "IllegalStateException").doesNotContain("vault sealed");
        // and too many connections (SQLSTATE 53300) is an answer too
        assertThat(HostProbe.answered("53300")).isTrue();
        assertThat(HostProbe.answered("53200")).isTrue();
        assertThat(HostProbe.answered("08001")).isFalse();
        captureLog();
        try {
            for (int i = 0; i < 10; i++) {
                round(monitor, nanos -> new ProbeResult(A, false, true, false, -1, 0, 0, 0, -1, false,
                    "PSQLException (53300)", nanos), standby(B, 200, 1));
            }
            // then: kept, with one WARN
            assertThat(monitor.primary()).isEqualTo(A);
            assertThat(actions.lost).isEmpty();
            assertThat(warnings()).filteredOn(w -> w.contains("kept as the primary")).hasSize(1);
        } finally {
            stopCapturing();
            monitor.close();
        }
    }

    @Test
    void suspicionsComeToAtMostOneRoundPerFastProbeInterval() throws Exception {
        // given: a monitor over two closed ports (every probe fails at once), rounds 200 ms apart
        int[] ports = new int[2];
        for (int i = 0; i < 2; i++) {
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
                ports[i] = socket.getLocalPort();
            }
        }
        FailoverConfig config = config(Duration.ofSeconds(2)).endpoints(Endpoint.of("127.0.0.1", ports[0]),
                Endpoint.of("127.0.0.1", ports[1])).probeInterval(Duration.ofMillis(200))
            .fastProbeInterval(Duration.ofMillis(200)).build();
        java.util.concurrent.atomic.AtomicInteger marks = new java.util.concurrent.atomic.AtomicInteger();
        Recorder actions = new Recorder() {
            @Override
            public long useMark(Endpoint endpoint) {
                marks.incrementAndGet();
                return 0;
            }
        };
        try (TopologyMonitor monitor = new TopologyMonitor(config, actions, e -> { },
            new FailoverCounters(config.endpoints()))) {
            monitor.start();
            Thread.sleep(300);
            // when: callers report connection failures without pause for 2 s
            int before = marks.get();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < end) {
                monitor.suspect();
            }
            int rounds = (marks.get() - before) / 2;
            // then: about one round per 200 ms, not one after another
            assertThat(rounds).isBetween(5, 13);
        }
    }

    @Test
    void lossesCountTheDetectTimeFromTheLastProbeThatSawThePrimaryAndEventsShowTheNewRoles() {
        List<FailoverEvent> events = new ArrayList<>();
        Recorder actions = new Recorder();
        FailoverConfig config = config(Duration.ofSeconds(2)).build();
        FailoverCounters counters = new FailoverCounters(config.endpoints());
        TopologyMonitor monitor = new TopologyMonitor(config, actions, events::add, counters);
        round(monitor, primary(A, 100, 1), standby(B, 100, 1));
        round(monitor, primary(A, 200, 1), standby(B, 200, 1));
        // when: one probe of A fails, and 2 s later it is back, as a standby (restarted in recovery)
        round(monitor, timedOut(A), standby(B, 200, 1));
        round(monitor, TimeUnit.SECONDS.toNanos(2), standby(A, 200, 1), standby(B, 200, 1));
        // then: detected 2.25 s after the last probe that saw A as primary, not 0 after the one that saw it a standby
        assertThat(counters.snapshot().lastTimeToDetect()).hasValue(Duration.ofMillis(2250));
        FailoverEvent elected = events.stream().filter(e -> e.type() == FailoverEvent.Type.PRIMARY_ELECTED)
            .findFirst().orElseThrow();
        assertThat(elected.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.PRIMARY);
        FailoverEvent lost = events.stream().filter(e -> e.type() == FailoverEvent.Type.PRIMARY_LOST)
            .findFirst().orElseThrow();
        assertThat(lost.elapsed()).hasValue(Duration.ofMillis(2250));
        assertThat(lost.topology().primary()).isEmpty();
        assertThat(lost.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.STANDBY);
        monitor.close();
    }

    @Test
    void aHostWhosePoolCannotOpenDoesNotCutTheRoundShort() {
        // given: A's pool cannot be opened (the data source throws when told A is healthy)
        Recorder actions = new Recorder();
        actions.poolFails.add(A);
        TopologyMonitor monitor = monitor(Duration.ofSeconds(2), actions);
        // when: A is a standby, checked before B, the primary
        round(monitor, standby(A, 100, 1), primary(B, 100, 1));
        round(monitor, standby(A, 200, 1), primary(B, 200, 1));
        // then: the round went on past A
        assertThat(monitor.primary()).isEqualTo(B);
        assertThat(monitor.topology().host(B).orElseThrow().role()).isEqualTo(HostRole.PRIMARY);
        assertThat(monitor.topology().host(A).orElseThrow().role()).isEqualTo(HostRole.STANDBY);
        assertThat(actions.readers).containsExactly(A);
        monitor.close();
    }

    @Test
    void theProbesLoginWaitsAsLongAsTheProbeTimeoutAllows() throws Exception {
        // given: a server that accepts connections and never answers, and a probe timeout of 2.5 s
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) {
            List<java.net.Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (java.io.IOException ignored) {
                    // closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            FailoverConfig config = config(Duration.ofSeconds(2)).probeTimeout(Duration.ofMillis(2500)).build();
            // when
            long start = System.nanoTime();
            ProbeResult result;
            try (HostProbe probe = new HostProbe(Endpoint.of("127.0.0.1", silent.getLocalPort()), config)) {
                result = probe.start().get(30, TimeUnit.SECONDS);
            }
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            // then: pgjdbc's timeouts (whole seconds) are the probe timeout rounded up: 3 s, not a fixed 1 s
            assertThat(result.ok()).isFalse();
            assertThat(took).isBetween(2_500L, 10_000L);
            assertThat(HostProbe.timeoutSeconds(Duration.ofMillis(300))).isEqualTo(1);
            assertThat(HostProbe.timeoutSeconds(Duration.ofMillis(2001))).isEqualTo(3);
            for (java.net.Socket s : accepted) {
                s.close();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    void captureLog() {
        appender.start();
        ((Logger) LoggerFactory.getLogger(TopologyMonitor.class)).addAppender(appender);
    }

    /** The monitor's WARN lines since {@link #captureLog()}, as formatted. */
    List<String> warnings() {
        return appender.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
            .toList();
    }

    void stopCapturing() {
        ((Logger) LoggerFactory.getLogger(TopologyMonitor.class)).detachAppender(appender);
        appender.stop();
    }

    static TopologyMonitor monitor(Duration maxLag, Recorder actions) {
        return monitor(config(maxLag).build(), actions);
    }

    static FailoverConfig.Builder config(Duration maxLag) {
        return FailoverConfig.builder().name("monitor").endpoints(A, B)
            .credentials(CredentialsSource.fixed("app", Secret.ofString("not-used-here", "password")))
            .failAfter(3).confirmations(2).maxReplicaLag(maxLag);
    }

    static TopologyMonitor monitor(FailoverConfig config, Recorder actions) {
        return new TopologyMonitor(config, actions, event -> { }, new FailoverCounters(config.endpoints()));
    }

    /** One round {@link #STEP} after the last; the results are made at the round's time. */
    void round(TopologyMonitor monitor, Result a, Result b) {
        round(monitor, STEP, a, b);
    }

    void round(TopologyMonitor monitor, long step, Result a, Result b) {
        now += step;
        monitor.evaluate(List.of(a.at(now), b.at(now)), now);
    }

    interface Result {
        ProbeResult at(long nanos);
    }

    static Result primary(Endpoint e, long wal, int timeline) {
        return primaryOf(e, wal, timeline, CLUSTER);
    }

    static Result primaryOf(Endpoint e, long wal, int timeline, long systemId) {
        return nanos -> new ProbeResult(e, true, true, false, wal, timeline, 0, systemId, wal, false, "", nanos);
    }

    /** A standby whose WAL receiver's timeline is not known (none runs, or the probe may not see it). */
    static Result standby(Endpoint e, long wal, int timeline) {
        return standby(e, wal, timeline, 0);
    }

    /** A standby whose last restartpoint is on {@code timeline}, receiving {@code received} (0: not known). */
    static Result standby(Endpoint e, long wal, int timeline, int received) {
        return nanos -> new ProbeResult(e, true, true, true, wal, timeline, received, CLUSTER, wal, false, "", nanos);
    }

    static Result standbyOf(Endpoint e, long wal, int timeline, long systemId) {
        return nanos -> new ProbeResult(e, true, true, true, wal, timeline, timeline, systemId, wal, false, "", nanos);
    }

    static Result timedOut(Endpoint e) {
        return nanos -> new ProbeResult(e, false, false, false, -1, 0, 0, 0, -1, false, "no answer within 1000 ms", nanos);
    }

    static class Recorder implements TopologyMonitor.Actions {
        final List<Endpoint> elected = new ArrayList<>();
        final List<Endpoint> lost = new ArrayList<>();
        final Map<Endpoint, String> fencedBecause = new HashMap<>();
        List<Endpoint> readers = List.of();

        @Override
        public void primaryLost(Endpoint endpoint, String why) {
            lost.add(endpoint);
        }

        @Override
        public void primaryElected(Endpoint endpoint) {
            elected.add(endpoint);
        }

        @Override
        public void fenced(Endpoint endpoint, String why) {
            fencedBecause.put(endpoint, why);
        }

        /** Hosts whose pool cannot be opened: {@link #healthy} throws for them, as HikariCP would. */
        final java.util.Set<Endpoint> poolFails = new java.util.HashSet<>();

        @Override
        public void healthy(Endpoint endpoint) {
            if (poolFails.contains(endpoint)) {
                throw new IllegalStateException("pool of " + endpoint.id() + " cannot be opened");
            }
        }

        @Override
        public void unreachable(Endpoint endpoint, String why) {
        }

        @Override
        public void readersChanged(List<Endpoint> now) {
            readers = List.copyOf(now);
        }

        /** Work handed to each host's connections, as the data source would count it: none unless a test says. */
        final Map<Endpoint, Long> useMarks = new HashMap<>();

        @Override
        public long useMark(Endpoint endpoint) {
            return useMarks.getOrDefault(endpoint, 0L);
        }
    }
}
