package dev.drkit.postgres;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A synchronous replica takes over from a crashed primary, with each way of copying the data. */
class FailoverTest {

    @ParameterizedTest
    @EnumSource(value = BaseBackupMethod.class, names = {"PG_BASEBACKUP", "LOW_LEVEL_API"})
    void synchronousReplicaHasEveryCommitAndTakesOverOnANewTimeline(BaseBackupMethod method) {
        if (method == BaseBackupMethod.PG_BASEBACKUP) {
            assumeTrue(PgBinaries.detect().hasTool("pg_basebackup"),
                "these PostgreSQL binaries have no pg_basebackup (the embedded ones do not)");
        }
        String suffix = method == BaseBackupMethod.PG_BASEBACKUP ? "pgbb" : "api";
        try (PgCluster primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("primary-" + suffix).build());
             PgCluster replica = primary.createReplica(ReplicaOptions.builder("replica-" + suffix)
                 .mode(ReplicationMode.SYNC).method(method).build())) {

            assertThat(primary.standbys()).singleElement().satisfies(s -> {
                assertThat(s.applicationName()).isEqualTo("replica-" + suffix);
                assertThat(s.isStreaming()).isTrue();
                assertThat(s.syncState()).isEqualTo("sync");
            });
            assertThat(replica.isInRecovery()).isTrue();
            assertThat(replica.systemIdentifier()).isEqualTo(primary.systemIdentifier());
            assertThat(replica.port()).isNotEqualTo(primary.port());

            primary.execute("CREATE TABLE orders (id int PRIMARY KEY, item text);"
                + " INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 100) g");
            replica.awaitReplay(primary.currentLsn(), Duration.ofSeconds(30));
            assertThat(replica.queryLong("SELECT count(*) FROM orders")).isEqualTo(100);
            int timelineBefore = primary.timeline();

            primary.stop(StopMode.IMMEDIATE);
            replica.promote();

            assertThat(replica.isInRecovery()).isFalse();
            assertThat(replica.timeline()).isEqualTo(timelineBefore + 1);
            replica.execute("INSERT INTO orders VALUES (101, 'after failover')");
            assertThat(replica.queryLong("SELECT count(*) FROM orders")).isEqualTo(101);
            assertThat(replica.queryValue("SHOW synchronous_standby_names")).contains("");
        }
    }
}
