package dev.drkit.failover;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.failover.drill.WriteLoad;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** How a write load stops when its writers wait for a connection that never comes, and what it records. */
class WriteLoadStopTest {

    @Test
    void eachAcknowledgementRecordsTheServerThatGaveIt() throws Exception {
        try (PgCluster server = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("acks").build())) {
            server.execute(WriteLoad.CREATE);
            long started = System.nanoTime();
            WriteLoad load;
            try (FailoverDataSource pool = FailoverDataSource.create(FailoverConfig.builder().name("acks")
                .endpoints(Endpoint.of(PgCluster.HOST, server.port()))
                .credentials(CredentialsSource.fixed(server.superuser(), server.superuserPassword())).build())) {
                assertThat(pool.awaitPrimary(Duration.ofSeconds(20))).isTrue();
                load = new WriteLoad(pool, 2, Duration.ofMillis(10), Duration.ofMillis(250));
                load.start();
                TimeUnit.MILLISECONDS.sleep(300);
                load.stop();
            }

            assertThat(load.acknowledged()).isPositive();
            assertThat(load.firstAckAtOrAfter(started, server.port())).isEqualTo(load.firstAckAtOrAfter(started));
            // after a promotion the drill asks for the new primary's first acknowledgement: none from elsewhere
            int elsewhere = server.port() == 1 ? 2 : 1;
            assertThat(load.firstAckAtOrAfter(started, elsewhere)).isEmpty();
            assertThat(load.acksAtOrAfterNotBy(started, server.port())).isZero();
            assertThat(load.acksAtOrAfterNotBy(started, elsewhere)).isEqualTo(load.acknowledged());
            assertThat(load.startedAt(1).orElseThrow() - started).as("when write 1 began").isPositive();
        }
    }

    @Test
    void writersWaitingForAConnectionAreInterruptedAfterTheGraceAndTheirWritesCountAsFailed() throws Exception {
        int refusing;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusing = socket.getLocalPort();
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + refusing + "/postgres");
        config.setUsername("nobody");
        config.setInitializationFailTimeout(-1);
        config.setConnectionTimeout(TimeUnit.SECONDS.toMillis(60));
        try (HikariDataSource pool = new HikariDataSource(config)) {
            WriteLoad load = new WriteLoad(pool, 2, Duration.ofMillis(50), Duration.ofMillis(250));
            load.start();
            TimeUnit.MILLISECONDS.sleep(300);
            assertThat(load.failed()).as("both writers still wait for a connection").isZero();

            load.stop(Duration.ofMillis(200));

            assertThat(load.failed()).as("each waiting write failed when interrupted, and was counted").isEqualTo(2);
            assertThat(load.acknowledged()).isZero();
        }
    }
}
