package dev.drkit.failover;

import dev.drkit.failover.event.FailoverEvent;
import dev.drkit.failover.internal.IdleConnectionCheck;
import dev.drkit.failover.micrometer.FailoverMetrics;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ReplicationMode;
import dev.drkit.postgres.StopMode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A pooled connection whose backend died while it sat idle in the pool (the primary crashed) is never handed out:
 * the borrower waits for the new primary instead of sending its statement to a dead backend, even before the
 * topology monitor has probed the crashed host.
 */
class DeadIdleConnectionTest {

    /** HikariCP validates a connection idle longer than this on borrow; here never, so only drkit's check acts. */
    private static final String ALIVE_BYPASS = "com.zaxxer.hikari.aliveBypassWindowMs";
    private static final String TABLE = "borrowed_after_crash";

    private String bypassBefore;

    @BeforeEach
    void hikariNeverValidatesOnBorrow() {
        bypassBefore = System.getProperty(ALIVE_BYPASS);
        System.setProperty(ALIVE_BYPASS, Long.toString(TimeUnit.HOURS.toMillis(1)));
    }

    @AfterEach
    void restoreHikari() {
        if (bypassBefore == null) {
            System.clearProperty(ALIVE_BYPASS);
        } else {
            System.setProperty(ALIVE_BYPASS, bypassBefore);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"immediate", "kill9"})
    void connectionBorrowedAfterACrashWaitsForThePromotionInsteadOfFailing(String crash) throws Exception {
        assertThat(IdleConnectionCheck.enabled()).as("the check works with this HikariCP and pgjdbc").isTrue();
        try (Servers servers = Servers.start(ReplicationMode.SYNC)) {
            // Probes a minute apart: only the borrow itself can notice the crash in time.
            FailoverDataSource dataSource = servers.dataSource(b -> b.probeInterval(Duration.ofSeconds(60)));
            List<FailoverEvent> events = new CopyOnWriteArrayList<>();
            dataSource.addListener(events::add);
            servers.primary.execute("CREATE TABLE " + TABLE + " (id int PRIMARY KEY)");
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO " + TABLE + " VALUES (1)");
            }
            // The monitor probes fast for 3 s after a topology change (the election); after that, a minute apart.
            Thread.sleep(3500);

            if (crash.equals("immediate")) {
                servers.primary.stop(StopMode.IMMEDIATE);
            } else {
                servers.primary.kill9();
            }
            assertThat(dataSource.topology().primary()).as("not yet detected by a probe")
                .contains(servers.primaryEndpoint());
            CompletableFuture<Void> promotion = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                servers.replica.promote();
            });

            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                assertThat(s.executeUpdate("INSERT INTO " + TABLE + " VALUES (2)")).isEqualTo(1);
                try (ResultSet rs = s.executeQuery("SELECT inet_server_port(), pg_is_in_recovery()")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).as("the promoted replica's port").isEqualTo(servers.replica.port());
                    assertThat(rs.getBoolean(2)).isFalse();
                }
            }
            promotion.get(30, TimeUnit.SECONDS);

            assertThat(servers.replica.queryLong("SELECT count(*) FROM " + TABLE)).isEqualTo(2);
            assertThat(dataSource.stats().requestsFailed()).isZero();
            assertThat(dataSource.stats().requestsDelayed()).isEqualTo(1);
            assertThat(events).extracting(FailoverEvent::type)
                .containsSubsequence(FailoverEvent.Type.PRIMARY_LOST, FailoverEvent.Type.PRIMARY_ELECTED);
        }
    }

    @Test
    void connectionWhoseBackendWasTerminatedWhileIdleIsEvictedCountedAndReplacedByOneThatWorks() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC)) {
            FailoverDataSource dataSource = servers.dataSource(b -> b.maximumPoolSize(1));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new FailoverMetrics(dataSource).bindTo(registry);
            List<FailoverEvent> events = new CopyOnWriteArrayList<>();
            dataSource.addListener(events::add);
            Endpoint primary = servers.primaryEndpoint();

            IdleBackend idle = terminateIdleBackend(servers, dataSource);
            Connection physical = idle.physical();
            int backend = idle.pid();

            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).as("a new backend").isNotEqualTo(backend);
            }

            assertThat(dataSource.stats().evictedOnBorrow()).containsEntry(primary, 1L)
                .containsEntry(servers.replicaEndpoint(), 0L);
            assertThat(registry.get("drkit.failover.connections.evicted").tag("host", primary.id())
                .functionCounter().count()).isEqualTo(1.0);
            assertThat(registry.get("drkit.failover.connections.evicted").tag("host", servers.replicaEndpoint().id())
                .functionCounter().count()).isZero();
            assertThat(dataSource.stats().requestsFailed()).isZero();
            // Events come on the monitor thread, after the probe round it was in.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (events.stream().noneMatch(e -> e.type() == FailoverEvent.Type.CONNECTION_EVICTED)
                && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(events).filteredOn(e -> e.type() == FailoverEvent.Type.CONNECTION_EVICTED)
                .singleElement().satisfies(e -> {
                    assertThat(e.endpoint()).isEqualTo(primary);
                    assertThat(e.detail()).contains("evicted");
                });
            assertThat(dataSource.topology().primary()).as("a terminated backend is not a lost primary")
                .contains(primary);
        }
    }

    @Test
    void withTheCheckOffAConnectionWhoseBackendWasTerminatedWhileIdleIsHandedOutAndFailsOnUse() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC)) {
            FailoverDataSource dataSource = servers.dataSource(b -> b.maximumPoolSize(1).idleConnectionCheck(false));
            IdleBackend idle = terminateIdleBackend(servers, dataSource);
            Connection physical = idle.physical();
            int backend = idle.pid();

            try (Connection c = dataSource.getConnection()) {
                assertThat(c.unwrap(PGConnection.class)).as("the dead connection, handed out as it was")
                    .isSameAs(physical);
                assertThatThrownBy(() -> {
                    try (Statement s = c.createStatement()) {
                        s.executeQuery("SELECT 1");
                    }
                }).isInstanceOf(SQLException.class);
            }
            assertThat(dataSource.stats().evictedOnBorrow()).containsEntry(servers.primaryEndpoint(), 0L);
        }
    }

    @Test
    void idleConnectionWithAPendingNotificationIsValidatedKeptAndKeepsTheNotification() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC)) {
            FailoverDataSource dataSource = servers.dataSource(b -> b.maximumPoolSize(1));
            Object physical;
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.execute("LISTEN drkit_test");
                physical = c.unwrap(PGConnection.class);
            }
            try (Connection other = servers.primary.connect(); Statement s = other.createStatement()) {
                s.execute("NOTIFY drkit_test, 'hello'");
            }
            Thread.sleep(100);

            try (Connection c = dataSource.getConnection()) {
                assertThat(c.unwrap(PGConnection.class)).as("the same connection, not evicted").isSameAs(physical);
                assertThat(IdleConnectionCheck.waitingBytes(c)).as("read by the validation on borrow").isZero();
                PGNotification[] notifications = c.unwrap(PGConnection.class).getNotifications();
                assertThat(notifications).extracting(PGNotification::getParameter).containsExactly("hello");
            }
            assertThat(dataSource.stats().requestsDelayed()).isZero();
        }
    }

    @Test
    void waitingBytesSeesWhatTheServerSentAndNothingElse() throws SQLException {
        try (PgCluster cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("pending").build());
             Connection listener = cluster.connect();
             Statement s = listener.createStatement()) {
            s.execute("LISTEN drkit_test");
            assertThat(IdleConnectionCheck.waitingBytes(listener)).isZero();
            cluster.execute("NOTIFY drkit_test, 'hello'");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (IdleConnectionCheck.waitingBytes(listener) == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(IdleConnectionCheck.waitingBytes(listener)).isPositive();
            assertThat(listener.unwrap(PGConnection.class).getNotifications()).hasSize(1);
            assertThat(IdleConnectionCheck.waitingBytes(listener)).isZero();
        }
    }

    private record IdleBackend(Connection physical, int pid) {
    }

    /**
     * Borrows and returns one connection, then terminates its backend from another session: the backend sends
     * FATAL 57P01 on its idle connection and exits. Returns once those last words wait on the connection.
     */
    private static IdleBackend terminateIdleBackend(Servers servers, FailoverDataSource dataSource) throws Exception {
        Connection physical;
        int backend;
        try (Connection c = dataSource.getConnection()) {
            physical = (Connection) c.unwrap(PGConnection.class);
            backend = c.unwrap(PGConnection.class).getBackendPID();
        }
        assertThat(servers.primary.queryLong("SELECT pg_terminate_backend(" + backend + ", 10000)::int"))
            .as("terminated").isEqualTo(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (IdleConnectionCheck.waitingBytes(physical) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(IdleConnectionCheck.waitingBytes(physical)).as("the backend's last words").isNotZero();
        return new IdleBackend(physical, backend);
    }
}
