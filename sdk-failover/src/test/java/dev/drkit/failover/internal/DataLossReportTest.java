package dev.drkit.failover.internal;

import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.Secret;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;
import dev.drkit.failover.event.FailoverEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * After a failover the monitor compares the old primary's flushed WAL with what the promoted host had received,
 * and says so when writes acknowledged under asynchronous replication may be lost.
 */
class DataLossReportTest {

    static final Endpoint OLD = Endpoint.of("10.0.0.1", 5432);
    static final Endpoint NEW = Endpoint.of("10.0.0.2", 5432);
    static final long CLUSTER = 42;

    private final List<FailoverEvent> events = new ArrayList<>();
    private final FailoverCounters counters = new FailoverCounters(List.of(OLD, NEW));
    private final TopologyMonitorTest.Recorder actions = new TopologyMonitorTest.Recorder();
    private final TopologyMonitor monitor = new TopologyMonitor(FailoverConfig.builder()
        .name("loss").endpoints(OLD, NEW)
        .credentials(CredentialsSource.fixed("app", Secret.ofString("unused-password", "password")))
        .confirmations(1).failAfter(1).build(), actions, events::add, counters);
    private long now = TimeUnit.HOURS.toNanos(1);

    @Test
    void walTheReplicaNeverReceivedUnderAsyncReplicationIsAPossibleDataLoss() {
        failOver(0x3000_0000L, 0x2F00_0000L, false);

        assertThat(events).extracting(FailoverEvent::type).containsSubsequence(FailoverEvent.Type.PRIMARY_ELECTED,
            FailoverEvent.Type.POSSIBLE_DATA_LOSS);
        FailoverEvent loss = events.get(events.size() - 1);
        assertThat(loss.type()).isEqualTo(FailoverEvent.Type.POSSIBLE_DATA_LOSS);
        assertThat(loss.endpoint()).isEqualTo(OLD);
        assertThat(loss.detail()).contains("flushed WAL up to 0/30000000").contains("received up to 0/2F000000")
            .contains(16_777_216 + " bytes").contains("acknowledged");
        assertThat(counters.snapshot().possibleDataLosses()).isEqualTo(1);
        assertThat(counters.snapshot().lastUnreplicatedBytes()).isEqualTo(16_777_216);
        monitor.close();
    }

    @Test
    void underSyncReplicationTheMissingWalIsCountedButNotAnAcknowledgedLoss() {
        failOver(0x3000_0000L, 0x2F00_0000L, true);

        assertThat(events).extracting(FailoverEvent::type).doesNotContain(FailoverEvent.Type.POSSIBLE_DATA_LOSS);
        assertThat(counters.snapshot().possibleDataLosses()).isZero();
        assertThat(counters.snapshot().lastUnreplicatedBytes()).isEqualTo(16_777_216);
        monitor.close();
    }

    @Test
    void aReplicaThatHadEverythingReportsNothing() {
        failOver(0x3000_0000L, 0x3000_0000L, false);

        assertThat(events).extracting(FailoverEvent::type).doesNotContain(FailoverEvent.Type.POSSIBLE_DATA_LOSS);
        assertThat(counters.snapshot().possibleDataLosses()).isZero();
        assertThat(counters.snapshot().lastUnreplicatedBytes()).isZero();
        assertThat(counters.snapshot().failovers()).isEqualTo(1);
        monitor.close();
    }

    @Test
    void workHandedToTheOldPrimaryAfterItsLastProbeIsAPossibleDataLossEvenWhenTheReplicaHadAllItShowed() {
        actions.useMarks.put(OLD, 7L);
        round(primary(OLD, 1, 0x3000_0000L, false), standby(NEW, 0x3000_0000L));
        // a connection handed out after that probe: its commit may be in WAL no probe saw
        actions.useMarks.put(OLD, 8L);
        round(ProbeResult.failed(OLD, false, "SocketException"), standby(NEW, 0x3000_0000L));
        round(ProbeResult.failed(OLD, false, "SocketException"), primary(NEW, 2, 0x3000_1000L, false));

        assertThat(monitor.primary()).isEqualTo(NEW);
        FailoverEvent loss = events.get(events.size() - 1);
        assertThat(loss.type()).isEqualTo(FailoverEvent.Type.POSSIBLE_DATA_LOSS);
        assertThat(loss.detail()).contains("the new primary had all of it")
            .contains("took work after that probe").contains("acknowledged in that window may be lost");
        assertThat(counters.snapshot().possibleDataLosses()).isEqualTo(1);
        assertThat(counters.snapshot().lastUnreplicatedBytes()).isZero();
        monitor.close();
    }

    @Test
    void aConnectionInUseWhenTheLastProbeWasSentIsAPossibleDataLoss() {
        actions.useMarks.put(OLD, -1L);
        failOver(0x3000_0000L, 0x3000_0000L, false);

        assertThat(events).extracting(FailoverEvent::type).contains(FailoverEvent.Type.POSSIBLE_DATA_LOSS);
        monitor.close();
    }

    @Test
    void workAfterTheLastProbeUnderSyncReplicationIsNoLoss() {
        actions.useMarks.put(OLD, -1L);
        failOver(0x3000_0000L, 0x3000_0000L, true);

        assertThat(events).extracting(FailoverEvent::type).doesNotContain(FailoverEvent.Type.POSSIBLE_DATA_LOSS);
        assertThat(counters.snapshot().possibleDataLosses()).isZero();
        monitor.close();
    }

    /** OLD primary (flushed {@code flushed}), NEW standby (received {@code received}); OLD dies, NEW promoted. */
    private void failOver(long flushed, long received, boolean synchronous) {
        round(primary(OLD, 1, flushed, synchronous), standby(NEW, received));
        assertThat(monitor.primary()).isEqualTo(OLD);
        round(ProbeResult.failed(OLD, false, "SocketException"), standby(NEW, received));
        assertThat(monitor.primary()).isNull();
        round(ProbeResult.failed(OLD, false, "SocketException"), primary(NEW, 2, received + 4096, false));
        assertThat(monitor.primary()).isEqualTo(NEW);
    }

    private void round(ProbeResult a, ProbeResult b) {
        now += TimeUnit.MILLISECONDS.toNanos(100);
        monitor.markUse();
        monitor.evaluate(List.of(a, b), now);
    }

    private ProbeResult primary(Endpoint e, int timeline, long flushed, boolean synchronous) {
        return new ProbeResult(e, true, true, false, flushed, timeline, 0, CLUSTER, flushed, synchronous, "", now);
    }

    private ProbeResult standby(Endpoint e, long received) {
        return new ProbeResult(e, true, true, true, received, 1, 0, CLUSTER, received, false, "", now);
    }
}
