package dev.drkit.failover;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.drkit.failover.event.FailoverEvent;
import dev.drkit.failover.internal.TopologyMonitor;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.ReplicaOptions;
import dev.drkit.postgres.ReplicationMode;
import dev.drkit.postgres.StopMode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.drkit.failover.FailoverTest.awaitPrimary;
import static dev.drkit.failover.FailoverTest.awaitRole;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A data source that starts after a failover, with no memory of the cluster: the primary crashed, the replica was
 * promoted to timeline 2, and the old primary was restarted as a primary on timeline 1 (a zombie). Whatever the
 * data source sees first, it never hands writes to the zombie once anything it can see proves it stale.
 */
class ZombieAtStartTest {

    static final String TABLE = "zombie_at_start";

    // The first rounds may run before a listener is added; the monitor's log lines are captured from the start.
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger monitorLog = (Logger) LoggerFactory.getLogger(TopologyMonitor.class);

    @BeforeEach
    void captureLog() {
        log.setContext(monitorLog.getLoggerContext());
        log.start();
        monitorLog.addAppender(log);
    }

    @AfterEach
    void release() {
        monitorLog.detachAppender(log);
        log.stop();
    }

    /** The monitor's WARN lines that mention {@code text}. */
    List<String> warnings(String text) {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
            .filter(m -> m.contains(text)).toList();
    }

    @Test
    void zombieSeenBesideThePromotedHostStaysFencedWhileThePromotedHostIsDown() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC)) {
            // given: the zombie and the promoted host both claim primary
            zombie(servers);
            List<FailoverEvent> events = new CopyOnWriteArrayList<>();
            // Many confirmations: the promoted host is stopped after the first probes, before it is elected.
            FailoverDataSource dataSource = start(servers, events, b -> b.confirmations(60)
                .endpoints(servers.primaryEndpoint(), servers.replicaEndpoint()));
            awaitRole(dataSource, servers.primaryEndpoint(), HostRole.FENCED, Duration.ofSeconds(10));

            // when: the promoted host goes away before it is confirmed
            servers.replica.stop(StopMode.FAST);

            // then: the zombie gets no writes, however many times it claims primary alone
            assertThatThrownBy(() -> write(dataSource, 1)).isInstanceOf(NoPrimaryException.class);
            Thread.sleep(6_000);
            assertThat(dataSource.topology().primary()).as("primary: %s", dataSource.topology()).isEmpty();
            assertThat(dataSource.topology().host(servers.primaryEndpoint()).orElseThrow().role())
                .isEqualTo(HostRole.FENCED);
            // and once the promoted host is back it is the primary
            servers.replica.start();
            awaitPrimary(dataSource, servers.replicaEndpoint(), Duration.ofSeconds(20));
            write(dataSource, 2);
            assertThat(servers.replica.queryLong("SELECT count(*) FROM " + TABLE)).isEqualTo(1);
            assertThat(servers.primary.queryLong("SELECT count(*) FROM " + TABLE)).isZero();
            assertThat(elected(events)).containsExactly(servers.replicaEndpoint());
        }
    }

    @Test
    void zombieIsRefusedWhenAStandbyIsOnTheNewerTimelineAndThePromotedHostIsDown() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC)) {
            // given: a standby cascading from the replica follows its promotion and has a restartpoint on timeline
            // 2; the zombie claims primary on timeline 1 and the promoted host is down
            PgCluster follower = servers.replica.createReplica(ReplicaOptions.async("follower"));
            servers.track(follower);
            zombie(servers, follower);
            follower.execute("CHECKPOINT");
            assertThat(follower.timeline()).as("timeline of the follower's restartpoint").isEqualTo(2);
            servers.replica.stop(StopMode.FAST);
            Endpoint following = Endpoint.of(PgCluster.HOST, follower.port());

            // when: a data source starts over all three
            List<FailoverEvent> events = new CopyOnWriteArrayList<>();
            FailoverDataSource dataSource = start(servers, events,
                b -> b.endpoints(servers.primaryEndpoint(), servers.replicaEndpoint(), following));

            // then: the zombie is refused, and writes wait for the promoted host
            awaitRole(dataSource, servers.primaryEndpoint(), HostRole.FENCED, Duration.ofSeconds(10));
            assertThatThrownBy(() -> write(dataSource, 1)).isInstanceOf(NoPrimaryException.class);
            assertThat(dataSource.topology().primary()).as("primary: %s", dataSource.topology()).isEmpty();
            assertThat(warnings("fencing " + servers.primaryEndpoint().id())).first().asString()
                .contains(following.id(), "timeline 2");
            // a listener given to create() sees the fence of the first rounds, before any election
            assertThat(events).filteredOn(e -> e.type() == FailoverEvent.Type.HOST_FENCED)
                .extracting(FailoverEvent::endpoint).first().isEqualTo(servers.primaryEndpoint());
            servers.replica.start();
            awaitPrimary(dataSource, servers.replicaEndpoint(), Duration.ofSeconds(20));
            write(dataSource, 2);
            assertThat(servers.primary.queryLong("SELECT count(*) FROM " + TABLE)).isZero();
            assertThat(elected(events)).containsExactly(servers.replicaEndpoint());
        }
    }

    @Test
    void loneZombieIsElectedWithAWarningAndFencedWhenThePromotedHostAnswers() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC)) {
            // given: the promoted host is down, so nothing the data source can see tells the zombie is one
            zombie(servers);
            servers.replica.stop(StopMode.FAST);
            List<FailoverEvent> events = new CopyOnWriteArrayList<>();
            FailoverDataSource dataSource = start(servers, events, b -> { });

            // when
            awaitPrimary(dataSource, servers.primaryEndpoint(), Duration.ofSeconds(10));

            // then: it is elected, saying that its timeline was not checked against the unreachable host
            assertThat(warnings(servers.primaryEndpoint().id() + " is the primary")).first().asString()
                .contains("timeline 1", "not checked against " + servers.replicaEndpoint().id(), "never answered");
            // and once the promoted host answers, the zombie is fenced and writes go to the promoted host
            servers.replica.start();
            awaitPrimary(dataSource, servers.replicaEndpoint(), Duration.ofSeconds(20));
            assertThat(dataSource.topology().host(servers.primaryEndpoint()).orElseThrow().role())
                .isEqualTo(HostRole.FENCED);
            write(dataSource, 1);
            assertThat(servers.replica.queryLong("SELECT count(*) FROM " + TABLE)).isEqualTo(1);
        }
    }

    /** Crashes the primary, promotes the replica, and starts the old primary again as a primary. */
    static void zombie(Servers servers, PgCluster... standbys) throws Exception {
        servers.primary.execute("CREATE TABLE " + TABLE + " (id int PRIMARY KEY)");
        for (PgCluster standby : standbys) {
            standby.awaitReplay(servers.primary.currentLsn(), Duration.ofSeconds(30));
        }
        servers.primary.kill9();
        servers.replica.promote();
        for (PgCluster standby : standbys) {
            standby.awaitReplay(servers.replica.currentLsn(), Duration.ofSeconds(30));
        }
        servers.primary.start();
        assertThat(servers.primary.isInRecovery()).isFalse();
        assertThat(servers.primary.timeline()).isEqualTo(1);
        assertThat(servers.replica.timeline()).isEqualTo(2);
    }

    static FailoverDataSource start(Servers servers, List<FailoverEvent> events,
                                    java.util.function.Consumer<FailoverConfig.Builder> adjust) {
        FailoverConfig.Builder builder = servers.config().primaryWait(Duration.ofSeconds(1));
        adjust.accept(builder);
        // the listener from the start: the first rounds' events are part of what the tests check
        FailoverDataSource dataSource = FailoverDataSource.create(builder.build(), events::add);
        servers.track(dataSource);
        return dataSource;
    }

    static List<Endpoint> elected(List<FailoverEvent> events) {
        return events.stream().filter(e -> e.type() == FailoverEvent.Type.PRIMARY_ELECTED).map(FailoverEvent::endpoint)
            .toList();
    }

    static void write(FailoverDataSource dataSource, int id) throws Exception {
        write(dataSource, TABLE, id);
    }

    static void write(FailoverDataSource dataSource, String table, int id) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO " + table + " (id) VALUES (" + id + ")");
        }
    }
}
