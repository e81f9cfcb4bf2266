package dev.drkit.failover;

import dev.drkit.failover.drill.Freeze;
import dev.drkit.failover.drill.WriteLoad;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.ReplicationMode;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.drkit.failover.FailoverTest.awaitAckAfter;
import static dev.drkit.failover.FailoverTest.awaitAcks;
import static dev.drkit.failover.FailoverTest.awaitRole;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Hosts that accept TCP connections and never answer: a frozen primary, and a silent socket. */
class FreezeTest {

    @Test
    void frozenPrimaryIsDetectedWorkInFlightFailsAndWritesFollowThePromotion() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.SYNC)) {
            FailoverDataSource dataSource = servers.dataSource();
            servers.primary.execute(WriteLoad.CREATE);
            WriteLoad load = new WriteLoad(dataSource, 4, Duration.ofMillis(20), Duration.ofMillis(250));
            load.start();
            awaitAcks(load, 40);
            // A statement that is running when the host freezes: it must fail, not hang for TCP's timeouts.
            CompletableFuture<Throwable> inFlight = CompletableFuture.supplyAsync(() -> catchThrowable(() -> {
                try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                    s.execute("SELECT pg_sleep(60)");
                }
            }));
            Thread.sleep(200);
            long frozen = System.nanoTime();
            Freeze.freeze(servers.primary);
            try {
                awaitRole(dataSource, servers.primaryEndpoint(), HostRole.UNREACHABLE, Duration.ofSeconds(10));
                long detected = System.nanoTime() - frozen;
                assertThat(inFlight.get(10, TimeUnit.SECONDS)).isInstanceOf(SQLException.class);
                servers.replica.promote();
                awaitAckAfter(load, System.nanoTime(), Duration.ofSeconds(10));
                awaitAcks(load, load.acknowledged() + 20);
                load.stop();

                // A generous functional bound; the drill measures the real figure.
                assertThat(Duration.ofNanos(detected)).isLessThan(Duration.ofSeconds(5));
                assertThat(dataSource.topology().primary()).contains(servers.replicaEndpoint());
                try (Connection c = servers.replica.connect()) {
                    assertThat(load.lostOn(c)).isEmpty();
                }
            } finally {
                Freeze.thaw(servers.primary);
            }
            // Thawed, the old primary is a zombie on the old timeline.
            awaitRole(dataSource, servers.primaryEndpoint(), HostRole.FENCED, Duration.ofSeconds(10));
        }
    }

    @Test
    void silentHostDoesNotSlowTheOthers() throws Exception {
        try (SilentServer silent = new SilentServer();
             PgCluster primary = PgCluster.start(dev.drkit.postgres.PgClusterConfig.forTests().toBuilder()
                 .name("lonely").build());
             FailoverDataSource dataSource = FailoverDataSource.create(FailoverConfig.builder()
                 .endpoints(Endpoint.of(PgCluster.HOST, silent.port()), Endpoint.of(PgCluster.HOST, primary.port()))
                 .credentials(dev.drkit.core.secret.CredentialsSource.fixed(primary.superuser(),
                     primary.superuserPassword()))
                 .build())) {
            assertThat(dataSource.awaitPrimary(Duration.ofSeconds(10))).isTrue();
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                    s.execute("SELECT 1");
                }
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            awaitRole(dataSource, Endpoint.of(PgCluster.HOST, silent.port()), HostRole.UNREACHABLE,
                Duration.ofSeconds(5));
            assertThat(silent.accepted()).isGreaterThan(0);
            assertThat(dataSource.topology().host(Endpoint.of(PgCluster.HOST, silent.port())).orElseThrow()
                .lastFailure()).isNotEmpty();
        }
    }

    /** Accepts connections on 127.0.0.1 and never sends a byte. */
    static final class SilentServer implements AutoCloseable {
        private final ServerSocket socket;
        private final List<Socket> accepted = new ArrayList<>();
        private final Thread acceptor;

        SilentServer() throws Exception {
            socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            acceptor = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        synchronized (accepted) {
                            accepted.add(s);
                        }
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "silent-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        int accepted() {
            synchronized (accepted) {
                return accepted.size();
            }
        }

        @Override
        public void close() throws Exception {
            socket.close();
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
            acceptor.join(5000);
        }
    }
}
