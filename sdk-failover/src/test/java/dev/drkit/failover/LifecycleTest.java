package dev.drkit.failover;

import dev.drkit.postgres.ReplicationMode;
import dev.drkit.postgres.StopMode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import static dev.drkit.failover.FailoverTest.awaitRole;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** One pair of servers taken through a lagging replica, then all hosts down and one back, in that order. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LifecycleTest {

    static Servers servers;
    static FailoverDataSource dataSource;

    @BeforeAll
    static void start() {
        servers = Servers.start(ReplicationMode.ASYNC);
        dataSource = servers.dataSource(b -> b.maxReplicaLag(Duration.ofMillis(500)).primaryWait(Duration.ofSeconds(2)));
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    @Order(1)
    void replicaLaggingBeyondTheBoundGetsNoReadsUntilItCatchesUp() throws Exception {
        servers.primary.execute("CREATE TABLE ticks (v int)");
        awaitReadPort(servers.replica.port());
        servers.replica.execute("SELECT pg_wal_replay_pause()");
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            // Keep the primary writing so that the paused replica falls behind.
            while (readPort() != servers.primary.port()) {
                assertThat(System.nanoTime()).as("reads leave the lagging replica").isLessThan(deadline);
                servers.primary.execute("INSERT INTO ticks VALUES (1)");
                Thread.sleep(50);
            }
            assertThat(dataSource.topology().host(servers.replicaEndpoint()).orElseThrow().replicaLag())
                .hasValueSatisfying(lag -> assertThat(lag).isGreaterThan(Duration.ofMillis(500)));
        } finally {
            servers.replica.execute("SELECT pg_wal_replay_resume()");
        }
        awaitReadPort(servers.replica.port());
    }

    @Test
    @Order(2)
    void allHostsDownFailsWithNoPrimaryThenOneBackRecovers() throws Exception {
        servers.replica.stop(StopMode.FAST);
        servers.primary.stop(StopMode.IMMEDIATE);
        awaitRole(dataSource, servers.primaryEndpoint(), HostRole.UNREACHABLE, Duration.ofSeconds(10));

        NoPrimaryException failure = catchThrowableOfType(NoPrimaryException.class, dataSource::getConnection);
        assertThat(failure.getSQLState()).isEqualTo("08001");
        assertThat(failure.waited()).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(failure.context()).containsKeys("waitedMillis", "hosts");
        assertThat(failure.getMessage()).contains("'test'", servers.primaryEndpoint().id(), "UNREACHABLE")
            .doesNotContain(new String(servers.primary.superuserPassword().reveal()));
        assertThat(dataSource.stats().requestsFailed()).isGreaterThanOrEqualTo(1);

        servers.primary.start();
        try (Connection c = connectWithin(Duration.ofSeconds(20)); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("INSERT INTO ticks VALUES (2)")).isEqualTo(1);
        }
        assertThat(dataSource.topology().primary()).contains(servers.primaryEndpoint());
        assertThat(dataSource.stats().failovers()).isZero();
    }

    static Connection connectWithin(Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try {
                return dataSource.getConnection();
            } catch (NoPrimaryException e) {
                assertThat(System.nanoTime()).as("a primary is back").isLessThan(deadline);
            }
        }
    }

    static int readPort() throws SQLException {
        try (Connection c = dataSource.readOnly().getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT inet_server_port()")) {
            r.next();
            return r.getInt(1);
        }
    }

    static void awaitReadPort(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (readPort() != port) {
            assertThat(System.nanoTime()).as("reads go to port " + port + ": " + dataSource.topology())
                .isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
