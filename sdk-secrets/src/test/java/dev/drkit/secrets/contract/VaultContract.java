package dev.drkit.secrets.contract;

import dev.drkit.core.resilience.ResiliencePolicies;
import dev.drkit.core.secret.Secret;
import dev.drkit.secrets.KvSecret;
import dev.drkit.secrets.LeakTripwire;
import dev.drkit.secrets.TokenInfo;
import dev.drkit.secrets.VaultAuth;
import dev.drkit.secrets.VaultAuthException;
import dev.drkit.secrets.VaultClient;
import dev.drkit.secrets.VaultConfig;
import dev.drkit.secrets.VaultException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What drkit's Vault client needs from Vault, as one suite: run against the simulated Vault (always) and a real
 * Vault in a container (where Docker is available), so the stand-in stays faithful to the real thing.
 */
abstract class VaultContract {

    @TempDir
    Path dir;

    /** The backend, shared by the tests of a class. */
    abstract VaultBackend backend();

    private VaultConfig config(VaultAuth auth) {
        return VaultConfig.builder(backend().address(), auth)
            .name("contract")
            .tripwire(LeakTripwire.create())
            .kvCacheTtl(Duration.ZERO)
            .policies(ResiliencePolicies.builder("contract").maxAttempts(2).initialBackoff(Duration.ofMillis(20)).build())
            .build();
    }

    private VaultAuth files(String roleId, String secretId) throws IOException {
        String id = UUID.randomUUID().toString();
        return VaultAuth.appRoleFiles(file("role-" + id, roleId), file("secret-" + id, secretId));
    }

    private Path file(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    @Test
    void logsInWithAppRoleAndReportsTheToken() throws Exception {
        String roleId = backend().appRole("contract-login", Duration.ofSeconds(120), Duration.ofSeconds(600));
        try (VaultClient client = VaultClient.start(config(files(roleId, backend().newSecretId("contract-login"))))) {
            TokenInfo token = client.lookupToken();
            assertThat(token.renewable()).isTrue();
            assertThat(token.policies()).contains("default", "app");
            assertThat(token.ttl().toSeconds()).isBetween(100L, 120L);
            assertThat(token.isRoot()).isFalse();
        }
    }

    @Test
    void readsKvVersionTwoWithVersionsAndKvVersionOne() throws Exception {
        backend().putKv2("contract/api", Map.of("key", "contract-v1"));
        backend().putKv2("contract/api", Map.of("key", "contract-v2"));
        backend().putKv1("contract/db", Map.of("password", "contract-kv1"));
        String roleId = backend().appRole("contract-kv", Duration.ofSeconds(120), Duration.ofSeconds(600));
        try (VaultClient client = VaultClient.start(config(files(roleId, backend().newSecretId("contract-kv"))))) {
            KvSecret latest = client.kv("secret").read("contract/api");
            assertThat(latest.version()).hasValue(2);
            assertThat(text(latest, "key")).isEqualTo("contract-v2");
            assertThat(text(client.kv2("secret").read("contract/api", 1), "key")).isEqualTo("contract-v1");
            assertThat(text(client.kv("kv").read("contract/db"), "password")).isEqualTo("contract-kv1");
            assertThatThrownBy(() -> client.kv2("secret").read("contract/none"))
                .isInstanceOfSatisfying(VaultException.class,
                    e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.NOT_FOUND));
        }
    }

    @Test
    void refusesAWrongSecretId() throws Exception {
        String roleId = backend().appRole("contract-refused", Duration.ofSeconds(120), Duration.ofSeconds(600));
        VaultConfig config = config(files(roleId, UUID.randomUUID().toString()));
        assertThatThrownBy(() -> VaultClient.start(config))
            .isInstanceOfSatisfying(VaultAuthException.class, e -> assertThat(e.status()).hasValue(400));
    }

    @Test
    void unwrapsAWrappedSecretIdOnlyOnce() throws Exception {
        String roleId = backend().appRole("contract-wrapped", Duration.ofSeconds(120), Duration.ofSeconds(600));
        String wrapping = backend().wrappedSecretId("contract-wrapped");
        VaultAuth auth = VaultAuth.appRoleWrapped(() -> Secret.ofString(roleId, "role-id"),
            () -> Secret.ofString(wrapping, "wrapping-token"));
        try (VaultClient client = VaultClient.start(config(auth))) {
            assertThat(client.isLoggedIn()).isTrue();
        }
        assertThatThrownBy(() -> VaultClient.start(config(auth))).isInstanceOf(VaultAuthException.class);
    }

    @Test
    void logsInAgainAfterItsTokenWasRevoked() throws Exception {
        backend().putKv2("contract/revoked", Map.of("key", "still-readable"));
        String roleId = backend().appRole("contract-revoked", Duration.ofSeconds(120), Duration.ofSeconds(600));
        try (VaultClient client = VaultClient.start(config(files(roleId, backend().newSecretId("contract-revoked"))))) {
            backend().revokeLoginTokens();
            assertThat(text(client.kv2("secret").read("contract/revoked"), "key")).isEqualTo("still-readable");
            assertThat(client.stats().logins()).isEqualTo(2);
        }
    }

    private static String text(KvSecret s, String key) {
        try (Secret v = s.secret(key)) {
            return v.withChars(String::new);
        }
    }
}
