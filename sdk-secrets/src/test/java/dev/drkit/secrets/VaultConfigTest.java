package dev.drkit.secrets;

import dev.drkit.core.resilience.ResiliencePolicies;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.time.ManualTicker;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VaultConfigTest {

    private final VaultAuth auth = VaultAuth.appRole(() -> Secret.ofString("role-id-0001", "r"),
        () -> Secret.ofString("secret-id-0001", "s"));

    @Test
    void rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> VaultConfig.builder(URI.create("ftp://vault:8200"), auth))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("address must be http(s)");
        assertThatThrownBy(() -> VaultConfig.builder(URI.create("https://user:pw@vault:8200"), auth))
            .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("pw");
        VaultConfig.Builder b = VaultConfig.builder(URI.create("https://vault:8200"), auth);
        assertThatThrownBy(() -> b.renewFraction(1.0)).hasMessage("renewFraction must be between 0.1 and 0.9, but was 1.0");
        assertThatThrownBy(() -> b.renewJitter(0.6)).hasMessage("renewJitter must be between 0 and 0.5, but was 0.6");
        assertThatThrownBy(() -> b.requestTimeout(Duration.ZERO))
            .hasMessage("requestTimeout must be positive and at most PT10M, but was PT0S");
        assertThatThrownBy(() -> b.kvCacheTtl(Duration.ofSeconds(-1)))
            .hasMessage("kvCacheTtl must be between PT0S and PT8760H, but was PT-1S");
        assertThatThrownBy(() -> b.name(" ")).hasMessageContaining("name must be");
        assertThatThrownBy(() -> auth.atMount("../sys")).hasMessageContaining("mount must be");
        assertThatThrownBy(() -> b.kvCacheTtl(Duration.ofMinutes(10)).maxStaleness(Duration.ofMinutes(5)).build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("maxStaleness (PT5M) must not be shorter than kvCacheTtl (PT10M)");
    }

    @Test
    void keepsEveryValueThroughToBuilderAndShowsNoSecret() {
        VaultConfig c = VaultConfig.builder(URI.create("https://vault:8200"), auth).name("orders")
            .kvCacheTtl(Duration.ofSeconds(5)).maxStaleness(Duration.ofSeconds(50)).renewFraction(0.5)
            .allowRootToken(true).revokeOnClose(false).build();
        VaultConfig copy = c.toBuilder().build();
        assertThat(copy.name()).isEqualTo("orders");
        assertThat(copy.kvCacheTtl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(copy.maxStaleness()).isEqualTo(Duration.ofSeconds(50));
        assertThat(copy.renewFraction()).isEqualTo(0.5);
        assertThat(copy.allowRootToken()).isTrue();
        assertThat(copy.revokeOnClose()).isFalse();
        assertThat(c.toString()).contains("orders", "APPROLE").doesNotContain("role-id-0001", "secret-id-0001");
    }

    @Test
    void rejectsValuesOutsideSensibleBoundsNamingTheSettingAndTheRange() {
        VaultConfig.Builder b = VaultConfig.builder(URI.create("https://vault:8200"), auth);
        // a retry every nanosecond, or a 1 h token renewed every 3.6 microseconds
        assertThatThrownBy(() -> b.minRetryDelay(Duration.ofNanos(1))).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("minRetryDelay must be between PT0.01S and PT10M, but was PT0.000000001S");
        assertThatThrownBy(() -> b.maxRetryDelay(Duration.ofMillis(9)))
            .hasMessage("maxRetryDelay must be between PT0.01S and PT1H, but was PT0.009S");
        assertThatThrownBy(() -> b.renewFraction(1e-9)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("renewFraction must be between 0.1 and 0.9, but was 1.0E-9");
        assertThatThrownBy(() -> b.renewFraction(0.999))
            .hasMessage("renewFraction must be between 0.1 and 0.9, but was 0.999");
        // durations that overflow nanoseconds used to fail later, from start(), with an ArithmeticException
        assertThatThrownBy(() -> b.maxRetryDelay(Duration.ofDays(365L * 300))).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("maxRetryDelay must be between PT0.01S and PT1H, but was PT2628000H");
        assertThatThrownBy(() -> b.maxStaleness(Duration.ofSeconds(Long.MAX_VALUE)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("maxStaleness must be between PT0S and PT8760H");
        assertThatThrownBy(() -> b.kvCacheTtl(Duration.ofDays(366))).hasMessageStartingWith("kvCacheTtl must be between");
        assertThatThrownBy(() -> b.requestTimeout(Duration.ofHours(1))).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("requestTimeout must be positive and at most PT10M, but was PT1H");
        assertThatThrownBy(() -> b.connectTimeout(Duration.ofSeconds(Long.MAX_VALUE)))
            .hasMessageStartingWith("connectTimeout must be positive and at most PT10M");

        VaultConfig edges = b.minRetryDelay(Duration.ofMillis(10)).maxRetryDelay(Duration.ofHours(1)).renewFraction(0.1)
            .kvCacheTtl(Duration.ofDays(365)).maxStaleness(Duration.ofDays(365)).requestTimeout(Duration.ofMinutes(10))
            .build();
        assertThat(edges.minRetryDelay()).isEqualTo(Duration.ofMillis(10));
        assertThat(edges.toBuilder().renewFraction(0.9).build().renewFraction()).isEqualTo(0.9);
    }

    @Test
    void rebuildsTheDefaultPoliciesForANewNameButKeepsExplicitOnes() {
        VaultConfig base = VaultConfig.builder(URI.create("https://vault:8200"), auth).build();
        assertThat(base.policies().name()).isEqualTo("vault");
        VaultConfig renamed = base.toBuilder().name("orders").build();
        assertThat(renamed.policies().name()).isEqualTo("orders");
        assertThat(renamed.policies().maxAttempts()).isEqualTo(VaultConfig.DEFAULT_MAX_ATTEMPTS);
        ManualTicker ticker = new ManualTicker();
        assertThat(renamed.toBuilder().ticker(ticker).build().policies().ticker()).isSameAs(ticker);

        ResiliencePolicies own = ResiliencePolicies.builder("shared").maxAttempts(5).build();
        VaultConfig explicit = base.toBuilder().policies(own).build().toBuilder().name("billing").build();
        assertThat(explicit.name()).isEqualTo("billing");
        assertThat(explicit.policies()).isSameAs(own);
    }
}
