package dev.drkit.postgres;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.drkit.core.DrkitException;
import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.internal.Postmasters;
import dev.drkit.postgres.internal.RunAs;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** One cluster's lifecycle against a real server; most tests share one cluster to keep the suite fast. */
class PgClusterTest {

    private static PgCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("lifecycle").build());
    }

    @AfterAll
    static void closeCluster() {
        cluster.close();
    }

    @Test
    void answersQueriesOnLoopbackOnly() {
        assertThat(cluster.isRunning()).isTrue();
        assertThat(cluster.queryLong("SELECT 41 + 1")).isEqualTo(42);
        assertThat(cluster.queryValue("SHOW listen_addresses")).contains("127.0.0.1");
        assertThat(cluster.queryValue("SHOW unix_socket_directories")).contains(cluster.socketDirectory().toString());
        assertThat(cluster.queryValue("SHOW data_checksums")).contains("on");
        assertThat(cluster.queryValue("SHOW wal_level")).contains("replica");
        assertThat(cluster.queryValue("SHOW fsync")).contains("off");
        assertThat(cluster.queryValue("SHOW cluster_name")).contains("lifecycle");
        assertThat(cluster.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + cluster.port() + "/postgres");
        assertThat(cluster.isInRecovery()).isFalse();
        assertThat(cluster.timeline()).isEqualTo(1);
        assertThat(cluster.systemIdentifier()).isNotZero();
    }

    @Test
    void runsTheServerAsAnUnprivilegedUserWhenTheJvmIsRoot() throws Exception {
        long pid = cluster.postmasterPid().orElseThrow();
        int serverUid = (Integer) Files.getAttribute(Path.of("/proc", Long.toString(pid)), "unix:uid");
        int dataOwner = (Integer) Files.getAttribute(cluster.dataDirectory(), "unix:uid");
        if (RunAs.isRoot()) {
            assertThat(serverUid).isNotZero();
            assertThat(dataOwner).isEqualTo(serverUid);
        } else {
            assertThat(serverUid).isEqualTo(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        }
    }

    @Test
    void runsAsTheUserTheConfigurationNamesWhenTheJvmIsRoot() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(RunAs.isRoot(), "only root runs PostgreSQL as another user");
        int nobody = dev.drkit.postgres.internal.OsUser.lookup("nobody").orElseThrow().uid();
        try (PgCluster asNobody = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("as-nobody")
            .runAsUser("nobody").build())) {
            long pid = asNobody.postmasterPid().orElseThrow();
            assertThat(Files.getAttribute(Path.of("/proc", Long.toString(pid)), "unix:uid")).isEqualTo(nobody);
            assertThat(asNobody.queryLong("SELECT 1")).isEqualTo(1);
        }
    }

    @Test
    void acceptsTcpLoginsOnlyWithThePassword() throws Exception {
        Properties wrong = new Properties();
        wrong.setProperty("user", cluster.superuser());
        wrong.setProperty("password", "not-the-password");
        assertThatThrownBy(() -> DriverManager.getConnection(cluster.jdbcUrl(), wrong))
            .isInstanceOf(SQLException.class)
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));

        try (Secret password = cluster.superuserPassword()) {
            Properties right = new Properties();
            right.setProperty("user", cluster.superuser());
            right.setProperty("password", new String(password.reveal()));
            try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), right)) {
                assertThat(c.isValid(5)).isTrue();
            }
        }
    }

    @Test
    void psqlReturnsTheRowsAloneNotWhatTheServerWarnsAbout() {
        // a WARNING or NOTICE goes to psql's standard error: it is not a row (a collation version mismatch on
        // another host warns on every connection)
        assertThat(cluster.psql(cluster.superuser(), "postgres",
            "DO $$ BEGIN RAISE WARNING 'careful'; RAISE NOTICE 'noted'; END $$; SELECT 42")).isEqualTo("42");
        // and a failure quotes what psql said on its standard error
        assertThatThrownBy(() -> cluster.psql(cluster.superuser(), "postgres", "SELECT * FROM no_such_table"))
            .isInstanceOf(PostgresException.class).hasMessageContaining("no_such_table");
    }

    @Test
    void psqlReadsADatabaseNameAsANameWhateverItHolds() {
        cluster.execute("CREATE DATABASE \"host=elsewhere it's\"");
        try {
            assertThat(cluster.psql(cluster.superuser(), "host=elsewhere it's", "SELECT current_database()"))
                .isEqualTo("host=elsewhere it's");
        } finally {
            cluster.execute("DROP DATABASE \"host=elsewhere it's\"");
        }
    }

    @Test
    void keepsDataAcrossStopsInEveryMode() {
        cluster.execute("CREATE TABLE IF NOT EXISTS kept (v int); TRUNCATE kept; INSERT INTO kept VALUES (1), (2)");
        for (StopMode mode : StopMode.values()) {
            cluster.stop(mode);
            assertThat(cluster.isRunning()).as("running after stop %s", mode).isFalse();
            assertThat(cluster.postmasterPid()).isEmpty();
            cluster.start();
            assertThat(cluster.queryLong("SELECT count(*) FROM kept")).as("rows after stop %s", mode).isEqualTo(2);
        }
    }

    @Test
    void recoversFromKillNineOnTheNextStart() {
        cluster.execute("CREATE TABLE IF NOT EXISTS crashed (v int); INSERT INTO crashed VALUES (7)");
        long pid = cluster.postmasterPid().orElseThrow();

        cluster.kill9();

        assertThat(cluster.isRunning()).isFalse();
        assertThat(Postmasters.isAlive(pid)).isFalse();
        assertThat(cluster.dataDirectory().resolve("postmaster.pid")).exists();
        cluster.start();
        assertThat(cluster.queryLong("SELECT count(*) FROM crashed WHERE v = 7")).isPositive();
        assertThat(cluster.logTail(200)).contains("not properly shut down");
    }

    @Test
    void appliesSettingsAtRunTime() {
        cluster.applySettings(Map.of("work_mem", "7MB"));

        assertThat(cluster.queryValue("SHOW work_mem")).contains("7MB");
        assertThatThrownBy(() -> cluster.applySettings(Map.of("port", "1")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("managed by PgCluster");
    }

    @Test
    void reportsFailedStatementsWithTheirSqlState() {
        assertThatThrownBy(() -> cluster.execute("SELECT * FROM no_such_table"))
            .isInstanceOf(PostgresException.class)
            .hasMessageContaining("PostgreSQL cluster 'lifecycle' (127.0.0.1:" + cluster.port())
            .hasMessageContaining("no_such_table")
            .satisfies(e -> {
                PostgresException pe = (PostgresException) e;
                assertThat(pe.sqlState()).contains("42P01");
                assertThat(pe.port()).isEqualTo(cluster.port());
                assertThat(pe.dataDirectory()).isEqualTo(cluster.dataDirectory());
                assertThat(pe.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                assertThat(pe.context()).containsEntry("cluster", "lifecycle").containsKey("dataDirectory");
            });
    }

    @Test
    void failsToStartWithABadSettingAndShowsTheLogTail() {
        PgClusterConfig bad = PgClusterConfig.forTests().toBuilder().name("bad-setting")
            .setting("shared_buffers", "plenty").build();
        try (PgCluster broken = PgCluster.create(bad)) {
            assertThatThrownBy(broken::start)
                .isInstanceOf(PostgresStartException.class)
                .hasMessageContaining("PostgreSQL cluster 'bad-setting'")
                .hasMessageContaining("did not start: the server exited with code 1")
                .hasMessageContaining("invalid value for parameter \"shared_buffers\": \"plenty\"")
                .satisfies(e -> {
                    PostgresStartException se = (PostgresStartException) e;
                    assertThat(se.logTail()).contains("shared_buffers");
                    assertThat(se.logFile()).isEqualTo(broken.logFile());
                    assertThat(se.port()).isEqualTo(broken.port());
                });
            assertThat(broken.isRunning()).isFalse();
        }
    }

    @Test
    void startingNewClusterThatFailsLeavesNothingBehind() throws Exception {
        Path base = Files.createTempDirectory("drkit-pg-test-");
        try {
            Files.setPosixFilePermissions(base, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            PgClusterConfig bad = PgClusterConfig.forTests().toBuilder().name("bad").baseDirectory(base)
                .setting("max_connections", "-5").build();

            assertThatThrownBy(() -> PgCluster.start(bad)).isInstanceOf(PostgresStartException.class);

            try (var left = Files.list(base)) {
                assertThat(left).isEmpty();
            }
        } finally {
            Files.deleteIfExists(base);
        }
    }

    @Test
    void closeStopsTheServerAndDeletesItsDirectory() throws Exception {
        PgCluster doomed = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("doomed").build());
        long pid = doomed.postmasterPid().orElseThrow();
        Path directory = doomed.directory();
        int port = doomed.port();

        doomed.close();
        doomed.close(); // idempotent

        assertThat(doomed.isClosed()).isTrue();
        assertThat(Postmasters.isAlive(pid)).isFalse();
        assertThat(directory).doesNotExist();
        try (ServerSocket reuse = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(reuse.getLocalPort()).isEqualTo(port);
        }
        assertThatThrownBy(doomed::connect).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void closeCleansUpEverythingWhenTheCallerIsInterrupted() {
        PgCluster interrupted = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("interrupted").build());
        long pid = interrupted.postmasterPid().orElseThrow();
        Path directory = interrupted.directory();

        Thread.currentThread().interrupt();
        boolean stillInterrupted;
        try {
            interrupted.close();
        } finally {
            stillInterrupted = Thread.interrupted(); // also clears it for the next tests
        }

        assertThat(stillInterrupted).as("the caller's interrupt flag is kept").isTrue();
        assertThat(Postmasters.isAlive(pid)).isFalse();
        assertThat(directory).doesNotExist();
        assertThat(interrupted.isClosed()).isTrue();
    }

    @Test
    void closeStopsTheServerCleanlyWhenTheCallerIsInterrupted() {
        PgCluster kept = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("interrupted-kept")
            .deleteOnClose(false).build());
        Path directory = kept.directory();
        Logger clusterLog = (Logger) LoggerFactory.getLogger(PgCluster.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        clusterLog.addAppender(logged);
        try {
            Thread.currentThread().interrupt();
            try {
                kept.close();
            } finally {
                Thread.interrupted();
            }
        } finally {
            clusterLog.detachAppender(logged);
            dev.drkit.postgres.internal.Trees.deleteQuietly(directory);
        }

        // A fast shutdown by pg_ctl, not pg_ctl killed at once and the server killed with SIGKILL.
        List<String> messages = logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(messages).contains("PostgreSQL cluster 'interrupted-kept' stopped (fast)")
            .noneMatch(m -> m.contains("failed while closing") || m.contains("SIGKILL"));
    }

    @Test
    void logsWhatReallyHappenedWhenPgCtlStopFails(@TempDir Path scratch) throws Exception {
        // A pg_ctl that does its work, then exits with 3 as if it had failed.
        Path bin = Files.createDirectory(scratch.resolve("bin"));
        Path real = cluster.binaries().binDirectory();
        try (var tools = Files.list(real)) {
            for (Path tool : (Iterable<Path>) tools::iterator) {
                if (!tool.getFileName().toString().equals("pg_ctl")) {
                    Files.createSymbolicLink(bin.resolve(tool.getFileName()), tool.toRealPath());
                }
            }
        }
        Path pgCtl = bin.resolve("pg_ctl");
        Files.writeString(pgCtl, "#!/bin/sh\n'" + real.resolve("pg_ctl").toRealPath() + "' \"$@\"\nsleep 0.5\n"
            + "echo 'pretend failure'\nexit 3\n");
        Files.setPosixFilePermissions(pgCtl, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Logger clusterLog = (Logger) LoggerFactory.getLogger(PgCluster.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        clusterLog.addAppender(logged);
        try (PgCluster wrapped = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("failing-pg-ctl")
            .binaries(PgBinaries.in(bin)).build())) {

            wrapped.stop(StopMode.FAST);

            assertThat(wrapped.isRunning()).isFalse();
        } finally {
            clusterLog.detachAppender(logged);
        }
        List<String> messages = logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(messages).noneMatch(m -> m.contains("'failing-pg-ctl' stopped"));
        assertThat(messages).anyMatch(m -> m.contains("is gone, but pg_ctl stop (fast) exited with code 3")
            && m.contains("pretend failure"));
    }

    @Test
    void queriesOnAFrozenServerFailAfterTheSocketTimeout() throws Exception {
        try (PgCluster frozen = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("frozen")
            .socketTimeout(Duration.ofSeconds(2)).build())) {
            long pid = frozen.postmasterPid().orElseThrow();
            List<Long> processes = new ArrayList<>(Postmasters.descendants(pid));
            processes.add(0, pid);
            signal("STOP", processes);
            try {
                long started = System.nanoTime();
                assertTimeoutPreemptively(Duration.ofSeconds(15), () -> assertThatThrownBy(() -> frozen.queryValue("SELECT 1"))
                    .isInstanceOf(PostgresException.class));
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(1500),
                    Duration.ofSeconds(8));
            } finally {
                signal("CONT", processes);
            }
            assertThat(frozen.queryLong("SELECT 1")).isEqualTo(1);
        }
    }

    private static void signal(String signal, List<Long> pids) throws Exception {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(p -> command.add(Long.toString(p)));
        Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(kill.waitFor()).as(new String(kill.getInputStream().readAllBytes())).isZero();
    }

    @Test
    void keepsTheDirectoryOnCloseWhenAsked() {
        PgCluster kept = PgCluster.create(PgClusterConfig.forTests().toBuilder().name("kept").deleteOnClose(false).build());
        Path directory = kept.directory();
        try {
            kept.close();
            assertThat(directory.resolve("data/PG_VERSION")).exists();
        } finally {
            dev.drkit.postgres.internal.Trees.deleteQuietly(directory);
        }
    }

    @Test
    void neverFollowsALinkInTheLogsPlace(@TempDir Path scratch) throws Exception {
        Path other = Files.writeString(scratch.resolve("other"), "not the server's log\n");
        try (PgCluster linked = PgCluster.create(PgClusterConfig.forTests().toBuilder().name("log-link").build())) {
            Files.delete(linked.logFile());
            Files.createSymbolicLink(linked.logFile(), other);

            assertThat(linked.logTail(5)).isEmpty();
            assertThatThrownBy(linked::start).isInstanceOf(PostgresException.class)
                .hasMessageContaining("not a regular file");
            assertThat(linked.isRunning()).isFalse();
            assertThat(other).hasContent("not the server's log\n");
        }
    }

    @Test
    void anInterruptedStartLeavesNoServerBehind() {
        // Kept on close: a server still starting would die of its data directory's deletion, hiding the leak.
        PgCluster interrupted = PgCluster.create(PgClusterConfig.forTests().toBuilder().name("start-interrupted")
            .deleteOnClose(false).build());
        String data = interrupted.dataDirectory().toString();
        List<ProcessHandle> left = List.of();
        try {
            // Interrupted from the start: the server is spawned, then the first wait for it gives up.
            Thread.currentThread().interrupt();
            assertThatThrownBy(interrupted::start).isInstanceOf(IllegalStateException.class);
            assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();
            interrupted.close();

            left = ProcessHandle.allProcesses()
                .filter(h -> h.info().commandLine().map(c -> c.contains("-D " + data)).orElse(false)).toList();
            assertThat(left).isEmpty();
        } finally {
            Thread.interrupted();
            interrupted.close();
            left.forEach(ProcessHandle::destroyForcibly);
            left.forEach(h -> h.onExit().join());
            dev.drkit.postgres.internal.Trees.deleteQuietly(interrupted.directory());
        }
    }
}
