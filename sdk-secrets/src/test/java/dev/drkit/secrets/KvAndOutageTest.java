package dev.drkit.secrets;

import dev.drkit.core.resilience.ResiliencePolicies;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.SecretSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** KV v1 and v2 reads, the cache, and last-known-good values through outages, on a manual clock. */
class KvAndOutageTest {

    @TempDir
    Path dir;
    Fixture f;
    VaultClient client;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        f.vault.putKv("kv", "app/db", Map.of("password", "kv1-password-1"));
        f.vault.putKv("secret", "app/api", Map.of("key", "api-key-version-1", "port", 8443));
        f.vault.putKv("secret", "app/api", Map.of("key", "api-key-version-2", "port", 8443));
        client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(3600), Duration.ofSeconds(36000)))).build());
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    @Test
    void readsKvV1AndV2WithVersionsAndMetadata() {
        KvSecret v1 = client.kv1("kv").read("app/db");
        assertThat(v1.version()).isEmpty();
        assertThat(Fixture.text(v1, "password")).isEqualTo("kv1-password-1");

        KvSecret latest = client.kv2("secret").read("app/api");
        assertThat(latest.version()).hasValue(2);
        assertThat(latest.createdTime()).isPresent();
        assertThat(latest.keys()).containsExactlyInAnyOrder("key", "port");
        assertThat(Fixture.text(latest, "key")).isEqualTo("api-key-version-2");
        assertThat(Fixture.text(latest, "port")).isEqualTo("8443");
        assertThat(Fixture.text(client.kv2("secret").read("app/api", 1), "key")).isEqualTo("api-key-version-1");
        assertThat(client.kv("secret").version()).isEqualTo(2);
        assertThat(client.kv("kv").version()).isEqualTo(1);
        assertThat(latest.toString()).contains("app/api", "version=2").doesNotContain("api-key");
    }

    @Test
    void missingSecretsAndDeletedVersionsAreNotFound() {
        assertThatThrownBy(() -> client.kv2("secret").read("app/none"))
            .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.NOT_FOUND));
        f.vault.deleteKvVersion("secret", "app/api", 1);
        assertThatThrownBy(() -> client.kv2("secret").read("app/api", 1))
            .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.status()).hasValue(404));
        assertThatThrownBy(() -> client.kv1("kv").read("app/api", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> client.kv2("secret").read("../sys/health")).isInstanceOf(IllegalArgumentException.class);
        // a path a URL cannot carry is the caller's mistake, not an outage of Vault ("stopped by the policies")
        for (String path : new String[] {"app/{env}", "app|x", "app/100%"}) {
            assertThatThrownBy(() -> client.kv2("secret").read(path)).as(path)
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a URL can carry");
        }
    }

    @Test
    void aPathOutsideThePoliciesIsDeniedWithoutALoop() {
        f.vault.mountKv("other", 2).putKv("other", "x", Map.of("k", "value-123"));
        assertThatThrownBy(() -> client.kv2("other").read("x"))
            .isInstanceOfSatisfying(VaultException.class,
                e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.PERMISSION_DENIED));
        assertThat(client.stats().logins()).isEqualTo(1);       // lookup-self shows the token works: no new login
        assertThat(f.vault.requests("auth/token/lookup-self")).isEqualTo(1);
    }

    @Test
    void servesFromTheCacheUntilItsTimeIsUp() {
        client.kv2("secret").read("app/api");
        client.kv2("secret").read("app/api");
        assertThat(f.vault.requests("secret/data/app/api")).isEqualTo(1);
        f.vault.putKv("secret", "app/api", Map.of("key", "api-key-version-3"));

        f.advance(Duration.ofSeconds(11));
        KvSecret fresh = client.kv2("secret").read("app/api");
        assertThat(fresh.version()).hasValue(3);
        assertThat(fresh.isStale()).isFalse();
        assertThat(client.stats().kvCacheHits()).isEqualTo(1);
        assertThat(client.stats().kvFetches()).isEqualTo(2);
    }

    @Test
    void servesTheLastKnownGoodValueWhileVaultIsDownUntilTooStale() {
        client.kv2("secret").read("app/api");
        f.vault.down();
        f.advance(Duration.ofSeconds(60));

        KvSecret stale = client.kv2("secret").read("app/api");
        assertThat(stale.isStale()).isTrue();
        assertThat(stale.age()).isEqualTo(Duration.ofSeconds(60));
        assertThat(Fixture.text(stale, "key")).isEqualTo("api-key-version-2");
        assertThat(client.staleness()).isEqualTo(Duration.ofSeconds(60));
        assertThat(client.stats().kvStaleReads()).isEqualTo(1);

        f.advance(Duration.ofSeconds(61));
        assertThatThrownBy(() -> client.kv2("secret").read("app/api"))
            .isInstanceOfSatisfying(VaultUnavailableException.class, e -> {
                assertThat(e.reason()).isEqualTo(VaultException.Reason.TOO_STALE);
                assertThat(e.getMessage()).contains("121s old").doesNotContain("api-key");
            });

        f.vault.up();
        f.advance(Duration.ofSeconds(1));
        assertThat(client.kv2("secret").read("app/api").isStale()).isFalse();
        assertThat(client.staleness()).isZero();
    }

    @Test
    void aRefusalFollowedByAnOutageIsAnOutageNotAPolicysAnswer() {
        client.kv2("secret").read("app/api");
        f.advance(Duration.ofSeconds(60));
        // the read is refused (a revoked token, or a policy?), then Vault cannot be asked which
        f.vault.failNext(1, 403);
        f.vault.seal();

        KvSecret stale = client.kv2("secret").read("app/api");

        assertThat(stale.isStale()).isTrue();
        assertThat(Fixture.text(stale, "key")).isEqualTo("api-key-version-2");
        assertThat(f.vault.requests("auth/token/lookup-self")).isPositive();
        assertThatThrownBy(() -> client.kv2("secret").read("app/other"))
            .isInstanceOfSatisfying(VaultUnavailableException.class,
                e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.SEALED));
    }

    @Test
    void aSealedVaultIsAnOutageToo() {
        client.kv1("kv").read("app/db");
        f.vault.seal();
        f.advance(Duration.ofSeconds(30));
        assertThat(client.kv1("kv").read("app/db").isStale()).isTrue();
        assertThatThrownBy(() -> client.kv1("kv").read("app/other"))
            .isInstanceOfSatisfying(VaultUnavailableException.class, e -> {
                assertThat(e.reason()).isEqualTo(VaultException.Reason.SEALED);
                assertThat(e.status()).hasValue(503);
            });
    }

    @Test
    void aRedirectOrA412IsAnOutageNotARefusal() {
        client.kv2("secret").read("app/api");
        f.advance(Duration.ofSeconds(11));

        f.vault.failNext(3, 307);                                   // a standby pointing at the active node, each try
        KvSecret stale = client.kv2("secret").read("app/api");
        assertThat(stale.isStale()).isTrue();
        assertThat(Fixture.text(stale, "key")).isEqualTo("api-key-version-2");

        f.vault.failNext(3, 412);                                   // a node not yet caught up
        assertThatThrownBy(() -> client.kv1("kv").read("app/db"))
            .isInstanceOfSatisfying(VaultUnavailableException.class, e -> {
                assertThat(e.reason()).isEqualTo(VaultException.Reason.SERVER_ERROR);
                assertThat(e.status()).hasValue(412);
            });

        // at start, as for an outage: logs in in the background
        f.vault.failNext(3, 302);
        VaultClient later = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(3600),
            Duration.ofSeconds(36000)))).build());
        assertThat(later.isLoggedIn()).isFalse();
        f.advance(Duration.ofSeconds(1));
        assertThat(later.isLoggedIn()).isTrue();
    }

    @Test
    void aSuccessThatIsNotVaultsAnswerDoesNotReplaceTheLastKnownValue() {
        client.kv2("secret").read("app/api");
        client.kv1("kv").read("app/db");
        f.advance(Duration.ofSeconds(11));

        f.vault.failNext(1, 200);                                   // a 200 without a data object
        KvSecret v2 = client.kv2("secret").read("app/api");
        assertThat(v2.isStale()).isTrue();
        assertThat(Fixture.text(v2, "key")).isEqualTo("api-key-version-2");
        f.vault.failNext(1, 200);
        KvSecret v1 = client.kv1("kv").read("app/db");
        assertThat(v1.isStale()).isTrue();
        assertThat(Fixture.text(v1, "password")).isEqualTo("kv1-password-1");

        f.vault.putKv("kv", "app/other", Map.of("password", "other-1"));
        f.vault.failNext(1, 200);                                   // nothing held: the failure says what came
        assertThatThrownBy(() -> client.kv1("kv").read("app/other"))
            .isInstanceOfSatisfying(VaultUnavailableException.class, e -> {
                assertThat(e.reason()).isEqualTo(VaultException.Reason.BAD_RESPONSE);
                assertThat(e.status()).hasValue(200);
            });

        f.advance(Duration.ofSeconds(1));                           // Vault answers again: a fresh reading
        KvSecret fresh = client.kv2("secret").read("app/api");
        assertThat(fresh.isStale()).isFalse();
        assertThat(Fixture.text(fresh, "key")).isEqualTo("api-key-version-2");
    }

    @Test
    void aBurstOf5xxIsRetriedAwayAnd4xxIsNeverRetried() {
        f.vault.failNext(2, 502);
        assertThat(client.kv1("kv").read("app/db").isStale()).isFalse();
        assertThat(f.vault.requests("kv/app/db")).isEqualTo(3);   // two 502s, then the answer

        int before = f.vault.requests("secret/data/app/none");
        assertThatThrownBy(() -> client.kv2("secret").read("app/none")).isInstanceOf(VaultException.class);
        assertThat(f.vault.requests("secret/data/app/none") - before).isEqualTo(1);
    }

    @Test
    void slowAnswersHitTheRequestTimeoutAndCountAsUnavailable() {
        VaultClient impatient = f.start(f.config(VaultAuth.token(() -> Secret.ofString(
                f.vault.createToken(java.util.List.of("app"), Duration.ofSeconds(600), Duration.ofSeconds(600), true),
                "token")))
            .requestTimeout(Duration.ofMillis(200))
            .policies(ResiliencePolicies.builder("impatient").maxAttempts(1).build())
            .build());
        f.vault.slow(Duration.ofMillis(600));
        assertThatThrownBy(() -> impatient.kv1("kv").read("app/db"))
            .isInstanceOfSatisfying(VaultUnavailableException.class,
                e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.UNREACHABLE));
        f.vault.slow(Duration.ZERO);
    }

    @Test
    void theCircuitBreakerFailsFastOnceVaultKeepsFailing() {
        VaultClient guarded = f.start(f.config(VaultAuth.token(() -> Secret.ofString(
                f.vault.createToken(java.util.List.of("app"), Duration.ofSeconds(600), Duration.ofSeconds(600), true),
                "token")))
            .policies(ResiliencePolicies.builder("guarded").maxAttempts(1).minimumCalls(4)
                .slidingWindow(io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType.COUNT_BASED, 4)
                .build())
            .build());
        f.vault.down();
        for (int i = 0; i < 4; i++) {
            assertThatThrownBy(() -> guarded.kv1("kv").read("app/db")).isInstanceOf(VaultUnavailableException.class);
        }
        assertThatThrownBy(() -> guarded.kv1("kv").read("app/db"))
            .isInstanceOfSatisfying(VaultUnavailableException.class,
                e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.CIRCUIT_OPEN));
    }

    @Test
    void aReadWhoseAnswerWasLostIsSimplyAskedAgain() {
        f.vault.loseAnswers("kv/app/db", 1);
        assertThat(Fixture.text(client.kv1("kv").read("app/db"), "password")).isEqualTo("kv1-password-1");
        assertThat(f.vault.requests("kv/app/db")).isEqualTo(2);   // a read may be carried out twice
    }

    @Test
    void aFullBulkheadIsReportedAsSuchNotAsAnOpenCircuitBreaker() throws Exception {
        VaultClient narrow = f.start(f.config(VaultAuth.token(() -> Secret.ofString(
                f.vault.createToken(java.util.List.of("app"), Duration.ofSeconds(600), Duration.ofSeconds(600), true),
                "token")))
            .policies(ResiliencePolicies.builder("narrow").maxAttempts(1).maxConcurrentCalls(1).build())
            .build());
        f.vault.slow(Duration.ofMillis(1500));
        java.util.concurrent.CompletableFuture<KvSecret> inFlight = java.util.concurrent.CompletableFuture.supplyAsync(
            () -> narrow.kv1("kv").read("app/db"));
        try {
            while (f.vault.requests("kv/app/db") == 0) {
                Thread.sleep(5);                                      // until the one call allowed is at Vault
            }
            assertThatThrownBy(() -> narrow.kv2("secret").read("app/api"))
                .isInstanceOfSatisfying(VaultUnavailableException.class, e -> {
                    assertThat(e.reason()).isEqualTo(VaultException.Reason.BULKHEAD_FULL);
                    assertThat(e).hasMessageContaining("bulkhead is full").hasMessageContaining("not sent");
                });
        } finally {
            f.vault.slow(Duration.ZERO);
        }
        assertThat(inFlight.join().isStale()).isFalse();
        assertThat(f.vault.requests("secret/data/app/api")).isZero();
    }

    @Test
    void aCallRefusedByTheClientsRateLimiterIsReportedAsSuchNotAsAnOpenCircuitBreaker() {
        VaultClient limited = f.start(f.config(VaultAuth.token(() -> Secret.ofString(
                f.vault.createToken(java.util.List.of("app"), Duration.ofSeconds(600), Duration.ofSeconds(600), true),
                "token")))
            .policies(ResiliencePolicies.builder("limited").maxAttempts(1).rateLimiterEnabled(true).limitForPeriod(3)
                .limitRefreshPeriod(Duration.ofMinutes(10)).rateLimiterTimeout(Duration.ZERO).build())
            .build());
        VaultUnavailableException refused = null;
        for (int i = 0; i < 10 && refused == null; i++) {
            try {
                limited.kv2("secret").read("app/api-" + i);
            } catch (VaultUnavailableException e) {
                refused = e;
            } catch (VaultException e) {
                // not found: a call Vault answered, and the limiter counted
            }
        }

        assertThat(refused).isNotNull();
        assertThat(refused.reason()).isEqualTo(VaultException.Reason.RATE_LIMITED);
        assertThat(refused).hasMessageContaining("rate limiter").hasMessageContaining("not sent");
    }

    @Test
    void aReadingReplacedByANewerOneIsWipedButTheCopiesItGaveAreNot() {
        KvSecret old = client.kv2("secret").read("app/api");
        Secret copy = old.secret("key");
        f.vault.putKv("secret", "app/api", Map.of("key", "api-key-version-3"));

        f.advance(Duration.ofSeconds(11));
        KvSecret fresh = client.kv2("secret").read("app/api");
        assertThat(fresh.version()).hasValue(3);
        assertThatThrownBy(() -> old.secret("key"))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("app/api").hasMessageContaining("wiped")
            .hasMessageNotContaining("api-key-version");
        assertThat(old.keys()).containsExactlyInAnyOrder("key", "port");   // what it was stays readable
        try (copy) {
            assertThat(copy.isClosed()).isFalse();
            assertThat(copy.<String>withChars(String::new)).isEqualTo("api-key-version-2");
        }
        assertThat(Fixture.text(fresh, "key")).isEqualTo("api-key-version-3");
    }

    @Test
    void aReadingOfADeletedSecretIsWipedAndNeverServedStale() {
        KvSecret old = client.kv2("secret").read("app/api");
        f.vault.deleteKvVersion("secret", "app/api", 2);

        f.advance(Duration.ofSeconds(11));
        assertThatThrownBy(() -> client.kv2("secret").read("app/api"))
            .isInstanceOfSatisfying(VaultException.class,
                e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.NOT_FOUND));
        assertThatThrownBy(() -> old.secret("key")).isInstanceOf(IllegalStateException.class);

        f.vault.down();
        f.advance(Duration.ofSeconds(11));
        assertThatThrownBy(() -> client.kv2("secret").read("app/api"))
            .isInstanceOfSatisfying(VaultUnavailableException.class,
                e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.UNREACHABLE));
    }

    @Test
    void closingTheClientWipesEveryReadingButNotTheCopies() {
        KvSecret latest = client.kv2("secret").read("app/api");
        KvSecret v1 = client.kv1("kv").read("app/db");
        SecretSource source = client.kv2("secret").source("app/api", "key");
        Secret fromSource = source.get();

        client.close();
        assertThatThrownBy(() -> latest.secret("key")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> v1.secret("password")).isInstanceOf(IllegalStateException.class);
        try (fromSource) {
            assertThat(fromSource.<String>withChars(String::new)).isEqualTo("api-key-version-2");
        }
        assertThatThrownBy(() -> client.kv2("secret").read("app/api"))
            .isInstanceOfSatisfying(VaultException.class,
                e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.CLOSED));
        assertThatThrownBy(source::get)
            .isInstanceOfSatisfying(VaultException.class,
                e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.CLOSED));
    }

    @Test
    void aReadInFlightWhenTheClientClosesLeavesNothingUnwiped() throws Exception {
        // Not revoking on close: the read in flight gets its answer, and the client must not keep it.
        VaultClient closing = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(3600), Duration.ofSeconds(36000))))
            .revokeOnClose(false).build());
        f.vault.slow(Duration.ofMillis(800));
        java.util.concurrent.CompletableFuture<KvSecret> read = java.util.concurrent.CompletableFuture.supplyAsync(
            () -> closing.kv1("kv").read("app/db"));
        while (f.vault.requests("kv/app/db") == 0) {
            Thread.sleep(5);
        }
        closing.close();

        assertThatThrownBy(read::join)
            .hasCauseInstanceOf(VaultException.class)
            .satisfies(e -> assertThat(((VaultException) e.getCause()).reason()).isEqualTo(VaultException.Reason.CLOSED));
    }

    @Test
    void aKvSourceFeedsABackupPassphrase() {
        SecretSource passphrase = client.kv2("secret").source("app/api", "key");
        try (Secret s = passphrase.get()) {
            assertThat(s.<String>withChars(String::new)).isEqualTo("api-key-version-2");
            assertThat(s.toString()).doesNotContain("api-key-version");
        }
        assertThat(passphrase.toString()).isEqualTo("SecretSource[vault secret/app/api#key]");
    }
}
