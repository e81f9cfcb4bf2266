package dev.drkit.postgres;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's quick start, compiled and run. */
class QuickStartTest {

    @Test
    void quickStartFromTheReadmeWorks() {
        // tag::quick-start[]
        PgClusterConfig config = PgClusterConfig.forTests().toBuilder().name("orders").build();
        try (PgCluster primary = PgCluster.start(config);                  // initdb + start on 127.0.0.1
             PgCluster replica = primary.createReplica(ReplicaOptions.sync("orders-standby"))) {
            primary.execute("CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)");
            replica.awaitReplay(primary.currentLsn(), Duration.ofSeconds(10));
            long seen = replica.queryLong("SELECT count(*) FROM orders");  // 1

            primary.kill9();                                                // crash the primary
            replica.promote();                                              // timeline 1 -> 2
            replica.execute("INSERT INTO orders VALUES (2)");
            // end::quick-start[]
            assertThat(seen).isEqualTo(1);
            assertThat(replica.timeline()).isEqualTo(2);
            assertThat(replica.queryLong("SELECT count(*) FROM orders")).isEqualTo(2);
        }
    }
}
