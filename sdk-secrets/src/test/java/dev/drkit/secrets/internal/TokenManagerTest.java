package dev.drkit.secrets.internal;

import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.SecretSource;
import dev.drkit.core.time.ManualTicker;
import dev.drkit.secrets.LeakTripwire;
import dev.drkit.secrets.VaultAuth;
import dev.drkit.secrets.VaultConfig;
import dev.drkit.secrets.vault.SimulatedVault;
import dev.drkit.secrets.vault.VaultClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** What the token manager holds when it is closed; background work is not run here. */
class TokenManagerTest {

    final ManualTicker ticker = new ManualTicker();
    final SimulatedVault vault = SimulatedVault.start(VaultClock.following(ticker));
    final SimulatedVault.AppRole role = vault.policy("app", "kv/")
        .appRole("app", SimulatedVault.AppRoleSettings.of(List.of("app"), Duration.ofSeconds(60), Duration.ofSeconds(600)));
    final SecretSource roleId = () -> Secret.ofString(role.roleId(), "role-id");

    @AfterEach
    void tearDown() {
        vault.close();
    }

    @Test
    void closeWipesTheCurrentTokenAndTheOneItReplaced() {
        TokenManager tokens = manager(() -> Secret.ofString(vault.newSecretId(role), "secret-id"));
        tokens.start();
        Secret first = tokens.token();
        vault.revokeTokensOf(role);
        assertThat(tokens.reloginAfterDenied(1)).isTrue();
        Secret second = tokens.token();
        assertThat(first.isClosed()).isFalse();                 // requests in flight may still send it

        tokens.close();
        assertThat(first.isClosed()).isTrue();
        assertThat(second.isClosed()).isTrue();
    }

    @Test
    void aLoginInFlightWhileClosingLeavesNoLiveToken() throws Exception {
        AtomicBoolean hold = new AtomicBoolean();
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        TokenManager tokens = manager(() -> {
            if (hold.get()) {
                asked.countDown();
                await(go);
            }
            return Secret.ofString(vault.newSecretId(role), "secret-id");
        });
        tokens.start();
        vault.revokeTokensOf(role);
        hold.set(true);

        Thread request = new Thread(() -> tokens.reloginAfterDenied(1));  // a read got 403: logging in again
        request.start();
        assertThat(asked.await(10, TimeUnit.SECONDS)).isTrue();
        Thread closer = new Thread(tokens::close);
        closer.start();
        for (int i = 0; i < 1000 && closer.getState() != Thread.State.BLOCKED; i++) {
            Thread.sleep(10);
        }
        assertThat(closer.getState()).isEqualTo(Thread.State.BLOCKED);
        go.countDown();
        request.join(10_000);
        closer.join(10_000);

        assertThat(vault.liveTokensOf(role)).isZero();
    }

    @Test
    void aRenewalRefusedWhileARequestLogsInAgainLeavesTheNewTokenAlone() throws Exception {
        AtomicInteger secretIdsAsked = new AtomicInteger();
        IdleScheduler scheduler = new IdleScheduler();
        TokenManager tokens = manager(() -> {
            secretIdsAsked.incrementAndGet();
            return Secret.ofString(vault.newSecretId(role), "secret-id");
        }, scheduler);
        tokens.start();
        Runnable renewal = scheduler.last;
        vault.revokeTokensOf(role);
        vault.slow(Duration.ofMillis(500));

        Thread renewing = new Thread(renewal);                      // renews the first token: Vault will say 403
        renewing.start();
        for (int i = 0; i < 1000 && vault.requests("auth/token/renew-self") == 0; i++) {
            Thread.sleep(5);
        }
        assertThat(tokens.reloginAfterDenied(1)).isTrue();          // meanwhile a read got 403 and logged in again
        renewing.join(10_000);

        assertThat(tokens.generation()).isEqualTo(2);
        assertThat(secretIdsAsked).hasValue(2);                     // not a second login for the same revocation
        tokens.close();
    }

    private TokenManager manager(SecretSource secretId) {
        return manager(secretId, new IdleScheduler());
    }

    private TokenManager manager(SecretSource secretId, TaskScheduler scheduler) {
        VaultConfig config = VaultConfig.builder(vault.address(), VaultAuth.appRole(roleId, secretId))
            .name("test")
            .ticker(ticker)
            .tripwire(LeakTripwire.create())
            .build();
        Stats stats = new Stats();
        return new TokenManager(config, new VaultHttp(config, stats), scheduler, stats, new Random(1));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Never runs anything: these tests drive the manager by hand. Keeps the task scheduled last, so that a test can
     * run it as if it were already running.
     */
    private static final class IdleScheduler implements TaskScheduler {
        volatile Runnable last;

        @Override
        public Cancellable schedule(Runnable task, long delayNanos) {
            last = task;
            return () -> { };
        }

        @Override
        public void close() {
        }
    }
}
