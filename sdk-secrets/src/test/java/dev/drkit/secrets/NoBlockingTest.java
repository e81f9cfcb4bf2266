package dev.drkit.secrets;

import dev.drkit.core.secret.Secret;
import dev.drkit.secrets.vault.SimulatedVault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads never wait for a renewal: the renewal runs on the client's own thread, reads only look at the cache. */
class NoBlockingTest {

    @TempDir
    Path dir;

    @Test
    void aCachedReadCompletesWhileARenewalIsStuckInVault() throws Exception {
        try (SimulatedVault vault = SimulatedVault.start()) {
            vault.mountKv("secret", 2).policy("app", "secret/").putKv("secret", "app", Map.of("key", "no-wait-value"));
            SimulatedVault.AppRole role = vault.appRole("app", SimulatedVault.AppRoleSettings.of(List.of("app"),
                Duration.ofSeconds(3), Duration.ofSeconds(600)));
            VaultConfig config = VaultConfig.builder(vault.address(), VaultAuth.appRole(
                    () -> Secret.ofString(role.roleId(), "role-id"), () -> Secret.ofString(vault.newSecretId(role), "sid")))
                .name("no-blocking").tripwire(LeakTripwire.create()).renewJitter(0)
                .kvCacheTtl(Duration.ofMinutes(5)).maxStaleness(Duration.ofMinutes(10))
                .requestTimeout(Duration.ofSeconds(30)).revokeOnClose(false).build();
            try (VaultClient client = VaultClient.start(config)) {
                client.kv2("secret").read("app");
                vault.slow(Duration.ofSeconds(3));                   // the renewal due at 2 s will hang in Vault

                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (vault.requests("auth/token/renew-self") == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(vault.requests("auth/token/renew-self")).isEqualTo(1);
                KvSecret read = client.kv2("secret").read("app");  // while the renewal is still in flight
                assertThat(client.stats().tokenRenewals()).isZero();
                assertThat(read.isStale()).isFalse();
                assertThat(client.stats().kvCacheHits()).isEqualTo(1);
                vault.slow(Duration.ZERO);
            }
        }
    }
}
