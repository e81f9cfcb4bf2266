package dev.drkit.postgres;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.internal.ProcessRunner;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Replicas of one shared primary: asynchronous, synchronous coming and going, and where the password goes. */
class ReplicationTest {

    private static PgCluster primary;

    @BeforeAll
    static void startPrimary() {
        primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("shared-primary").build());
        primary.execute("CREATE TABLE events (id bigserial PRIMARY KEY, payload text)");
    }

    @AfterAll
    static void closePrimary() {
        primary.close();
    }

    @Test
    void asynchronousReplicaReplaysTheWritesOfItsPrimary() {
        try (PgCluster replica = primary.createReplica(ReplicaOptions.async("async-replica"))) {
            assertThat(primary.standbys()).anySatisfy(s -> {
                assertThat(s.applicationName()).isEqualTo("async-replica");
                assertThat(s.syncState()).isEqualTo("async");
            });

            primary.execute("INSERT INTO events (payload) SELECT 'async ' || g FROM generate_series(1, 500) g");
            replica.awaitReplay(primary.currentLsn(), Duration.ofSeconds(30));

            assertThat(replica.queryLong("SELECT count(*) FROM events WHERE payload LIKE 'async %'")).isEqualTo(500);
            assertThatThrownBy(() -> replica.execute("INSERT INTO events (payload) VALUES ('on a standby')"))
                .isInstanceOf(PostgresException.class)
                .satisfies(e -> assertThat(((PostgresException) e).sqlState()).contains("25006"));
            assertThatThrownBy(() -> replica.createReplica(ReplicaOptions.sync("cascade")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is a standby");
        }
    }

    @Test
    void closingASynchronousReplicaLetsThePrimaryCommitAgainAndDropsItsSlot() throws Exception {
        PgCluster replica = primary.createReplica(ReplicaOptions.sync("short-lived"));
        assertThat(primary.queryValue("SHOW synchronous_standby_names")).contains("FIRST 1 (\"short-lived\")");
        assertThat(primary.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'short_lived'"))
            .isEqualTo(1);

        replica.close();

        // Were the name still in synchronous_standby_names, this commit would wait for ever.
        CompletableFuture<Void> commit = CompletableFuture.runAsync(
            () -> primary.execute("INSERT INTO events (payload) VALUES ('after the replica left')"));
        commit.get(20, TimeUnit.SECONDS);
        assertThat(primary.queryValue("SHOW synchronous_standby_names")).contains("");
        assertThat(primary.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'short_lived'"))
            .isZero();
        assertThat(replica.directory()).doesNotExist();
    }

    @Test
    void refusesASecondReplicaOfTheSameName() {
        try (PgCluster first = primary.createReplica(ReplicaOptions.async("twin"))) {
            assertThatThrownBy(() -> primary.createReplica(ReplicaOptions.async("twin")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already has a replica named \"twin\"");
            assertThat(first.isRunning()).isTrue();
        }
    }

    @Test
    void refusesAReplicaWhoseSlotWouldBeAnothersAndLeavesThatSlotInPlace() {
        try (PgCluster first = primary.createReplica(ReplicaOptions.async("slot-twin"))) {
            assertThatThrownBy(() -> primary.createReplica(ReplicaOptions.async("slot_twin")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("would share replication slot 'slot_twin' with replica \"slot-twin\"");
            assertThat(primary.queryValue("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'slot_twin'"))
                .contains("1");
            assertThat(first.isRunning()).isTrue();
        }
    }

    @Test
    void neverPutsThePasswordOnACommandLineInAnEnvironmentOrInALog() throws Exception {
        byte[] password;
        try (Secret secret = primary.superuserPassword()) {
            password = secret.revealBytes();
        }
        Logger processLog = (Logger) LoggerFactory.getLogger(ProcessRunner.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        processLog.addAppender(logged);
        Level level = processLog.getLevel();
        processLog.setLevel(Level.DEBUG);
        // Without pg_basebackup (the embedded binaries have none), only the low-level backup API is watched.
        boolean pgBasebackup = primary.binaries().hasTool("pg_basebackup");
        List<BaseBackupMethod> methods = pgBasebackup
            ? List.of(BaseBackupMethod.PG_BASEBACKUP, BaseBackupMethod.LOW_LEVEL_API)
            : List.of(BaseBackupMethod.LOW_LEVEL_API);
        ProcScanner scanner = new ProcScanner(password);
        Thread scanning = new Thread(scanner, "proc-scanner");
        scanning.start();
        try {
            for (BaseBackupMethod method : methods) {
                try (PgCluster replica = primary.createReplica(ReplicaOptions.builder("watched-" + method.ordinal())
                    .mode(ReplicationMode.SYNC).method(method).build())) {
                    primary.execute("INSERT INTO events (payload) VALUES ('watched')");
                    assertThat(filesContaining(replica.directory(), password)).isEmpty();
                }
            }
        } finally {
            scanner.stop.set(true);
            scanning.join();
            processLog.detachAppender(logged);
            processLog.setLevel(level);
        }

        assertThat(scanner.leaks).isEmpty();
        assertThat(scanner.scans.get()).isPositive();
        assertThat(scanner.commandLines).anyMatch(c -> c.contains("postgres") && c.contains("-D"));
        List<String> messages = logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        if (pgBasebackup) {
            assertThat(messages).anyMatch(m -> m.contains("pg_basebackup") && m.contains("PGPASSFILE"));
        }
        assertThat(messages).noneMatch(m -> m.contains(new String(password, StandardCharsets.UTF_8)));
        assertThat(filesContaining(primary.directory(), password)).isEmpty();
    }

    /** Files under {@code root} holding {@code secret}, except drkit's credential files (which hold it by design). */
    private static List<Path> filesContaining(Path root, byte[] secret) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                if (file.toString().contains("/drkit-replication-")) {
                    continue;
                }
                byte[] content;
                try {
                    content = Files.readAllBytes(file);
                } catch (IOException e) {
                    continue; // a server file that went away
                }
                if (indexOf(content, secret) >= 0) {
                    found.add(file);
                }
            }
        }
        return found;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Reads every process's command line and environment over and over, looking for the password. */
    private static final class ProcScanner implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final java.util.concurrent.atomic.AtomicInteger scans = new java.util.concurrent.atomic.AtomicInteger();
        final Set<String> commandLines = ConcurrentHashMap.newKeySet();
        final List<String> leaks = Collections.synchronizedList(new ArrayList<>());
        private final byte[] password;

        ProcScanner(byte[] password) {
            this.password = password;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                    procs.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(this::inspect);
                } catch (IOException e) {
                    // try again
                }
                scans.incrementAndGet();
                // a short breath between scans leaves the second core to the servers
                java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
            }
        }

        private void inspect(Path proc) {
            for (String part : List.of("cmdline", "environ")) {
                try {
                    byte[] bytes = Files.readAllBytes(proc.resolve(part));
                    if (part.equals("cmdline")) {
                        commandLines.add(new String(bytes, StandardCharsets.UTF_8).replace('\0', ' '));
                    }
                    if (indexOf(bytes, password) >= 0) {
                        leaks.add(proc + "/" + part);
                    }
                } catch (IOException e) {
                    // the process exited, or it is not ours to read
                }
            }
        }
    }
}
