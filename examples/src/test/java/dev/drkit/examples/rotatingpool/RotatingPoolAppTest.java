package dev.drkit.examples.rotatingpool;

import dev.drkit.failover.Endpoint;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ReplicaOptions;
import dev.drkit.postgres.ReplicationMode;
import dev.drkit.secrets.vault.SimulatedDatabase;
import dev.drkit.secrets.vault.SimulatedVault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the example against the simulated Vault, whose database engine creates and drops real login roles in a
 * real PostgreSQL (a primary and a streaming replica), so rotations meet real authentication.
 */
class RotatingPoolAppTest {

    @TempDir
    Path dir;

    private final AtomicReference<PgCluster> writable = new AtomicReference<>();
    private SimulatedVault vault;
    private SimulatedDatabase engine;
    private PgCluster primary;
    private PgCluster replica;
    private Path roleIdFile;
    private Path secretIdFile;

    @BeforeEach
    void setUp() throws IOException {
        primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("orders-primary").build());
        primary.execute(RotatingPoolApp.SCHEMA);
        writable.set(primary);
        vault = SimulatedVault.start();
        vault.policy("orders", "database/creds/orders-rw");
        // Vault's database engine runs its statements as an administrator of whichever host is the primary.
        engine = vault.mountDatabase("database", () -> writable.get().connect())
            // Renewed at 6 s up to the 15 s max TTL, so rotated at about 12 s: 3 s before the old user is dropped.
            .role("orders-rw", Duration.ofSeconds(9), Duration.ofSeconds(15),
                "GRANT SELECT, INSERT ON orders TO {{name}}");
        SimulatedVault.AppRole role = vault.appRole("orders",
            SimulatedVault.AppRoleSettings.of(List.of("orders"), Duration.ofMinutes(5), Duration.ofHours(1)));
        roleIdFile = privateFile("role-id", role.roleId());
        secretIdFile = privateFile("secret-id", vault.newSecretId(role));
    }

    @AfterEach
    void tearDown() {
        if (vault != null) {
            vault.close();
        }
        if (replica != null) {
            replica.close();
        }
        primary.close();
    }

    @Test
    void recordsOrdersAsProgramWhileItsDatabaseUserRotates() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int code = RotatingPoolApp.run(new String[] {
            "--vault-addr", vault.address().toString(),
            "--role-id-file", roleIdFile.toString(), "--secret-id-file", secretIdFile.toString(),
            "--db-mount", "database", "--db-role", "orders-rw",
            "--hosts", PgCluster.HOST + ":" + primary.port(), "--database", "postgres",
            "--orders", "170", "--interval-ms", "100"},
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(code).as("stderr: %s", err).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("recorded 170, failed 0, database users ");
        assertThat(primary.queryLong("SELECT count(*) FROM orders")).isEqualTo(170);
        // More than one user wrote (the first is rotated at about 12 s; the run takes 17 s), each one Vault created.
        long users = primary.queryLong("SELECT count(DISTINCT written_by) FROM orders");
        assertThat(users).isGreaterThanOrEqualTo(2);
        assertThat(primary.queryLong("SELECT count(*) FROM orders WHERE written_by NOT LIKE 'v-%'")).isZero();
        // Closing revoked the token, and with it every lease: no user Vault created is left.
        assertThat(engine.liveUsers()).isEmpty();
        assertThat(primary.queryLong("SELECT count(*) FROM pg_roles WHERE rolname IN "
            + "(SELECT DISTINCT written_by FROM orders)")).isZero();
    }

    @Test
    void keepsRecordingThroughAFailoverWhileCredentialsRotate() throws Exception {
        replica = primary.createReplica(ReplicaOptions.builder("orders-replica").mode(ReplicationMode.SYNC).build());
        RotatingPoolApp.Settings settings = new RotatingPoolApp.Settings(vault.address(), roleIdFile, secretIdFile,
            "database", "orders-rw",
            List.of(Endpoint.of(PgCluster.HOST, primary.port()), Endpoint.of(PgCluster.HOST, replica.port())),
            "postgres");
        Map<Long, String> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (RotatingPoolApp app = RotatingPoolApp.start(settings)) {
            assertThat(app.awaitPrimary(Duration.ofSeconds(20))).isTrue();
            Thread writer = new Thread(() -> {
                for (long id = 1; !stop.get(); id++) {
                    try {
                        acknowledged.put(id, app.recordOrder(id));
                    } catch (SQLException e) {
                        // counted below: acknowledged only holds what was committed
                    }
                    sleep(50);
                }
            }, "orders-writer");
            writer.start();
            try {
                awaitSize(acknowledged, 20);
                replica.awaitReplay(primary.currentLsn(), Duration.ofSeconds(10));
                primary.kill9();
                sleep(500);
                replica.promote();
                writable.set(replica);
                int atPromotion = acknowledged.size();
                Set<String> usersAtPromotion = Set.copyOf(acknowledged.values());
                // Until a user Vault created after the promotion (on the promoted replica) has written too.
                long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
                while (newUsers(acknowledged, usersAtPromotion) < 1 || acknowledged.size() < atPromotion + 20) {
                    assertThat(System.nanoTime()).as("rotations and writes after the promotion").isLessThan(deadline);
                    sleep(100);
                }
            } finally {
                stop.set(true);
                writer.join();
            }
            assertThat(app.dataSource().stats().failovers()).isEqualTo(1);
        }

        // Synchronous replication: every acknowledged order is on the promoted replica, written by its user.
        for (Map.Entry<Long, String> order : acknowledged.entrySet()) {
            assertThat(replica.queryValue("SELECT written_by FROM orders WHERE id = " + order.getKey()))
                .as("order %d", order.getKey()).hasValue(order.getValue());
        }
        assertThat(Set.copyOf(acknowledged.values())).hasSizeGreaterThanOrEqualTo(2);
    }

    private static long newUsers(Map<Long, String> acknowledged, Set<String> old) {
        return acknowledged.values().stream().filter(u -> !old.contains(u)).distinct().count();
    }

    private static void awaitSize(Map<?, ?> map, int size) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (map.size() < size) {
            assertThat(System.nanoTime()).as("%d acknowledged writes", size).isLessThan(deadline);
            sleep(20);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Path privateFile(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }
}
