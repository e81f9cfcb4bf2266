package dev.drkit.failover;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.drkit.failover.drill.WriteLoad;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** How a write load stops when its writers wait for a connection that never comes. */
class WriteLoadStopTest {

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
