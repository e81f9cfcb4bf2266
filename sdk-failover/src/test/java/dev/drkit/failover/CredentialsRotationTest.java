package dev.drkit.failover;

import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.DatabaseCredentials;
import dev.drkit.core.secret.Secret;
import dev.drkit.failover.drill.WriteLoad;
import dev.drkit.failover.micrometer.FailoverMetrics;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.ReplicationMode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.drkit.failover.FailoverTest.awaitAckAfter;
import static dev.drkit.failover.FailoverTest.awaitAcks;
import static org.assertj.core.api.Assertions.assertThat;

/** Credentials that rotate (a new role each time, as Vault's database engine does) around a failover. */
class CredentialsRotationTest {

    @Test
    void rotationBeforeAndAfterAFailoverKeepsWritesGoing() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.SYNC)) {
            servers.primary.execute(WriteLoad.CREATE);
            RotatingRoles roles = new RotatingRoles();
            roles.rotate(servers.primary);
            FailoverDataSource dataSource = servers.dataSource(b -> b.credentials(roles));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new FailoverMetrics(dataSource).bindTo(registry);
            WriteLoad load = new WriteLoad(dataSource, 2, Duration.ofMillis(20), Duration.ofMillis(250));
            load.start();
            awaitAcks(load, 20);

            roles.rotate(servers.primary);
            awaitUser(dataSource, roles.current().username());
            servers.replica.awaitReplay(servers.primary.currentLsn(), Duration.ofSeconds(10));
            servers.primary.kill9();
            Thread.sleep(500);
            servers.replica.promote();
            awaitAckAfter(load, System.nanoTime(), Duration.ofSeconds(10));
            roles.rotate(servers.replica);
            awaitUser(dataSource, roles.current().username());
            awaitAcks(load, load.acknowledged() + 20);
            load.stop();

            assertThat(roles.rotations.get()).isEqualTo(3);
            try (Connection c = servers.replica.connect()) {
                assertThat(load.lostOn(c)).isEmpty();
            }
            assertThat(registry.get("drkit.failover.failovers").functionCounter().count()).isEqualTo(1.0);
            assertThat(registry.get("drkit.failover.host.primary").tag("host", servers.replicaEndpoint().id())
                .gauge().value()).isEqualTo(1.0);
            assertThat(registry.get("drkit.failover.detect.time").timeGauge().value()).isPositive();
            // writes that asked for a connection during the outage waited for the new primary and got one
            assertThat(registry.get("drkit.failover.requests").tag("outcome", "delayed").functionCounter().count())
                .isPositive().isEqualTo((double) dataSource.stats().requestsDelayed());
        }
    }

    @Test
    void credentialsRotatedWhileThePrimaryIsDownAreTheOnlyOnesUsedOnTheNewPrimary() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.SYNC)) {
            servers.primary.execute(WriteLoad.CREATE);
            RotatingRoles roles = new RotatingRoles();
            roles.rotate(servers.primary);
            String before = roles.current().username();
            FailoverDataSource dataSource = servers.dataSource(b -> b.credentials(roles));
            WriteLoad load = new WriteLoad(dataSource, 2, Duration.ofMillis(20), Duration.ofMillis(250));
            load.start();
            awaitAcks(load, 20);
            // Issued before the crash (so the role reached the replica), handed out during the outage.
            DatabaseCredentials next = roles.issue(servers.primary);
            servers.replica.awaitReplay(servers.primary.currentLsn(), Duration.ofSeconds(10));

            servers.primary.kill9();
            roles.switchTo(next);
            Thread.sleep(500);
            servers.replica.promote();
            awaitAckAfter(load, System.nanoTime(), Duration.ofSeconds(10));
            // the old credentials are revoked: only a connection still logged in with them could use them
            servers.replica.execute("ALTER ROLE " + before + " NOLOGIN");
            awaitAcks(load, load.acknowledged() + 20);
            load.stop();

            // A pool connection that was logging in with the old credentials while they rotated joins its pool after
            // the rotation's eviction; the second eviction retires it once such logins are over (connectTimeoutSeconds
            // later). Any other session with the old role would stay, and fail this.
            String oldSessions = "SELECT count(*) FROM pg_stat_activity WHERE usename = '" + before + "'";
            long deadline = System.nanoTime()
                + Duration.ofSeconds(dataSource.config().connectTimeoutSeconds() + 10L).toNanos();
            while (servers.replica.queryLong(oldSessions) != 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(servers.replica.queryLong(oldSessions))
                .as("sessions on the new primary with the credentials rotated away").isZero();
            assertThat(servers.replica.queryLong("SELECT count(*) FROM pg_stat_activity WHERE usename = '"
                + next.username() + "'")).as("sessions with the current credentials").isPositive();
            awaitUser(dataSource, next.username());
            try (Connection c = servers.replica.connect()) {
                assertThat(load.lostOn(c)).isEmpty();
            }
        }
    }

    static void awaitUser(FailoverDataSource dataSource, String user) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            String seen;
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT session_user")) {
                r.next();
                seen = r.getString(1);
                if (seen.equals(user)) {
                    return;
                }
            }
            assertThat(System.nanoTime()).as("connections log in as " + user + ", not " + seen).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Creates a new login role on the primary for each rotation; old roles stay valid, as leases do. */
    static final class RotatingRoles implements CredentialsSource {
        final AtomicInteger rotations = new AtomicInteger();
        private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
        private volatile DatabaseCredentials current;

        void rotate(PgCluster primary) {
            switchTo(issue(primary));
        }

        /** A new login role on {@code primary}, not handed out yet. */
        DatabaseCredentials issue(PgCluster primary) {
            String user = "app_" + rotations.incrementAndGet();
            String password = UUID.randomUUID().toString();
            primary.execute("CREATE ROLE " + user + " LOGIN SUPERUSER PASSWORD '" + password + "'");
            return DatabaseCredentials.of(user, Secret.ofString(password, user));
        }

        void switchTo(DatabaseCredentials credentials) {
            current = credentials;
            listeners.forEach(Runnable::run);
        }

        @Override
        public DatabaseCredentials current() {
            return current;
        }

        @Override
        public Registration onRotation(Runnable listener) {
            listeners.add(listener);
            return () -> listeners.remove(listener);
        }
    }
}
