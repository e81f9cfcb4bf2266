package dev.drkit.secrets;

import ch.qos.logback.classic.Level;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.drkit.core.secret.DatabaseCredentials;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.secrets.hikari.HikariVaultCredentials;
import dev.drkit.secrets.vault.SimulatedDatabase;
import dev.drkit.secrets.vault.SimulatedVault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Dynamic database credentials against a real PostgreSQL: the simulated Vault creates and drops real roles, so an
 * expired or dropped role fails real password authentication.
 */
class DatabaseCredentialsTest {

    static PgCluster pg;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPostgres() {
        pg = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("secrets").build());
        pg.execute("CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1), (2)");
    }

    @AfterAll
    static void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    private static SimulatedDatabase database(SimulatedVault vault, Duration ttl, Duration maxTtl) {
        return vault.mountDatabase("database", pg::connect)
            .role("orders", ttl, maxTtl, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {{name}}");
    }

    @Test
    void retriesAfterTheLeaseEndedBackOffAndWarnAtMostOnceAMinute() throws Exception {
        try (Fixture f = new Fixture(dir); LogLines logs = LogLines.capture()) {
            database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(36000));
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(3600),
                Duration.ofSeconds(36000)))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");

            f.vault.down();
            f.advance(Duration.ofMinutes(10));                       // the lease ended 30 s in; the token lives on
            // Before: a retry every minRetryDelay (1 s) once the lease had ended, each at WARN (some 575 lines).
            assertThat(client.stats().renewalFailures()).isBetween(55L, 120L);
            List<String> warnings = logs.lines(Level.WARN).stream()
                .filter(l -> l.contains("keeping the credentials of role 'orders' alive failed")).toList();
            assertThat(warnings).hasSizeBetween(2, 12);
            assertThat(warnings.get(warnings.size() - 1)).contains("since the last warning logged at DEBUG");

            f.vault.up();
            f.advance(Duration.ofSeconds(10));                       // within maxRetryDelay of coming back
            assertThat(creds.rotations()).isEqualTo(1);
            assertThat(canLogIn(creds.current())).isTrue();
        }
    }

    @Test
    void renewsOnTheTimeLeftThenRotatesAheadOfTheMaxTtl() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            SimulatedDatabase db = database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(60));
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(600),
                Duration.ofSeconds(6000)))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            String first = creds.current().username();
            AtomicInteger rotated = new AtomicInteger();
            creds.onRotation(() -> rotated.incrementAndGet());
            assertThat(canLogIn(creds.current())).isTrue();

            // renewals at 20 s (to 50 s) and 40 s (to 60 s: capped), then a rotation at about 53 s
            f.advance(Duration.ofSeconds(41));
            assertThat(creds.renewals()).isEqualTo(2);
            assertThat(creds.rotations()).isZero();
            f.advance(Duration.ofSeconds(13));
            assertThat(creds.rotations()).isEqualTo(1);
            assertThat(rotated).hasValue(1);
            DatabaseCredentials second = creds.current();
            assertThat(second.username()).isNotEqualTo(first);
            assertThat(canLogIn(second)).isTrue();

            f.advance(Duration.ofSeconds(7));                      // the first lease ends at 60 s: its role is dropped
            awaitDropped(db, first);
            assertThat(canLogIn(second)).isTrue();
            assertThat(client.stats().rotations()).isEqualTo(1);
        }
    }

    @Test
    void aLeaseThatIsNotRenewableIsRotatedNotRenewed() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(300)).notRenewable("orders");
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(600),
                Duration.ofSeconds(6000)))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            String first = creds.current().username();

            f.advance(Duration.ofSeconds(21));                      // at 2/3 of 30 s: new credentials, no renewal
            assertThat(f.vault.requests("sys/leases/renew")).isZero();
            assertThat(creds.rotations()).isEqualTo(1);
            assertThat(creds.current().username()).isNotEqualTo(first);
            assertThat(canLogIn(creds.current())).isTrue();
        }
    }

    @Test
    void aLeaseNotFoundAtRenewalRotatesAtOnce() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(300));
            SimulatedVault.AppRole role = f.role(Duration.ofSeconds(600), Duration.ofSeconds(6000));
            VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            String first = creds.current().username();

            f.vault.clock().jump(Duration.ofSeconds(31));          // the server let the lease expire
            f.advance(Duration.ofSeconds(21));                      // the renewal answers 400 lease not found
            assertThat(creds.rotations()).isEqualTo(1);
            assertThat(creds.current().username()).isNotEqualTo(first);
            assertThat(canLogIn(creds.current())).isTrue();
        }
    }

    @Test
    void expiredCredentialsAreNotHandedOutWhileVaultIsDown() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(300));
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(600),
                Duration.ofSeconds(6000)))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");

            f.vault.down();
            f.advance(Duration.ofSeconds(29));
            assertThat(creds.current()).isNotNull();
            assertThat(creds.leaseTimeLeft()).isEqualTo(Duration.ofSeconds(1));
            f.advance(Duration.ofSeconds(2));
            assertThatThrownBy(creds::current)
                .isInstanceOfSatisfying(VaultUnavailableException.class,
                    e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.TOO_STALE));

            f.vault.up();
            f.advance(Duration.ofSeconds(2));                       // the retry fetches new credentials
            assertThat(canLogIn(creds.current())).isTrue();
        }
    }

    @Test
    void credentialsEndWithARenewableTokenWhoseRenewalsFailed() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            SimulatedDatabase db = database(f.vault, Duration.ofSeconds(600), Duration.ofSeconds(6000));
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(60),
                Duration.ofSeconds(6000)))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            String first = creds.current().username();

            // Cut off from Vault, which keeps its own clock: the token's renewals fail, and at 60 s Vault ends it
            // with the lease it created, ten minutes before the lease's own end.
            f.vault.down();
            f.advance(Duration.ofSeconds(59));
            assertThat(creds.current().username()).isEqualTo(first);
            f.advance(Duration.ofSeconds(2));
            awaitDropped(db, first);
            assertThatThrownBy(creds::current)
                .isInstanceOfSatisfying(VaultUnavailableException.class, e -> {
                    assertThat(e.reason()).isEqualTo(VaultException.Reason.TOO_STALE);
                    assertThat(e).hasMessageContaining("ended with the token that created them");
                });
            assertThat(creds.leaseTimeLeft()).isZero();

            f.vault.up();
            f.advance(Duration.ofSeconds(10));                      // the renewal finds the token gone: a new login
            assertThat(creds.current().username()).isNotEqualTo(first);
            assertThat(canLogIn(creds.current())).isTrue();
        }
    }

    @Test
    void aRevokedTokenHasTheCredentialsItCreatedReplacedAtOnce() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            database(f.vault, Duration.ofSeconds(3600), Duration.ofSeconds(36000));
            SimulatedVault.AppRole role = f.role(Duration.ofSeconds(3600), Duration.ofSeconds(36000));
            f.vault.putKv("secret", "app/api", Map.of("key", "value-0123"));
            VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            DatabaseCredentials first = creds.current();
            assertThat(canLogIn(first)).isTrue();

            // An operator revokes the token (a leak): Vault revokes its leases and drops their database roles.
            f.vault.revokeTokensOf(role);
            assertThat(canLogIn(first)).isFalse();
            client.kv2("secret").read("app/api");                   // 403, then a new login, then the read
            assertThat(client.stats().logins()).isEqualTo(2);

            f.advance(Duration.ofSeconds(1));                       // not the lease's renewal, 40 minutes away
            assertThat(creds.rotations()).isEqualTo(1);
            assertThat(creds.current().username()).isNotEqualTo(first.username());
            assertThat(canLogIn(creds.current())).isTrue();
        }
    }

    @Test
    void aTokenRevokedAndFoundByItsRenewalHasTheCredentialsReplacedAtOnce() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            database(f.vault, Duration.ofSeconds(3600), Duration.ofSeconds(36000));
            SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(36000));
            VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            DatabaseCredentials first = creds.current();

            f.vault.revokeTokensOf(role);
            f.advance(Duration.ofSeconds(41));                      // the token's renewal gets 403: a new login
            assertThat(client.stats().logins()).isEqualTo(2);
            f.advance(Duration.ofSeconds(1));
            assertThat(creds.rotations()).isEqualTo(1);
            assertThat(creds.current().username()).isNotEqualTo(first.username());
            assertThat(canLogIn(creds.current())).isTrue();
        }
    }

    @Test
    void closingRevokesTheTokenItReplacedWithTheCredentialsRotatedAway() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            database(f.vault, Duration.ofSeconds(300), Duration.ofSeconds(3000));
            SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(100));
            VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            // a copy: closing the client wipes the passwords it holds
            DatabaseCredentials first = DatabaseCredentials.of(creds.current().username(),
                creds.current().password().relabel("first"));
            f.advance(Duration.ofSeconds(99));                      // a new login, new credentials under it
            assertThat(creds.rotations()).isEqualTo(1);
            assertThat(f.vault.liveTokensOf(role)).isEqualTo(2);
            assertThat(canLogIn(first)).as("the old token, and its lease, live for another second").isTrue();

            client.close();

            assertThat(f.vault.liveTokensOf(role)).isZero();
            assertThat(canLogIn(first)).isFalse();
            first.password().close();
        }
    }

    @Test
    void closingRevokesTheCurrentLeaseAndTheLiveOnesRotatedAway() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            f.vault.policy("app", "kv/", "secret/", "database/creds/", "sys/leases/revoke");
            SimulatedDatabase db = database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(60));
            String token = f.vault.createToken(List.of("app"), Duration.ofSeconds(3600), Duration.ofSeconds(36000),
                true);
            VaultClient client = f.start(f.config(VaultAuth.token(() -> Secret.ofString(token, "token"))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            String first = creds.current().username();
            f.advance(Duration.ofSeconds(54));                      // rotated at about 53 s; the first lease ends at 60 s
            assertThat(creds.rotations()).isEqualTo(1);
            String second = creds.current().username();

            client.close();                                         // the token is not ours: it stays, its leases go

            assertThat(db.liveUsers()).isEmpty();
            assertThat(db.droppedUsers()).contains(first, second);
        }
    }

    @Test
    void aLeaseThePolicyCannotRevokeOnCloseIsReportedWithTheCapabilityItLacks() throws Exception {
        try (Fixture f = new Fixture(dir); LogLines logs = LogLines.capture()) {
            SimulatedDatabase db = database(f.vault, Duration.ofSeconds(3600), Duration.ofSeconds(36000));
            String token = f.vault.createToken(List.of("app"), Duration.ofSeconds(3600), Duration.ofSeconds(36000),
                true);
            VaultClient client = f.start(f.config(VaultAuth.token(() -> Secret.ofString(token, "token"))).build());
            client.databaseCredentials("database", "orders");

            client.close();                                         // Vault's default policy has no sys/leases/revoke

            assertThat(f.vault.requests("sys/leases/revoke")).isEqualTo(1);
            assertThat(db.liveUsers()).hasSize(1);
            assertThat(logs.lines(Level.WARN)).filteredOn(l -> l.contains("could not revoke")).singleElement()
                .satisfies(l -> assertThat(l).contains("HTTP 403", "'update' capability on sys/leases/revoke",
                    "role 'orders'"));
            for (String line : logs.lines()) {
                assertThat(f.tripwire.findAllIn(line)).as(line).isEmpty();
                assertThat(line).doesNotContain(token);
            }
        }
    }

    @Test
    void aRotationInFlightWhenTheClientClosesHasItsNewLeaseRevoked() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            f.vault.policy("app", "kv/", "secret/", "database/creds/", "sys/leases/revoke");
            SimulatedDatabase db = database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(300))
                .notRenewable("orders");
            String token = f.vault.createToken(List.of("app"), Duration.ofSeconds(3600), Duration.ofSeconds(36000),
                true);
            VaultClient client = f.start(f.config(VaultAuth.token(() -> Secret.ofString(token, "token"))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");

            f.vault.slow(Duration.ofMillis(500));
            Thread rotating = new Thread(() -> f.advance(Duration.ofSeconds(21)));   // the rotation at 20 s
            rotating.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (f.vault.requests("database/creds/orders") < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(f.vault.requests("database/creds/orders")).isEqualTo(2);    // in flight: Vault answers late
            client.close();
            rotating.join(10_000);
            f.vault.slow(Duration.ZERO);

            assertThat(creds.rotations()).isZero();
            assertThat(f.vault.requests("sys/leases/revoke")).isEqualTo(2);
            assertThat(db.liveUsers()).isEmpty();
            assertThat(db.droppedUsers()).hasSize(2);
        }
    }

    @Test
    void credentialsWithAUsernameTheyCannotCarryAreRevokedAndReportedAsABadAnswer() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            f.vault.policy("app", "kv/", "secret/", "database/creds/", "sys/leases/revoke");
            String prefix = "orders-production-eu-";               // a username_template longer than 63 characters
            SimulatedDatabase db = database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(300)).usernamePrefix(prefix);
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(600),
                Duration.ofSeconds(6000)))).build());

            assertThatThrownBy(() -> client.databaseCredentials("database", "orders"))
                .isInstanceOfSatisfying(VaultException.class, e -> {
                    assertThat(e.reason()).isEqualTo(VaultException.Reason.BAD_RESPONSE);
                    assertThat(e).hasMessageContaining("username").hasMessageContaining("not shown")
                        .hasMessageNotContaining(prefix);
                });
            assertThat(db.liveUsers()).isEmpty();                   // revoked, not left to its TTL
            assertThat(db.droppedUsers()).hasSize(1);
        }
    }

    @Test
    void aRotationThatGetsUnusableCredentialsRetriesWithoutLeavingLeasesBehind() throws Exception {
        try (Fixture f = new Fixture(dir); LogLines logs = LogLines.capture()) {
            f.vault.policy("app", "kv/", "secret/", "database/creds/", "sys/leases/revoke");
            SimulatedDatabase db = database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(300))
                .notRenewable("orders");
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(600),
                Duration.ofSeconds(6000)))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            String first = creds.current().username();

            db.usernamePrefix("orders-production-eu-");             // the template changed under a running client
            f.advance(Duration.ofSeconds(29));                      // rotations from 20 s on, retried, all unusable

            assertThat(f.vault.requests("database/creds/orders")).isGreaterThan(3);
            assertThat(creds.rotations()).isZero();
            assertThat(creds.current().username()).isEqualTo(first);
            assertThat(db.liveUsers()).containsExactly(first);     // each unusable lease revoked at once
            assertThat(logs.lines(Level.ERROR)).allMatch(l -> l.contains("BAD_RESPONSE"))
                .noneMatch(l -> l.contains("IllegalArgumentException"));
        }
    }

    @Test
    void rotatesBeforeTheTokenThatCreatedTheLeaseEnds() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            database(f.vault, Duration.ofSeconds(300), Duration.ofSeconds(3000));
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(60),
                Duration.ofSeconds(100)))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            String first = creds.current().username();

            // The token is capped at 100 s; Vault revokes its leases when it ends. A new login comes first, then
            // the credentials are rotated under the new token before the old one ends.
            f.advance(Duration.ofSeconds(99));
            assertThat(client.stats().logins()).isEqualTo(2);
            assertThat(creds.rotations()).isEqualTo(1);
            f.advance(Duration.ofSeconds(2));
            assertThat(creds.current().username()).isNotEqualTo(first);
            assertThat(canLogIn(creds.current())).isTrue();
        }
    }

    @Test
    void aStaticTokenThatCannotBeRenewedDoesNotRotateTheCredentialsOverAndOver() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            database(f.vault, Duration.ofSeconds(3600), Duration.ofSeconds(3600));
            String token = f.vault.createToken(List.of("app"), Duration.ofSeconds(60), Duration.ofSeconds(60), false);
            VaultClient client = f.start(f.config(VaultAuth.token(() -> Secret.ofString(token, "token"))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            String first = creds.current().username();

            // New credentials would come from the same token and end with it too: nothing to rotate to.
            f.advance(Duration.ofSeconds(59));
            assertThat(creds.rotations()).isZero();
            assertThat(creds.current().username()).isEqualTo(first);
            assertThat(client.stats().logins()).isEqualTo(1);
        }
    }

    @Test
    void anExpiredStaticTokenIsReportedOnceAndStopsTheCredentialsUntilReplaced() throws Exception {
        try (Fixture f = new Fixture(dir); LogLines logs = LogLines.capture()) {
            database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(3600));
            String token = f.vault.createToken(List.of("app"), Duration.ofSeconds(60), Duration.ofSeconds(60), false);
            Path file = f.file("token", token);
            VaultClient client = f.start(f.config(VaultAuth.token(Secrets.fileSource(file))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");

            f.advance(Duration.ofSeconds(70));                      // the token ended at 60 s, and its lease with it
            assertThatThrownBy(creds::current)
                .isInstanceOfSatisfying(VaultAuthException.class, e -> {
                    assertThat(e.reason()).isEqualTo(VaultException.Reason.NOT_RENEWABLE);
                    assertThat(e).hasMessageContaining("expired or was revoked").hasMessageContaining("replace");
                    assertThat(e.getMessage()).doesNotContain(token);
                    assertThat(f.tripwire.findAllIn(e.toString())).isEmpty();
                });
            int renewals = f.vault.requests("sys/leases/renew");
            int fetches = f.vault.requests("database/creds/orders");
            long failures = client.stats().renewalFailures();
            f.advance(Duration.ofSeconds(120));
            assertThat(f.vault.requests("sys/leases/renew")).isEqualTo(renewals);
            assertThat(f.vault.requests("database/creds/orders")).isEqualTo(fetches);
            assertThat(client.stats().renewalFailures()).isEqualTo(failures);
            assertThat(logs.lines(Level.ERROR)).hasSize(1);
            assertThat(client.stats().staticTokenExpired()).isTrue();

            f.file("token", f.vault.createToken(List.of("app"), Duration.ofSeconds(600), Duration.ofSeconds(600),
                true));
            f.advance(Duration.ofSeconds(10));                      // a new login, and new credentials under it
            assertThat(creds.rotations()).isEqualTo(1);
            assertThat(canLogIn(creds.current())).isTrue();
            for (String line : logs.lines()) {
                assertThat(f.tripwire.findAllIn(line)).as(line).isEmpty();
            }
        }
    }

    @Test
    void closingTheClientWipesTheCurrentAndTheRotatedOutPasswords() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(60));
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(600),
                Duration.ofSeconds(6000)))).build());
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            DatabaseCredentials first = creds.current();
            f.advance(Duration.ofSeconds(54));                      // rotated at about 53 s; the first lease ends at 60 s
            assertThat(creds.rotations()).isEqualTo(1);
            DatabaseCredentials second = creds.current();
            assertThat(first.password().isClosed()).isFalse();

            client.close();
            assertThat(first.password().isClosed()).isTrue();
            assertThat(second.password().isClosed()).isTrue();
        }
    }

    @Test
    void aHikariPoolUnderLoadRotatesWithoutAFailedLogin() throws Exception {
        try (SimulatedVault vault = SimulatedVault.start()) {
            vault.mountKv("secret", 2).policy("app", "database/creds/");
            SimulatedDatabase db = database(vault, Duration.ofSeconds(3), Duration.ofSeconds(6));
            SimulatedVault.AppRole role = vault.appRole("app", SimulatedVault.AppRoleSettings.of(
                List.of("app"), Duration.ofSeconds(600), Duration.ofSeconds(6000)));
            Fixture files = new Fixture(dir);
            VaultConfig config = VaultConfig.builder(vault.address(), VaultAuth.appRoleFiles(
                    files.file("role-id", role.roleId()), files.file("secret-id", vault.newSecretId(role))))
                .name("pool-test").renewJitter(0).minRetryDelay(Duration.ofMillis(200)).build();
            files.vault.close();

            try (VaultClient client = VaultClient.start(config)) {
                DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
                String first = creds.current().username();
                HikariVaultCredentials provider = HikariVaultCredentials.of(creds);
                HikariConfig hikari = new HikariConfig();
                hikari.setJdbcUrl(pg.jdbcUrl());
                hikari.setCredentialsProvider(provider);
                hikari.setMaximumPoolSize(4);
                hikari.setConnectionTimeout(5_000);
                hikari.setPoolName("orders");
                try (HikariDataSource pool = new HikariDataSource(hikari)) {
                    provider.evictOnRotation(pool);
                    List<Throwable> failures = new CopyOnWriteArrayList<>();
                    Map<String, Boolean> usersSeen = new ConcurrentHashMap<>();
                    AtomicBoolean stop = new AtomicBoolean();
                    AtomicInteger queries = new AtomicInteger();
                    List<Thread> workers = new java.util.ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        Thread t = new Thread(() -> {
                            while (!stop.get()) {
                                try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                                     ResultSet rs = s.executeQuery("SELECT current_user, count(*), pg_sleep(0.02) FROM orders")) {
                                    rs.next();
                                    usersSeen.put(rs.getString(1), true);
                                    queries.incrementAndGet();
                                } catch (SQLException e) {
                                    failures.add(e);
                                }
                            }
                        });
                        t.start();
                        workers.add(t);
                    }
                    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                    while (!(creds.rotations() >= 1 && db.droppedUsers().contains(first)) && System.nanoTime() < deadline) {
                        Thread.sleep(100);
                    }
                    Thread.sleep(500);                               // work on the new credentials only
                    stop.set(true);
                    for (Thread t : workers) {
                        t.join(10_000);
                    }

                    assertThat(failures).isEmpty();
                    assertThat(creds.rotations()).isGreaterThanOrEqualTo(1);
                    assertThat(db.droppedUsers()).contains(first);
                    assertThat(usersSeen).containsKey(first).containsKey(creds.current().username());
                    assertThat(queries.get()).isGreaterThan(20);
                    assertThat(canLogIn(DatabaseCredentials.of(first, creds.current().password()))).isFalse();
                    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                         ResultSet rs = s.executeQuery("SELECT current_user")) {
                        rs.next();
                        assertThat(rs.getString(1)).isEqualTo(creds.current().username());
                    }
                }
            }
        }
    }

    @Test
    void aRenewalMovesTheEndTheCredentialsReport() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            database(f.vault, Duration.ofSeconds(30), Duration.ofSeconds(60));
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(600),
                Duration.ofSeconds(6000)))).build());
            Instant issued = f.clock.instant();
            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");
            assertThat(creds.current().expiresAt()).contains(issued.plusSeconds(30));

            f.advance(Duration.ofSeconds(21));                      // renewed at 20 s for 30 s
            assertThat(creds.renewals()).isEqualTo(1);
            assertThat(creds.current().expiresAt()).contains(issued.plusSeconds(50));
            f.advance(Duration.ofSeconds(20));                      // renewed at 40 s, capped at the 60 s max TTL
            assertThat(creds.renewals()).isEqualTo(2);
            assertThat(creds.current().expiresAt()).contains(issued.plusSeconds(60));
            assertThat(creds.leaseTimeLeft()).isEqualTo(Duration.ofSeconds(19));
            assertThat(canLogIn(creds.current())).isTrue();
        }
    }

    @Test
    void newCredentialsWhoseAnswerCameTooLateAreNotAskedForAgain() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            SimulatedDatabase db = database(f.vault, Duration.ofSeconds(3600), Duration.ofSeconds(36000));
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(3600),
                Duration.ofSeconds(36000)))).requestTimeout(Duration.ofMillis(500)).build());
            int liveBefore = db.liveUsers().size();

            f.vault.slow(Duration.ofMillis(1500));               // Vault creates the role after the client gave up
            try {
                assertThatThrownBy(() -> client.databaseCredentials("database", "orders"))
                    .isInstanceOfSatisfying(VaultUnavailableException.class, e -> {
                        assertThat(e.reason()).isEqualTo(VaultException.Reason.OUTCOME_UNKNOWN);
                        assertThat(e).hasMessageContaining("outcome unknown").hasMessageContaining("not sent again")
                            .hasMessageContaining("lease");
                        assertThat(f.tripwire.findAllIn(e.getMessage())).isEmpty();
                    });
            } finally {
                f.vault.slow(Duration.ZERO);
            }
            assertThat(f.vault.requests("database/creds/orders")).isEqualTo(1);   // one role created, not three
            awaitLiveUsers(db, liveBefore + 1);                   // the one nobody holds: it ends with its lease

            DynamicDatabaseCredentials creds = client.databaseCredentials("database", "orders");   // asked anew
            assertThat(canLogIn(creds.current())).isTrue();
            assertThat(f.vault.requests("database/creds/orders")).isEqualTo(2);
        }
    }

    private static boolean canLogIn(DatabaseCredentials c) {
        try (Connection conn = c.password().withChars(p -> {
            try {
                return DriverManager.getConnection(pg.jdbcUrl(), c.username(), new String(p));
            } catch (SQLException e) {
                throw new IllegalStateException(e.getSQLState(), e);
            }
        })) {
            return conn.isValid(2);
        } catch (IllegalStateException e) {
            // 28P01: invalid password (a role past VALID UNTIL, or dropped)
            assertThat(e.getMessage()).isEqualTo("28P01");
            return false;
        } catch (SQLException e) {
            return false;
        }
    }

    private static void awaitLiveUsers(SimulatedDatabase db, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (db.liveUsers().size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(db.liveUsers()).hasSize(count);
    }

    private static void awaitDropped(SimulatedDatabase db, String user) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!db.droppedUsers().contains(user) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(db.droppedUsers()).contains(user);
    }
}
