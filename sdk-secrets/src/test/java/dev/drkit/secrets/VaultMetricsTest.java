package dev.drkit.secrets;

import dev.drkit.secrets.micrometer.VaultMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class VaultMetricsTest {

    @TempDir
    Path dir;

    @Test
    void countsLoginsRenewalsAndReadsAndTagsOnlyTheClientName() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            f.vault.putKv("secret", "app", Map.of("key", "metric-secret-value"));
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(60),
                Duration.ofSeconds(600)))).build());
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            VaultMetrics.of(client).bindTo(registry);

            client.kv2("secret").read("app");
            client.kv2("secret").read("app");
            f.advance(Duration.ofSeconds(41));
            f.vault.down();
            f.advance(Duration.ofSeconds(10));
            client.kv2("secret").read("app");

            assertThat(registry.get("drkit.secrets.logins").tag("outcome", "success").functionCounter().count())
                .isEqualTo(1);
            assertThat(registry.get("drkit.secrets.renewals").tag("what", "token").functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("drkit.secrets.kv.reads").tag("result", "hit").functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("drkit.secrets.kv.reads").tag("result", "stale").functionCounter().count())
                .isEqualTo(1);
            assertThat(registry.get("drkit.secrets.token.time.left").gauge().value()).isEqualTo(49.0);
            assertThat(registry.get("drkit.secrets.cache.staleness").gauge().value()).isEqualTo(51.0);
            for (Meter m : registry.getMeters()) {
                for (Tag t : m.getId().getTags()) {
                    assertThat(t.getKey()).isIn("client", "outcome", "what", "result", "role");
                    assertThat(t.getValue()).doesNotContain("metric-secret-value", "hvs.");
                }
            }
        }
    }

    @Test
    void aStaticTokenThatExpiredShowsInAGauge() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            String token = f.vault.createToken(java.util.List.of("app"), Duration.ofSeconds(60), Duration.ofSeconds(60),
                false);
            VaultClient client = f.start(f.config(VaultAuth.token(() -> dev.drkit.core.secret.Secret.ofString(token,
                "token"))).build());
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            VaultMetrics.of(client).bindTo(registry);

            assertThat(registry.get("drkit.secrets.token.expired").tag("client", "test").gauge().value()).isZero();
            f.advance(Duration.ofSeconds(61));
            assertThat(registry.get("drkit.secrets.token.expired").gauge().value()).isEqualTo(1.0);
            assertThat(client.stats().toString()).contains("staticTokenExpired").doesNotContain(token);
        }
    }

    @Test
    void theStalenessGaugeDropsToZeroOnceVaultAnswersAgainThoughTheValueIsNotReadAgain() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            f.vault.putKv("secret", "app", Map.of("key", "metric-secret-value"));
            VaultClient client = f.start(f.config(f.appRoleFiles(f.role(Duration.ofSeconds(60),
                Duration.ofSeconds(600)))).build());
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            VaultMetrics.of(client).bindTo(registry);
            client.kv2("secret").read("app");

            f.vault.down();
            f.advance(Duration.ofSeconds(30));
            assertThat(client.kv2("secret").read("app").isStale()).isTrue();
            f.advance(Duration.ofSeconds(5));
            assertThat(registry.get("drkit.secrets.cache.staleness").gauge().value()).isEqualTo(35.0);

            f.vault.up();
            f.advance(Duration.ofSeconds(10));                    // the token's renewal at 40 s: Vault answers again
            assertThat(client.stats().tokenRenewals()).isEqualTo(1);
            assertThat(registry.get("drkit.secrets.cache.staleness").gauge().value()).isZero();
            f.advance(Duration.ofSeconds(60));
            assertThat(client.staleness()).isZero();
        }
    }
}
