package dev.drkit.failover;

import dev.drkit.failover.internal.RoutingConnection;
import dev.drkit.postgres.ReplicationMode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.management.ObjectName;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Routing on a healthy primary and async replica; the servers are shared, nothing here breaks them. */
class RoutingTest {

    static Servers servers;
    static FailoverDataSource dataSource;

    @BeforeAll
    static void start() {
        servers = Servers.start(ReplicationMode.ASYNC);
        dataSource = servers.dataSource();
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void findsThePrimaryWhateverTheOrderOfHosts() throws Exception {
        Topology topology = dataSource.topology();
        assertThat(topology.primary()).contains(servers.primaryEndpoint());
        assertThat(topology.host(servers.replicaEndpoint()).orElseThrow().role()).isEqualTo(HostRole.STANDBY);
        assertThat(topology.host(servers.primaryEndpoint()).orElseThrow().timeline()).isEqualTo(1);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT pg_is_in_recovery(), inet_server_port()")) {
            r.next();
            assertThat(r.getBoolean(1)).isFalse();
            assertThat(r.getInt(2)).isEqualTo(servers.primary.port());
        }
    }

    @Test
    void readOnlyWorkGoesToTheReplicaAndIsReadOnly() throws Exception {
        // The replica becomes eligible once the monitor has seen it caught up.
        awaitReaders();
        try (Connection c = dataSource.readOnly().getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT pg_is_in_recovery(), inet_server_port()")) {
            r.next();
            assertThat(r.getBoolean(1)).isTrue();
            assertThat(r.getInt(2)).isEqualTo(servers.replica.port());
            assertThat(c.isReadOnly()).isTrue();
        }
    }

    @Test
    void theRoutingViewSendsAConnectionMadeReadOnlyToTheReplicaAndTheOthersToThePrimary() throws Exception {
        awaitReaders();
        try (Connection c = dataSource.routing().getConnection()) {
            RoutingConnection routing = c.unwrap(RoutingConnection.class);
            c.setReadOnly(true);
            assertThat(routing.holdsPooledConnection()).as("nothing taken before the first statement").isFalse();
            assertThat(server(c)).isEqualTo("replica " + servers.replica.port());
            assertThat(c.isReadOnly()).isTrue();

            // between transactions: the replica's connection goes back, the next statement takes the primary's
            c.setReadOnly(false);
            assertThat(routing.holdsPooledConnection()).isFalse();
            assertThat(server(c)).isEqualTo("primary " + servers.primary.port());
            try (Statement s = c.createStatement()) {
                s.executeUpdate("CREATE TABLE IF NOT EXISTS routed (v int)");
            }
        }
        try (Connection c = dataSource.routing().getConnection()) {
            assertThat(server(c)).as("left alone: the primary").isEqualTo("primary " + servers.primary.port());
        }
    }

    @Test
    void aReadOnlyTransactionAsATransactionManagerRunsItGoesToTheReplica() throws Exception {
        awaitReaders();
        try (Connection c = dataSource.routing().getConnection()) {
            // the order of Spring's DataSourceTransactionManager: read-only, then auto-commit off, work, commit, reset
            c.setReadOnly(true);
            assertThat(c.getAutoCommit()).isTrue();
            c.setAutoCommit(false);
            assertThat(server(c)).isEqualTo("replica " + servers.replica.port());
            assertThat(c.getAutoCommit()).as("applied to the pooled connection").isFalse();
            c.commit();
            c.setAutoCommit(true);
            c.setReadOnly(false);
            assertThat(c.unwrap(RoutingConnection.class).holdsPooledConnection()).isFalse();
        }
    }

    @Test
    void readOnlyCannotChangeInsideATransactionAndTheWorkStaysWhereItBegan() throws Exception {
        try (Connection c = dataSource.routing().getConnection()) {
            c.setAutoCommit(false);
            assertThat(server(c)).isEqualTo("primary " + servers.primary.port());

            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> c.setReadOnly(true)))
                .isInstanceOf(SQLException.class);

            assertThat(server(c)).isEqualTo("primary " + servers.primary.port());
            c.rollback();
        }
    }

    @Test
    void aTransactionBegunInSqlWithAutoCommitOnKeepsItsConnection() throws Exception {
        awaitReaders();
        try (Connection c = dataSource.routing().getConnection(); Statement s = c.createStatement()) {
            assertThat(c.getAutoCommit()).isTrue();
            s.execute("BEGIN");
            s.executeUpdate("CREATE TABLE IF NOT EXISTS begun_in_sql (v int)");
            int backend = backendPid(c);

            // giving the connection back here would leave the transaction open in the pool and its work unfinished
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> c.setReadOnly(true)))
                .isInstanceOf(SQLException.class);
            assertThat(backendPid(c)).as("the same server session").isEqualTo(backend);
            assertThat(server(c)).isEqualTo("primary " + servers.primary.port());
            s.execute("ROLLBACK");
        }
    }

    private static int backendPid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
            r.next();
            return r.getInt(1);
        }
    }

    @Test
    void commitAndRollbackBeforeAnyStatementTakeNoConnection() throws Exception {
        Connection c = dataSource.routing().getConnection();
        c.setAutoCommit(false);
        c.commit();
        c.rollback();
        assertThat(c.unwrap(RoutingConnection.class).holdsPooledConnection()).isFalse();
        c.close();
        assertThat(c.isClosed()).isTrue();
        assertThat(org.assertj.core.api.Assertions.catchThrowable(c::createStatement))
            .isInstanceOf(SQLException.class).hasMessageContaining("closed");
    }

    /** "primary PORT" or "replica PORT": where a statement on {@code c} runs. */
    private static String server(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT pg_is_in_recovery(), inet_server_port()")) {
            r.next();
            return (r.getBoolean(1) ? "replica " : "primary ") + r.getInt(2);
        }
    }

    @Test
    void inTransactionCommitsAndRollsBack() throws Exception {
        dataSource.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                return s.executeUpdate("CREATE TABLE IF NOT EXISTS tx (v int)");
            }
        });
        dataSource.inTransaction(Retry.SAFE_TO_RETRY, c -> {
            try (Statement s = c.createStatement()) {
                return s.executeUpdate("INSERT INTO tx VALUES (1)");
            }
        });
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> dataSource.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO tx VALUES (2)");
                return s.executeUpdate("INSERT INTO no_such_table VALUES (3)");
            }
        }))).isInstanceOf(SQLException.class).isNotInstanceOf(FailoverSQLException.class);
        assertThat(servers.primary.queryLong("SELECT count(*) FROM tx")).isEqualTo(1);
    }

    @Test
    void aWriteInTheApplicationsOwnReadOnlyTransactionIsItsErrorNeitherRetriedNorALostPrimary() throws Exception {
        // 25006, as a demoted primary answers a write; here the primary is fine and the work itself is read-only
        AtomicInteger runs = new AtomicInteger();
        long lossesBefore = dataSource.stats().primaryLosses();

        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() ->
            dataSource.inTransaction(Retry.SAFE_TO_RETRY, c -> {
                runs.incrementAndGet();
                try (Statement s = c.createStatement()) {
                    s.execute("SET TRANSACTION READ ONLY");
                    return s.executeUpdate("CREATE TABLE IF NOT EXISTS read_only_work (v int)");
                }
            }));

        assertThat(thrown).isInstanceOf(SQLException.class).isNotInstanceOf(FailoverSQLException.class);
        assertThat(((SQLException) thrown).getSQLState()).isEqualTo("25006");
        assertThat(runs).as("times the work ran").hasValue(1);
        // the probe it caused finds the primary well: never lost
        Thread.sleep(3 * FailoverConfig.DEFAULT_PROBE_INTERVAL_MILLIS);
        assertThat(dataSource.stats().primaryLosses()).isEqualTo(lossesBefore);
        assertThat(dataSource.topology().primary()).contains(servers.primaryEndpoint());
    }

    @Test
    void doesNotTakeCredentialsFromTheCaller() {
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> dataSource.getConnection("u", "p")))
            .isInstanceOf(java.sql.SQLFeatureNotSupportedException.class);
    }

    @Test
    void poolsOpenWithHikariJmxBeansOn() throws Exception {
        // HikariCP refuses a pool name with ':' (as in host:port) when it registers JMX beans.
        FailoverDataSource jmx = servers.dataSource(b -> b.name("jmx").poolCustomizer(h -> h.setRegisterMbeans(true)));
        try {
            try (Connection c = jmx.getConnection(); Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT inet_server_port()")) {
                r.next();
                assertThat(r.getInt(1)).isEqualTo(servers.primary.port());
            }
            Endpoint primary = servers.primaryEndpoint();
            String pool = "type=Pool (jmx-" + primary.host() + "_" + primary.port() + "-";
            assertThat(ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("com.zaxxer.hikari:*"), null))
                .map(ObjectName::getKeyPropertyListString)
                .anySatisfy(name -> assertThat(name).startsWith(pool));
        } finally {
            jmx.close();
        }
    }

    @Test
    void aReadOnlyConnectionThatRefusesToBecomeReadOnlyIsEvictedNotLeaked() throws Exception {
        FailoverDataSource leaky = servers.dataSource(b -> b.name("leaky"));
        try {
            awaitReadsOnReplica(leaky);
            // an application bug: a transaction begun in SQL and never ended, given back to the pool
            try (Connection c = leaky.readOnly().getConnection(); Statement s = c.createStatement()) {
                s.execute("BEGIN");
            } catch (SQLException closing) {
                // HikariCP's reset of the read-only flag may fail on close, in the open transaction
            }
            // when: read-only work goes on, more borrows than the replica's pool holds
            for (int i = 0; i < 6; i++) {
                try (Connection c = leaky.readOnly().getConnection(); Statement s = c.createStatement()) {
                    s.execute("SELECT 1");
                }
            }
            // then: the connection that refused setReadOnly(true) was closed, so its transaction is over on the server
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            long open;
            do {
                open = servers.replica.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                    + " 'drkit leaky' AND state LIKE 'idle in transaction%'");
            } while (open > 0 && System.nanoTime() < deadline && sleep(50));
            assertThat(open).as("replica sessions left idle in a transaction").isZero();
            try (Connection c = leaky.readOnly().getConnection()) {
                assertThat(server(c)).isEqualTo("replica " + servers.replica.port());
            }
        } finally {
            leaky.close();
        }
    }

    @Test
    void aPrimaryThatRefusesTheProbeForTooManyConnectionsIsKept() throws Exception {
        // given: a data source logged in as a role that then reaches its connection limit (SQLSTATE 53300, as a
        // server at max_connections answers too)
        servers.primary.execute("CREATE ROLE busy LOGIN PASSWORD 'busy-pw' IN ROLE pg_monitor");
        FailoverDataSource busy = servers.dataSource(b -> b.name("busy")
            .credentials(dev.drkit.core.secret.CredentialsSource.fixed("busy",
                dev.drkit.core.secret.Secret.ofString("busy-pw", "busy password"))));
        try {
            try (Connection c = busy.getConnection()) {
                assertThat(server(c)).isEqualTo("primary " + servers.primary.port());
            }
            long sessions = servers.primary.queryLong("SELECT count(*) FROM pg_stat_activity WHERE usename = 'busy'");
            servers.primary.execute("ALTER ROLE busy CONNECTION LIMIT " + sessions);
            // when: the probe's own connection goes (an idle-session killer, a DBA) and cannot come back
            servers.primary.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'busy'"
                + " AND application_name LIKE 'drkit-probe%'");
            Thread.sleep(1_500);
            // then: it answers, so it is still the primary; its connections in use and in the pool still work
            assertThat(busy.topology().host(servers.primaryEndpoint()).orElseThrow().lastFailure()).contains("53300");
            assertThat(busy.stats().primaryLosses()).isZero();
            assertThat(busy.topology().primary()).contains(servers.primaryEndpoint());
            try (Connection c = busy.getConnection()) {
                assertThat(server(c)).isEqualTo("primary " + servers.primary.port());
            }
        } finally {
            busy.close();
            servers.primary.execute("ALTER ROLE busy CONNECTION LIMIT -1");
        }
    }

    @Test
    void anExhaustedPoolAndWritesRefusedByAStandbyCauseNoProbeStorm() throws Exception {
        // given: a data source whose probes the primary logs (its role logs every statement), one connection per pool
        servers.primary.execute("CREATE ROLE logged LOGIN SUPERUSER PASSWORD 'logged-pw'");
        servers.primary.execute("ALTER ROLE logged SET log_statement = 'all'");
        FailoverDataSource logged = servers.dataSource(b -> b.name("logged").maximumPoolSize(1)
            .primaryWait(Duration.ofSeconds(2)).credentials(dev.drkit.core.secret.CredentialsSource.fixed("logged",
                dev.drkit.core.secret.Secret.ofString("logged-pw", "logged password"))));
        try {
            awaitReadsOnReplica(logged);
            // past the few seconds of fast probing after the start
            Thread.sleep(3_500);
            long idle = probesOfThePrimaryDuring(() -> Thread.sleep(2_000));
            // when: 8 callers wait on the primary's exhausted pool for 2 s
            long exhausted;
            try (Connection held = logged.getConnection()) {
                exhausted = probesOfThePrimaryDuring(() -> {
                    java.util.List<Thread> waiters = new java.util.ArrayList<>();
                    for (int i = 0; i < 8; i++) {
                        Thread waiter = new Thread(() -> {
                            try (Connection c = logged.getConnection()) {
                                // not reached: the pool stays exhausted
                            } catch (SQLException expected) {
                                // timed out
                            }
                        });
                        waiter.start();
                        waiters.add(waiter);
                        // their waits end at different moments, as callers' do
                        Thread.sleep(31);
                    }
                    for (Thread waiter : waiters) {
                        waiter.join();
                    }
                });
            }
            // and: writes refused (25006) by a host known as a standby, for 2 s
            long refused = probesOfThePrimaryDuring(() -> {
                long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < end) {
                    try (Connection c = logged.readOnly().getConnection(); Statement s = c.createStatement()) {
                        s.execute("CREATE TABLE refused_on_the_standby (v int)");
                    } catch (SQLException expected) {
                        // 25006
                    }
                }
            });
            System.out.printf("probes of the primary in 2 s: idle %d, exhausted pool %d, refused writes %d%n", idle,
                exhausted, refused);
            // then: about as many probe rounds as while idle (one per probeInterval), not one per failure
            assertThat(exhausted).as("probes with an exhausted pool; idle: %s", idle).isLessThanOrEqualTo(idle + 8);
            assertThat(refused).as("probes with refused writes; idle: %s", idle).isLessThanOrEqualTo(idle + 8);
            assertThat(logged.stats().primaryLosses()).isZero();
        } finally {
            logged.close();
        }
    }

    interface Work {
        void run() throws Exception;
    }

    /** How many probes of the primary its log shows while {@code work} runs. */
    private static long probesOfThePrimaryDuring(Work work) throws Exception {
        long before = probesOfThePrimary();
        work.run();
        Thread.sleep(300);
        return probesOfThePrimary() - before;
    }

    private static long probesOfThePrimary() throws java.io.IOException {
        String log = java.nio.file.Files.readString(servers.primary.logFile());
        return log.split("pg_is_in_recovery\\(\\) AS r", -1).length - 1;
    }

    private static boolean sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }

    static void awaitReadsOnReplica(FailoverDataSource dataSource) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = dataSource.readOnly().getConnection()) {
                if (server(c).startsWith("replica")) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no reads on the replica: " + dataSource.topology());
    }

    static void awaitReaders() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            HostState replica = dataSource.topology().host(servers.replicaEndpoint()).orElseThrow();
            if (replica.replicaLag().isPresent()
                && replica.replicaLag().get().compareTo(dataSource.config().maxReplicaLag()) <= 0) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("replica never eligible: " + dataSource.topology());
    }
}
