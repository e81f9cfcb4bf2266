package dev.drkit.secrets;

import ch.qos.logback.classic.Level;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.SecretFileException;
import dev.drkit.core.secret.SecretSource;
import dev.drkit.core.secret.SecretUnavailableException;
import dev.drkit.core.secret.Secrets;
import dev.drkit.core.time.Ticker;
import dev.drkit.secrets.micrometer.VaultMetrics;
import dev.drkit.secrets.vault.SimulatedVault;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Login, renewal ahead of expiry, re-login at max TTL, and the faults around them, on a manual clock. */
class TokenLifecycleTest {

    @TempDir
    Path dir;
    Fixture f;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    @Test
    void logsInFromPrivateFilesAndReportsTheToken() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(600));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());

        assertThat(client.isLoggedIn()).isTrue();
        TokenInfo token = client.token();
        assertThat(token.ttl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(token.renewable()).isTrue();
        assertThat(token.policies()).containsExactly("default", "app");
        assertThat(client.lookupToken().ttl()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void renewsAtTwoThirdsOfTheTimeLeftAndNotBefore() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(600));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());

        f.advance(Duration.ofSeconds(39));
        assertThat(f.vault.requests("auth/token/renew-self")).isZero();
        f.advance(Duration.ofSeconds(2));
        assertThat(f.vault.requests("auth/token/renew-self")).isEqualTo(1);
        assertThat(client.stats().tokenRenewals()).isEqualTo(1);
        assertThat(client.token().ttl()).isEqualTo(Duration.ofSeconds(59));
        assertThat(client.stats().logins()).isEqualTo(1);
    }

    @Test
    void logsInAgainBeforeTheMaxTtlInsteadOfRenewingIntoIt() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(100));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());

        // renewals at 40 s (granted 60 s) and 80 s (granted 20 s: capped), then a new login before 100 s
        f.advance(Duration.ofSeconds(99));
        assertThat(client.stats().tokenRenewals()).isEqualTo(2);
        assertThat(client.stats().logins()).isEqualTo(2);
        f.advance(Duration.ofSeconds(2));
        assertThat(client.isLoggedIn()).isTrue();
        assertThat(client.lookupToken().ttl().toSeconds()).isGreaterThan(40);
    }

    @Test
    void logsInAgainWhenTheTokenIsNotRenewable() {
        SimulatedVault.AppRole role = f.vault.appRole("batch", SimulatedVault.AppRoleSettings.of(
            List.of("app"), Duration.ofSeconds(30), Duration.ofSeconds(30)).notRenewable());
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());

        f.advance(Duration.ofSeconds(25));
        assertThat(f.vault.requests("auth/token/renew-self")).isZero();
        assertThat(client.stats().logins()).isEqualTo(2);
        assertThat(client.isLoggedIn()).isTrue();
    }

    @Test
    void logsInAgainWhenTheTokenIsRevokedMidRun() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(600));
        f.vault.putKv("secret", "app/api", Map.of("key", "value-0123"));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());

        try (LogLines logs = LogLines.capture()) {
            assertThat(f.vault.revokeTokensOf(role)).isEqualTo(1);
            KvSecret read = client.kv2("secret").read("app/api");   // 403, then a new login, then the read
            assertThat(read.keys()).containsExactly("key");
            assertThat(client.stats().logins()).isEqualTo(2);

            f.vault.revokeTokensOf(role);
            f.advance(Duration.ofSeconds(41));                        // renewal gets 403 and logs in again
            assertThat(client.stats().logins()).isEqualTo(3);
            assertThat(f.vault.liveTokensOf(role)).isEqualTo(1);

            // one revocation, one warning, whichever thread found it
            assertThat(logs.lines(Level.WARN)).filteredOn(line -> line.contains("(403")).hasSize(2);
        }
    }

    @Test
    void aClockJumpOnTheServerEndsTheTokenAndTheClientRecovers() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(600));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
        f.vault.clock().jump(Duration.ofSeconds(70));             // the server thinks the token expired

        f.advance(Duration.ofSeconds(41));
        assertThat(client.stats().logins()).isEqualTo(2);
        assertThat(client.lookupToken().ttl().toSeconds()).isGreaterThan(50);
    }

    @Test
    void aSuspendedProcessWakingPastTheEndLogsInAgain() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(600));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
        f.ticker.advance(Duration.ofSeconds(300));                // both clocks jump; the renewal is long overdue

        f.advance(Duration.ZERO);
        assertThat(client.stats().logins()).isEqualTo(2);
        assertThat(client.isLoggedIn()).isTrue();
    }

    @Test
    void vaultDownAtStartThenBack() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(600));
        f.vault.putKv("kv", "app", Map.of("password", "p4ssw0rd-kv1"));
        f.vault.down();
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());

        assertThat(client.isLoggedIn()).isFalse();
        assertThatThrownBy(() -> client.kv1("kv").read("app"))
            .isInstanceOf(VaultUnavailableException.class)
            .hasMessageContaining("has not logged in");
        f.advance(Duration.ofSeconds(1));
        assertThat(client.stats().loginFailures()).isEqualTo(2);

        f.vault.up();
        f.advance(Duration.ofSeconds(2));                         // the second retry backs off: 1 to 2 s
        assertThat(client.isLoggedIn()).isTrue();
        try (Secret s = client.kv1("kv").read("app").secret("password")) {
            assertThat(s.<String>withChars(String::new)).isEqualTo("p4ssw0rd-kv1");
        }
    }

    @Test
    void renewalFailuresRetryFromTheTimeLeftAndRecover() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(600));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
        f.vault.seal();
        f.advance(Duration.ofSeconds(41));                        // renewal at 40 s fails: 20 s left
        assertThat(client.stats().renewalFailures()).isEqualTo(1);
        f.advance(Duration.ofSeconds(6));                         // retried after a third of that
        assertThat(client.stats().renewalFailures()).isEqualTo(2);

        f.vault.unseal();
        f.advance(Duration.ofSeconds(5));
        assertThat(client.stats().tokenRenewals()).isEqualTo(1);
        assertThat(client.isLoggedIn()).isTrue();
    }

    @Test
    void aSecretIdUsedUpIsReportedAndRetriedSlowly() {
        SimulatedVault.AppRole role = f.vault.appRole("once", SimulatedVault.AppRoleSettings.of(
            List.of("app"), Duration.ofSeconds(30), Duration.ofSeconds(30)).secretIds(Duration.ZERO, 1));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());

        f.advance(Duration.ofSeconds(28));                        // capped renewal at 20 s, re-login at ~27 s refused
        assertThat(client.stats().loginFailures()).isEqualTo(1);
        assertThat(client.stats().logins()).isEqualTo(1);

        f.file("secret-id", f.vault.newSecretId(role));           // an operator delivers a new secret ID
        f.advance(Duration.ofSeconds(10));
        assertThat(client.stats().logins()).isEqualTo(2);
    }

    @Test
    void aSecretIdFileUnreadableAfterARevocationIsAFailedLoginAndTheLastValueIsServed() throws Exception {
        f.vault.putKv("secret", "app/api", Map.of("key", "api-key-1"));
        f.vault.putKv("secret", "app/other", Map.of("key", "other-key-1"));
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(3600), Duration.ofSeconds(36000));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
        assertThat(client.kv2("secret").read("app/api").isStale()).isFalse();

        f.vault.revokeTokensOf(role);
        Files.setPosixFilePermissions(f.dir.resolve("secret-id"), PosixFilePermissions.fromString("rw-r--r--"));
        f.ticker.advance(Duration.ofSeconds(11));                     // past the KV cache's 10 s
        KvSecret last = client.kv2("secret").read("app/api");         // 403, login again: the file is refused

        assertThat(last.isStale()).isTrue();                          // the last known value, as in an outage
        assertThat(client.stats().loginFailures()).isEqualTo(1);
        // Nothing cached: the cause (the file), not a 403 that reads like a missing policy; tried once, not per read.
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> client.kv2("secret").read("app/other"))
                .isInstanceOfSatisfying(VaultAuthException.class,
                    e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.LOGIN_REFUSED))
                .hasMessageContaining("secret-id");
        }
        assertThat(client.stats().loginFailures()).isEqualTo(1);
    }

    @Test
    void aLoginRefusedAfterARevocationIsReportedAsSuchOnceAndTheLastValueIsServed() {
        f.vault.putKv("secret", "app/api", Map.of("key", "api-key-1"));
        f.vault.putKv("secret", "app/other", Map.of("key", "other-key-1"));
        SimulatedVault.AppRole role = f.vault.appRole("once", SimulatedVault.AppRoleSettings.of(
            List.of("app"), Duration.ofSeconds(3600), Duration.ofSeconds(36000)).secretIds(Duration.ZERO, 1));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
        assertThat(client.kv2("secret").read("app/api").isStale()).isFalse();

        f.vault.revokeTokensOf(role);                                 // and the secret ID's one use is spent
        f.ticker.advance(Duration.ofSeconds(11));                     // past the KV cache's 10 s
        KvSecret last = client.kv2("secret").read("app/api");         // 403, login again: refused

        assertThat(last.isStale()).isTrue();                          // the last known value, as in an outage
        assertThat(client.stats().loginFailures()).isEqualTo(1);
        assertThat(f.vault.requests("auth/approle/login")).isEqualTo(2);
        // Nothing cached to fall back on: the refusal itself, not a 403 that reads like a missing policy, and
        // no second login right after the first was refused.
        assertThatThrownBy(() -> client.kv2("secret").read("app/other"))
            .isInstanceOfSatisfying(VaultAuthException.class,
                e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.LOGIN_REFUSED));
        assertThat(f.vault.requests("auth/approle/login")).isEqualTo(2);

        f.file("secret-id", f.vault.newSecretId(role));               // an operator delivers a new secret ID
        f.advance(Duration.ofSeconds(11));                            // the background retry (every 10 s) logs in
        assertThat(client.stats().logins()).isEqualTo(2);
        assertThat(Fixture.text(client.kv2("secret").read("app/other"), "key")).isEqualTo("other-key-1");
    }

    @Test
    void aLoginThatFailsAfterARevocationIsNotSentAgainFromEveryRequest() throws Exception {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(3600), Duration.ofSeconds(36000));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
        int readers = 8;
        for (int i = 0; i < readers; i++) {
            f.vault.putKv("secret", "app/" + i, Map.of("key", "value-" + i));
            client.kv2("secret").read("app/" + i);
        }

        f.vault.revokeTokensOf(role);
        f.vault.loseAnswers("auth/approle/login", 100);              // Vault logs in, the answers never arrive
        f.ticker.advance(Duration.ofSeconds(11));                     // past the KV cache's 10 s
        int before = f.vault.requests("auth/approle/login");
        // Every reader meets the dead token at once; one logs in, the others wait for the background retry.
        List<KvSecret> read = new CopyOnWriteArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<Thread> threads = new java.util.ArrayList<>();
        for (int i = 0; i < readers; i++) {
            String path = "app/" + i;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    read.add(client.kv2("secret").read(path));
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertThat(failures).isEmpty();
        assertThat(read).hasSize(readers).allMatch(KvSecret::isStale);   // an outage: the last known values
        assertThatThrownBy(() -> client.kv2("secret").read("app/never-read"))
            .isInstanceOf(VaultUnavailableException.class);
        assertThat(f.vault.requests("auth/approle/login") - before).isEqualTo(1);

        f.vault.loseAnswers("auth/approle/login", 0);
        f.advance(Duration.ofSeconds(1));                             // the background retry logs in
        assertThat(client.isLoggedIn()).isTrue();
        assertThat(f.vault.requests("auth/approle/login") - before).isEqualTo(2);
        assertThat(client.kv2("secret").read("app/0").isStale()).isFalse();
    }

    @Test
    void anExpiredSecretIdIsRefusedAtStart() {
        SimulatedVault.AppRole role = f.vault.appRole("short", SimulatedVault.AppRoleSettings.of(
            List.of("app"), Duration.ofSeconds(30), Duration.ofSeconds(30)).secretIds(Duration.ofSeconds(5), 0));
        VaultAuth auth = f.appRoleFiles(role);
        f.ticker.advance(Duration.ofSeconds(6));

        assertThatThrownBy(() -> f.start(f.config(auth).build()))
            .isInstanceOfSatisfying(VaultAuthException.class, e -> {
                assertThat(e.reason()).isEqualTo(VaultException.Reason.LOGIN_REFUSED);
                assertThat(e.status()).hasValue(400);
                assertThat(e.kind().exitCode()).isEqualTo(3);
            });
    }

    @Test
    void roleFilesThatAreMissingOrTooOpenAreRefused() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(600));
        Path roleId = f.file("role-id", role.roleId());
        Path open = f.file("open-secret-id", f.vault.newSecretId(role), "rw-r--r--");

        assertThatThrownBy(() -> f.start(f.config(VaultAuth.appRoleFiles(roleId, open)).build()))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.TOO_OPEN));
        assertThatThrownBy(() -> f.start(f.config(VaultAuth.appRoleFiles(roleId, dir.resolve("none"))).build()))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.MISSING));
    }

    @Test
    void unwrapsAWrappedSecretIdOnceAndRefusesASpentWrappingToken() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(30), Duration.ofSeconds(30));
        String wrapping = f.vault.newWrappedSecretId(role, Duration.ofSeconds(120));
        SecretSource roleId = () -> Secret.ofString(role.roleId(), "role-id");
        SecretSource wrapped = () -> Secret.ofString(wrapping, "wrapping-token");

        VaultClient client = f.start(f.config(VaultAuth.appRoleWrapped(roleId, wrapped)).build());
        f.advance(Duration.ofSeconds(28));                         // a second login uses the unwrapped secret ID
        assertThat(client.stats().logins()).isEqualTo(2);
        assertThat(f.vault.requests("sys/wrapping/unwrap")).isEqualTo(1);

        assertThatThrownBy(() -> f.start(f.config(VaultAuth.appRoleWrapped(roleId, wrapped)).build()))
            .isInstanceOf(VaultAuthException.class)
            .hasMessageContaining("already unwrapped");
    }

    @Test
    void aWrappedSecretIdThatIsRefusedIsReplacedByTheNextWrappingTokenDelivered() {
        SimulatedVault.AppRole role = f.vault.appRole("once", SimulatedVault.AppRoleSettings.of(List.of("app"),
            Duration.ofSeconds(30), Duration.ofSeconds(30)).secretIds(Duration.ZERO, 1));
        Path wrapping = f.file("wrapping", f.vault.newWrappedSecretId(role, Duration.ofSeconds(600)));
        SecretSource roleId = () -> Secret.ofString(role.roleId(), "role-id");
        VaultClient client = f.start(f.config(VaultAuth.appRoleWrapped(roleId, Secrets.fileSource(wrapping))).build());

        f.advance(Duration.ofSeconds(29));                         // the login before the max TTL: secret ID used up
        assertThat(client.stats().loginFailures()).isEqualTo(1);
        f.advance(Duration.ofSeconds(20));                         // the source still gives the spent wrapping token
        assertThat(f.vault.requests("sys/wrapping/unwrap")).isEqualTo(1);
        assertThat(f.vault.requests("auth/approle/login")).isEqualTo(2);
        assertThat(client.isLoggedIn()).isFalse();

        f.file("wrapping", f.vault.newWrappedSecretId(role, Duration.ofSeconds(600)));   // an operator delivers one
        f.advance(Duration.ofSeconds(10));                         // the background retry (every 10 s) unwraps it
        assertThat(f.vault.requests("sys/wrapping/unwrap")).isEqualTo(2);
        assertThat(client.isLoggedIn()).isTrue();
        assertThat(client.stats().logins()).isEqualTo(2);
    }

    @Test
    void aRootTokenNeedsTheOptInAndWarnsAtEveryStart() {
        SecretSource root = () -> Secret.ofString(f.vault.rootToken(), "root-token");
        assertThatThrownBy(() -> f.start(f.config(VaultAuth.token(root)).build()))
            .isInstanceOfSatisfying(VaultAuthException.class,
                e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.ROOT_TOKEN_REFUSED));

        try (LogLines logs = LogLines.capture()) {
            f.start(f.config(VaultAuth.token(root)).allowRootToken(true).build());
            f.start(f.config(VaultAuth.token(root)).allowRootToken(true).build());
            assertThat(logs.lines(Level.WARN)).filteredOn(l -> l.contains("ROOT token")).hasSize(2);
        }
    }

    @Test
    void aTokenWithATrailingCarriageReturnIsRefusedAtStartWithoutShowingIt() {
        SecretSource crlf = () -> Secret.ofString("hvs.crlf-token-0123456789\r", "token");

        assertThatThrownBy(() -> f.start(f.config(VaultAuth.token(crlf)).build()))
            .isInstanceOfSatisfying(VaultAuthException.class, e -> {
                assertThat(e.reason()).isEqualTo(VaultException.Reason.MALFORMED_TOKEN);
                assertThat(e).hasMessageContaining("carriage return");
                for (Throwable t = e; t != null; t = t.getCause()) {
                    assertThat(String.valueOf(t)).doesNotContain("crlf-token");
                }
            });
        assertThat(f.vault.requests("auth/token/lookup-self")).isZero();
    }

    @Test
    void aStaticTokenThatCannotBeRenewedIsNotLoggedInWithAgainAndEndsClearly() {
        String token = f.vault.createToken(List.of("app"), Duration.ofSeconds(60), Duration.ofSeconds(60), false);
        f.vault.putKv("secret", "app/api", Map.of("key", "value-0123"));
        VaultClient client = f.start(f.config(VaultAuth.token(() -> Secret.ofString(token, "token"))).build());

        f.advance(Duration.ofSeconds(59));
        assertThat(client.stats().logins()).isEqualTo(1);
        assertThat(f.vault.requests("auth/token/lookup-self")).isEqualTo(1);
        assertThat(client.isLoggedIn()).isTrue();

        f.advance(Duration.ofSeconds(2));
        assertThat(client.isLoggedIn()).isFalse();
        assertThatThrownBy(() -> client.kv2("secret").read("app/api"))
            .isInstanceOfSatisfying(VaultAuthException.class, e -> {
                assertThat(e.reason()).isEqualTo(VaultException.Reason.NOT_RENEWABLE);
                assertThat(e).hasMessageContaining("expired").hasNoCause();
                assertThat(e.getMessage()).doesNotContain(token);
            });
        assertThat(client.stats().logins()).isEqualTo(1);
    }

    @Test
    void aStaticTokenRevokedMidRunFailsOnceClearlyServesTheLastKnownValuesAndRecoversWhenReplaced() {
        String token = f.vault.createToken(List.of("app"), Duration.ofSeconds(60), Duration.ofSeconds(600), true);
        Path file = f.file("token", token);
        f.vault.putKv("secret", "app/api", Map.of("key", "value-0123-revoked"));
        List<String> texts = new java.util.ArrayList<>();
        try (LogLines logs = LogLines.capture()) {
            VaultClient client = f.start(f.config(VaultAuth.token(Secrets.fileSource(file))).build());
            client.kv2("secret").read("app/api");

            f.advance(Duration.ofSeconds(5));
            assertThat(f.vault.revokeToken(token)).isTrue();      // an operator revokes it; the source still gives it
            f.advance(Duration.ofSeconds(6));                     // the cached value is 11 s old: Vault is asked

            KvSecret stale = client.kv2("secret").read("app/api");
            assertThat(stale.isStale()).isTrue();
            try (Secret v = stale.secret("key")) {
                assertThat(v.<String>withChars(String::new)).isEqualTo("value-0123-revoked");
            }
            texts.add(stale.toString());
            assertThat(client.isLoggedIn()).isFalse();
            assertThat(client.stats().staticTokenExpired()).isTrue();
            assertThatThrownBy(client::lookupToken)
                .isInstanceOfSatisfying(VaultAuthException.class, e -> {
                    assertThat(e.reason()).isEqualTo(VaultException.Reason.NOT_RENEWABLE);
                    assertThat(e).hasMessageContaining("expired or was revoked").hasMessageContaining("replace");
                    texts.add(e.toString());
                });

            int renewals = f.vault.requests("auth/token/renew-self");
            int lookups = f.vault.requests("auth/token/lookup-self");
            f.advance(Duration.ofSeconds(100));                   // 111 s: within maxStaleness (120 s)
            assertThat(client.kv2("secret").read("app/api").isStale()).isTrue();
            f.advance(Duration.ofSeconds(10));                    // 121 s: beyond it
            assertThatThrownBy(() -> client.kv2("secret").read("app/api"))
                .isInstanceOfSatisfying(VaultAuthException.class, e -> {
                    assertThat(e.reason()).isEqualTo(VaultException.Reason.NOT_RENEWABLE);
                    texts.add(e.toString());
                });
            assertThat(f.vault.requests("auth/token/renew-self")).isEqualTo(renewals);   // nothing futile sent
            assertThat(f.vault.requests("auth/token/lookup-self")).isEqualTo(lookups);
            assertThat(logs.lines(Level.ERROR)).hasSize(1).allMatch(l -> l.contains("expired or was revoked"));
            assertThat(client.stats().renewalFailures()).isLessThanOrEqualTo(1);

            f.file("token", f.vault.createToken(List.of("app"), Duration.ofSeconds(600), Duration.ofSeconds(600),
                true));
            f.advance(Duration.ofSeconds(10));                    // the source is asked again every maxRetryDelay
            assertThat(client.stats().logins()).isEqualTo(2);
            assertThat(client.stats().staticTokenExpired()).isFalse();
            assertThat(client.kv2("secret").read("app/api").isStale()).isFalse();
            texts.add(client.stats().toString());
            texts.add(client.toString());
            texts.addAll(logs.lines());
        }
        for (String text : texts) {
            assertThat(f.tripwire.findAllIn(text)).as(text).isEmpty();
            assertThat(text).doesNotContain(token);
        }
    }

    @Test
    void aStaticTokenReplacedAtItsSourceIsUsedAsANewLogin() {
        String first = f.vault.createToken(List.of("app"), Duration.ofSeconds(60), Duration.ofSeconds(60), false);
        Path file = f.file("token", first);
        VaultClient client = f.start(f.config(VaultAuth.token(Secrets.fileSource(file))).build());

        f.advance(Duration.ofSeconds(45));                        // at 40 s: the source still gives the same token
        f.file("token", f.vault.createToken(List.of("app"), Duration.ofSeconds(600), Duration.ofSeconds(600), true));
        f.advance(Duration.ofSeconds(10));                        // asked again a third of the time left later
        assertThat(client.stats().logins()).isEqualTo(2);
        f.advance(Duration.ofSeconds(10));
        assertThat(client.isLoggedIn()).isTrue();
        assertThat(client.lookupToken().renewable()).isTrue();
    }

    @Test
    void aStaticTokenWithUnderASecondLeftIsNotTakenForOneThatNeverExpires() {
        String token = f.vault.createToken(List.of("app"), Duration.ofSeconds(60), Duration.ofSeconds(60), false);
        f.ticker.advance(Duration.ofMillis(59_500));              // lookup-self now says ttl 0, with an expire_time
        VaultClient client = f.start(f.config(VaultAuth.token(() -> Secret.ofString(token, "token"))).build());

        f.advance(Duration.ofSeconds(1));
        assertThat(client.isLoggedIn()).isFalse();

        SecretSource root = () -> Secret.ofString(f.vault.rootToken(), "root-token");   // ttl 0, no expire_time
        VaultClient rooted = f.start(f.config(VaultAuth.token(root)).allowRootToken(true).build());
        f.advance(Duration.ofDays(1));
        assertThat(rooted.isLoggedIn()).isTrue();
        assertThat(rooted.stats().logins()).isEqualTo(1);
    }

    @Test
    void aLoginWhoseAnswerWasLostIsNotSentAgainAndSaysTheOutcomeIsUnknown() {
        SimulatedVault.AppRole role = f.vault.appRole("twice", SimulatedVault.AppRoleSettings.of(
            List.of("app"), Duration.ofSeconds(600), Duration.ofSeconds(6000)).secretIds(Duration.ZERO, 2));
        VaultAuth auth = f.appRoleFiles(role);
        f.vault.loseAnswers("auth/approle/login", 1);            // Vault logs in, the answer never arrives
        List<String> texts = new java.util.ArrayList<>();
        try (LogLines logs = LogLines.capture()) {
            VaultClient client = f.start(f.config(auth).build());

            // not sent again at once: a second login would spend the secret ID's last use on top of the lost one
            assertThat(f.vault.requests("auth/approle/login")).isEqualTo(1);
            assertThat(client.isLoggedIn()).isFalse();
            assertThat(f.vault.liveTokensOf(role)).isEqualTo(1);     // the token nobody holds: it ends with its TTL
            assertThat(logs.lines(Level.WARN)).anyMatch(l -> l.contains("outcome unknown")
                && l.contains("not sent again") && l.contains("spent one use of the secret ID"));

            f.advance(Duration.ofSeconds(1));                         // a deliberate new login, on the retry schedule
            assertThat(client.isLoggedIn()).isTrue();
            assertThat(f.vault.requests("auth/approle/login")).isEqualTo(2);
            texts.addAll(logs.lines());
        }
        for (String text : texts) {
            assertThat(f.tripwire.findAllIn(text)).as(text).isEmpty();
        }
    }

    @Test
    void aOneTimeRequestIsSentAgainOnlyIfVaultSurelyDidNotCarryItOut() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(600), Duration.ofSeconds(6000));

        // 503 (sealed or standby) and 429 (a rate limit quota) refuse a request before any of it is done
        f.vault.failNext(1, 503);
        assertThat(f.start(f.config(f.appRoleFiles(role)).build()).isLoggedIn()).isTrue();
        assertThat(f.vault.requests("auth/approle/login")).isEqualTo(2);
        f.vault.failNext(1, 429);
        assertThat(f.start(f.config(f.appRoleFiles(role)).build()).isLoggedIn()).isTrue();
        assertThat(f.vault.requests("auth/approle/login")).isEqualTo(4);

        // a 502 may come after Vault did some or all of it
        f.vault.failNext(1, 502);
        VaultClient unsure = f.start(f.config(f.appRoleFiles(role)).build());
        assertThat(unsure.isLoggedIn()).isFalse();
        assertThat(f.vault.requests("auth/approle/login")).isEqualTo(5);
    }

    @Test
    void anUnwrapWhoseAnswerWasLostIsNotSentAgainNorTakenForACompromise() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(600), Duration.ofSeconds(6000));
        String wrapping = f.vault.newWrappedSecretId(role, Duration.ofSeconds(120));
        SecretSource roleId = () -> Secret.ofString(role.roleId(), "role-id");
        SecretSource wrapped = () -> Secret.ofString(wrapping, "wrapping-token");
        f.vault.loseAnswers("sys/wrapping/unwrap", 1);           // Vault unwraps, the answer never arrives
        List<String> texts = new java.util.ArrayList<>();
        try (LogLines logs = LogLines.capture()) {
            VaultClient client = f.start(f.config(VaultAuth.appRoleWrapped(roleId, wrapped)).build());
            assertThat(f.vault.requests("sys/wrapping/unwrap")).isEqualTo(1);
            assertThat(client.isLoggedIn()).isFalse();
            assertThat(logs.lines(Level.WARN)).anyMatch(l -> l.contains("outcome unknown")
                && l.contains("deliver a new wrapping token"));

            f.advance(Duration.ofSeconds(1));                         // the next attempt finds the token spent
            assertThat(f.vault.requests("sys/wrapping/unwrap")).isEqualTo(2);
            assertThat(logs.lines(Level.ERROR)).hasSize(1).allMatch(l -> l.contains("LOGIN_REFUSED")
                && l.contains("this client's earlier unwrap whose answer was lost") && !l.contains("compromised"));
            texts.addAll(logs.lines());
        }
        for (String text : texts) {
            assertThat(f.tripwire.findAllIn(text)).as(text).isEmpty();
            assertThat(text).doesNotContain(wrapping);
        }
    }

    @Test
    void aTokenThatNeverExpiresReportsNoExpiryRatherThanNoTimeLeft() {
        SecretSource root = () -> Secret.ofString(f.vault.rootToken(), "root-token");   // ttl 0, no expire_time
        VaultClient client = f.start(f.config(VaultAuth.token(root)).allowRootToken(true).build());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        VaultMetrics.of(client).bindTo(registry);

        f.advance(Duration.ofDays(1));

        TokenInfo known = client.token();
        assertThat(known.expires()).isFalse();
        assertThat(known.ttl()).isEqualTo(TokenInfo.NO_EXPIRY);
        assertThat(known.expiresAt()).isEqualTo(Instant.MAX);
        assertThat(known.toString()).contains("never expires");
        TokenInfo asked = client.lookupToken();
        assertThat(asked.ttl()).isEqualTo(TokenInfo.NO_EXPIRY);
        assertThat(asked.expiresAt()).isEqualTo(Instant.MAX);
        assertThat(client.stats().tokenTimeLeft()).isEqualTo(TokenInfo.NO_EXPIRY);
        assertThat(registry.get("drkit.secrets.token.time.left").gauge().value()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(f.vault.requests("auth/token/renew-self")).isZero();
        assertThat(client.stats().logins()).isEqualTo(1);
        assertThat(client.stats().staticTokenExpired()).isFalse();

        // a token that does expire still reports its time left
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(600));
        TokenInfo expiring = f.start(f.config(f.appRoleFiles(role)).build()).token();
        assertThat(expiring.expires()).isTrue();
        assertThat(expiring.ttl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(expiring.expiresAt()).isEqualTo(f.clock.instant().plusSeconds(60));
    }

    @Test
    void aTokenThatNeverExpiresIsLoggedInWhateverTheTickerReads() {
        SecretSource root = () -> Secret.ofString(f.vault.rootToken(), "root-token");
        // System.nanoTime() may read negative: "now - end < 0" with end = Long.MAX_VALUE then overflows
        Ticker negative = () -> f.ticker.nanos() - Long.MAX_VALUE / 2;
        VaultClient client = f.start(f.config(VaultAuth.token(root)).allowRootToken(true).ticker(negative).build());

        f.advance(Duration.ofDays(1));

        assertThat(client.isLoggedIn()).isTrue();
        assertThat(client.stats().staticTokenExpired()).isFalse();
        assertThat(client.stats().logins()).isEqualTo(1);
    }

    @Test
    void theTokenTheSourceGaveIsClosedOnceCopied() {
        String token = f.vault.createToken(List.of("app"), Duration.ofSeconds(600), Duration.ofSeconds(600), true);
        List<Secret> given = new CopyOnWriteArrayList<>();
        f.start(f.config(VaultAuth.token(() -> {
            Secret s = Secret.ofString(token, "token");
            given.add(s);
            return s;
        })).build());

        assertThat(given).isNotEmpty().allMatch(Secret::isClosed);
    }

    @Test
    void theSecretIdIsClosedWhenTheRoleIdCannotBeRead() {
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(600));
        List<Secret> given = new CopyOnWriteArrayList<>();
        SecretSource roleId = () -> {
            throw new SecretUnavailableException("no role ID", "test", Map.of(), null);
        };
        SecretSource secretId = () -> {
            Secret s = Secret.ofString(f.vault.newSecretId(role), "secret-id");
            given.add(s);
            return s;
        };

        assertThatThrownBy(() -> f.start(f.config(VaultAuth.appRole(roleId, secretId)).build()))
            .isInstanceOf(SecretUnavailableException.class);
        assertThat(given).hasSize(1).allMatch(Secret::isClosed);
    }
}
