package dev.drkit.failover;

import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.ReplicaOptions;
import dev.drkit.postgres.ReplicationMode;
import dev.drkit.postgres.StopMode;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import static dev.drkit.failover.FailoverTest.awaitPrimary;
import static dev.drkit.failover.FailoverTest.awaitRole;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * After a failover, read-only work goes only to standbys on the new primary's timeline. The replica is promoted
 * while the old primary still takes writes, which reach no other host; the old primary is then restarted as a
 * standby of the new one without pg_rewind. It cannot follow timeline 2, stays at WAL past the fork point and
 * serves rows the new primary never had; that position is ahead of the quiet new primary, so by its lag alone it
 * looks caught up. A second standby, cascading from the replica, follows the promotion: it receives timeline 2 at
 * once, while its last restartpoint stays on timeline 1 until the next one.
 */
class DivergedStandbyTest {

    static final String TABLE = "diverged";
    static final int ROWS = 10;

    @Test
    void divergedOldPrimaryGetsNoReadsAndAStandbyFollowingThePromotionDoes() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC)) {
            // given: the old primary, the replica, and a standby cascading from the replica
            PgCluster follower = servers.replica.createReplica(ReplicaOptions.async("follower"));
            servers.track(follower);
            servers.primary.execute("CREATE ROLE plain LOGIN PASSWORD 'plain-password'");
            servers.primary.execute("CREATE TABLE " + TABLE + " (id int PRIMARY KEY)");
            servers.primary.execute("GRANT SELECT ON " + TABLE + " TO plain");
            servers.primary.execute("INSERT INTO " + TABLE + " SELECT generate_series(1, " + ROWS + ")");
            follower.awaitReplay(servers.primary.currentLsn(), Duration.ofSeconds(30));
            Endpoint oldPrimary = servers.primaryEndpoint();
            Endpoint promoted = servers.replicaEndpoint();
            Endpoint following = Endpoint.of(PgCluster.HOST, follower.port());
            FailoverDataSource dataSource = servers.dataSource(b -> b.endpoints(oldPrimary, promoted, following));

            // when: the replica is promoted; the old primary takes writes nobody else gets, and comes back as a
            // standby of the new primary
            servers.replica.promote();
            awaitPrimary(dataSource, promoted, Duration.ofSeconds(15));
            servers.primary.execute("INSERT INTO " + TABLE + " SELECT generate_series(" + (ROWS + 1) + ", 20000)");
            servers.primary.stop(StopMode.FAST);
            FailoverTest.followAsStandby(servers.primary, servers.replica);
            servers.primary.start();
            assertThat(servers.primary.isInRecovery()).isTrue();
            awaitRole(dataSource, oldPrimary, HostRole.STANDBY, Duration.ofSeconds(20));

            // then: reads go to the follower, never to the old primary
            awaitReadsOn(dataSource, follower.port(), Duration.ofSeconds(15));
            assertReadsNeverOn(dataSource, servers.primary.port());
            Topology topology = dataSource.topology();
            HostState old = topology.host(oldPrimary).orElseThrow();
            assertThat(old.role()).isEqualTo(HostRole.STANDBY);
            assertThat(old.timeline()).isEqualTo(1);
            assertThat(old.replicaLag()).as("lag of a standby on another timeline").isEmpty();
            HostState follows = topology.host(following).orElseThrow();
            assertThat(follows.timeline()).isEqualTo(2);
            assertThat(follows.replicaLag()).isPresent();
            // Its restartpoint is still on timeline 1 (the next is checkpoint_timeout away): the receiver's
            // timeline is what made it eligible.
            assertThat(follower.timeline()).as("timeline of the follower's last restartpoint").isEqualTo(1);
            // What reads on the old primary would have seen:
            assertThat(servers.primary.queryLong("SELECT count(*) FROM " + TABLE)).isEqualTo(20_000);
            assertThat(servers.replica.queryLong("SELECT count(*) FROM " + TABLE)).isEqualTo(ROWS);

            // and: a role without pg_read_all_stats does not see the receiver's timeline, so the follower takes
            // reads only once its restartpoint reaches timeline 2; until then they go to the primary
            FailoverDataSource plain = servers.dataSource(b -> b.name("plain").endpoints(oldPrimary, promoted, following)
                .credentials(CredentialsSource.fixed("plain", Secret.ofString("plain-password", "password"))));
            awaitRole(plain, following, HostRole.STANDBY, Duration.ofSeconds(10));
            awaitRole(plain, oldPrimary, HostRole.STANDBY, Duration.ofSeconds(10));
            for (int i = 0; i < 10; i++) {
                assertThat(readOnce(plain)).as("server of read %d", i).isEqualTo(servers.replica.port());
            }
            assertThat(plain.topology().host(following).orElseThrow().replicaLag()).isEmpty();
            follower.execute("CHECKPOINT");
            assertThat(follower.timeline()).as("timeline of the follower's restartpoint").isEqualTo(2);
            awaitReadsOn(plain, follower.port(), Duration.ofSeconds(10));
            assertReadsNeverOn(plain, servers.primary.port());
        }
    }

    /** Reads until one is served by the server on {@code port}. */
    static void awaitReadsOn(FailoverDataSource dataSource, int port, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (readOnce(dataSource) != port) {
            assertThat(System.nanoTime()).as("a read on port " + port + ": " + dataSource.topology())
                .isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Forty reads: none on {@code port}, and each sees only the rows the new primary has. */
    static void assertReadsNeverOn(FailoverDataSource dataSource, int port) throws Exception {
        for (int i = 0; i < 40; i++) {
            try (Connection c = dataSource.readOnly().getConnection(); Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT inet_server_port(), (SELECT count(*) FROM " + TABLE + ")")) {
                r.next();
                assertThat(r.getInt(1)).as("server of read %d: %s", i, dataSource.topology()).isNotEqualTo(port);
                assertThat(r.getLong(2)).as("rows seen by read %d", i).isEqualTo(ROWS);
            }
        }
    }

    static int readOnce(FailoverDataSource dataSource) throws Exception {
        try (Connection c = dataSource.readOnly().getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT inet_server_port()")) {
            r.next();
            return r.getInt(1);
        }
    }
}
