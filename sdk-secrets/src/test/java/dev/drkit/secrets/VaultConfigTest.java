package dev.drkit.secrets;

import dev.drkit.core.secret.Secret;
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
        assertThatThrownBy(() -> b.renewFraction(1.0)).hasMessage("renewFraction must be strictly between 0 and 1, but was 1.0");
        assertThatThrownBy(() -> b.renewJitter(0.6)).hasMessage("renewJitter must be between 0 and 0.5, but was 0.6");
        assertThatThrownBy(() -> b.requestTimeout(Duration.ZERO)).hasMessage("requestTimeout must be positive, but was PT0S");
        assertThatThrownBy(() -> b.kvCacheTtl(Duration.ofSeconds(-1))).hasMessageContaining("kvCacheTtl must not be negative");
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
}
