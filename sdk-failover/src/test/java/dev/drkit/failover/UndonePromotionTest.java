package dev.drkit.failover;

import dev.drkit.postgres.ReplicationMode;
import dev.drkit.postgres.StopMode;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.drkit.failover.FailoverTest.awaitPrimary;
import static dev.drkit.failover.FailoverTest.awaitRole;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A promotion by mistake, undone: the replica is promoted while the primary keeps running, then stopped, and the
 * primary on its older timeline is the cluster's primary again. drkit cannot tell that from a zombie: the old
 * primary stays fenced until the operator tells the data source to forget the newer timeline.
 */
class UndonePromotionTest {

    static final String TABLE = "undone";

    @Test
    void oldPrimaryStaysFencedUntilTheTimelinesAreForgotten() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC)) {
            // given: the data source followed the promotion of the replica to timeline 2
            servers.primary.execute("CREATE TABLE " + TABLE + " (id int PRIMARY KEY)");
            FailoverDataSource dataSource = servers.dataSource(b -> b.primaryWait(Duration.ofSeconds(1)));
            servers.replica.awaitReplay(servers.primary.currentLsn(), Duration.ofSeconds(30));
            servers.replica.promote();
            awaitPrimary(dataSource, servers.replicaEndpoint(), Duration.ofSeconds(15));
            awaitRole(dataSource, servers.primaryEndpoint(), HostRole.FENCED, Duration.ofSeconds(10));

            // when: the promotion is undone, the promoted host stopped; the old primary never stopped
            servers.replica.stop(StopMode.FAST);
            awaitRole(dataSource, servers.replicaEndpoint(), HostRole.UNREACHABLE, Duration.ofSeconds(10));

            // then: the old primary stays fenced, and writes wait for a primary that never comes
            Thread.sleep(2_000);
            assertThat(dataSource.topology().host(servers.primaryEndpoint()).orElseThrow().role())
                .isEqualTo(HostRole.FENCED);
            assertThatThrownBy(() -> ZombieAtStartTest.write(dataSource, TABLE, 1))
                .isInstanceOf(NoPrimaryException.class);
            // until the operator says the newer timeline is gone
            dataSource.forgetTimelines();
            awaitPrimary(dataSource, servers.primaryEndpoint(), Duration.ofSeconds(10));
            ZombieAtStartTest.write(dataSource, TABLE, 2);
            assertThat(servers.primary.queryLong("SELECT count(*) FROM " + TABLE + " WHERE id = 2")).isEqualTo(1);
            assertThat(servers.primary.timeline()).isEqualTo(1);
        }
    }
}
