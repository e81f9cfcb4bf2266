package dev.drkit.secrets.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drkit.core.time.ManualTicker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The simulated Vault answers as Vault's API documentation says, over real HTTP. */
class SimulatedVaultTest {

    private final ManualTicker ticker = new ManualTicker();
    private final SimulatedVault vault = SimulatedVault.start(VaultClock.following(ticker));
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @AfterEach
    void stop() {
        vault.close();
    }

    @Test
    void logsInWithAppRoleAndLooksUpItsToken() throws Exception {
        SimulatedVault.AppRole role = vault.appRole("app", SimulatedVault.AppRoleSettings.of(
            List.of("read-kv"), Duration.ofSeconds(60), Duration.ofSeconds(300)));
        Reply login = post("auth/approle/login", null,
            Map.of("role_id", role.roleId(), "secret_id", vault.newSecretId(role)));
        assertThat(login.status).isEqualTo(200);
        JsonNode auth = login.body.get("auth");
        assertThat(auth.get("lease_duration").asLong()).isEqualTo(60);
        assertThat(auth.get("renewable").asBoolean()).isTrue();
        assertThat(auth.get("policies").toString()).contains("default", "read-kv");

        Reply lookup = get("auth/token/lookup-self", auth.get("client_token").asText());
        assertThat(lookup.status).isEqualTo(200);
        assertThat(lookup.body.at("/data/ttl").asLong()).isEqualTo(60);
    }

    @Test
    void refusesAWrongSecretIdWith400AndVaultsErrorBody() throws Exception {
        SimulatedVault.AppRole role = vault.appRole("app", SimulatedVault.AppRoleSettings.of(
            List.of(), Duration.ofSeconds(60), Duration.ofSeconds(300)));
        Reply login = post("auth/approle/login", null, Map.of("role_id", role.roleId(), "secret_id", "wrong"));
        assertThat(login.status).isEqualTo(400);
        assertThat(login.body.get("errors").get(0).asText()).isEqualTo("invalid role or secret ID");
    }

    @Test
    void secretIdsRunOutOfUsesAndExpire() throws Exception {
        SimulatedVault.AppRole role = vault.appRole("app", SimulatedVault.AppRoleSettings.of(
            List.of(), Duration.ofSeconds(60), Duration.ofSeconds(300)).secretIds(Duration.ofSeconds(30), 1));
        String once = vault.newSecretId(role);
        assertThat(post("auth/approle/login", null, Map.of("role_id", role.roleId(), "secret_id", once)).status)
            .isEqualTo(200);
        assertThat(post("auth/approle/login", null, Map.of("role_id", role.roleId(), "secret_id", once)).status)
            .isEqualTo(400);

        String expiring = vault.newSecretId(role);
        ticker.advance(Duration.ofSeconds(31));
        assertThat(post("auth/approle/login", null, Map.of("role_id", role.roleId(), "secret_id", expiring)).status)
            .isEqualTo(400);
    }

    @Test
    void capsRenewalsAtTheMaxTtlAndForgetsExpiredTokens() throws Exception {
        String token = vault.createToken(List.of(), Duration.ofSeconds(60), Duration.ofSeconds(100), true);
        ticker.advance(Duration.ofSeconds(50));
        Reply renewed = post("auth/token/renew-self", token, Map.of("increment", "60s"));
        assertThat(renewed.body.at("/auth/lease_duration").asLong()).isEqualTo(50);
        assertThat(renewed.body.get("warnings").get(0).asText()).contains("capped");

        ticker.advance(Duration.ofSeconds(50));
        Reply after = get("auth/token/lookup-self", token);
        assertThat(after.status).isEqualTo(403);
        assertThat(after.body.get("errors").get(0).asText()).isEqualTo("permission denied");
    }

    @Test
    void unwrapsAWrappedSecretIdOnlyOnce() throws Exception {
        SimulatedVault.AppRole role = vault.appRole("app", SimulatedVault.AppRoleSettings.of(
            List.of(), Duration.ofSeconds(60), Duration.ofSeconds(300)));
        String wrapping = vault.newWrappedSecretId(role, Duration.ofSeconds(120));
        Reply first = post("sys/wrapping/unwrap", wrapping, Map.of());
        assertThat(first.status).isEqualTo(200);
        assertThat(first.body.at("/data/secret_id").asText()).isNotEmpty();
        Reply second = post("sys/wrapping/unwrap", wrapping, Map.of());
        assertThat(second.status).isEqualTo(400);
    }

    @Test
    void aLostAnswerIsARequestCarriedOutAndAConnectionClosedUnanswered() throws Exception {
        SimulatedVault.AppRole role = vault.appRole("app", SimulatedVault.AppRoleSettings.of(
            List.of(), Duration.ofSeconds(60), Duration.ofSeconds(300)));
        String wrapping = vault.newWrappedSecretId(role, Duration.ofSeconds(120));
        vault.loseAnswers("sys/wrapping/unwrap", 1);

        assertThatThrownBy(() -> post("sys/wrapping/unwrap", wrapping, Map.of())).isInstanceOf(IOException.class);
        assertThat(post("sys/wrapping/unwrap", wrapping, Map.of()).status).isEqualTo(400);   // it was unwrapped
    }

    @Test
    void servesKvV1AndV2WithVersionsAndMetadata() throws Exception {
        vault.mountKv("kv", 1).mountKv("secret", 2).policy("read-kv", "kv/", "secret/");
        vault.putKv("kv", "app/db", Map.of("password", "one"));
        vault.putKv("secret", "app/api", Map.of("key", "v1"));
        vault.putKv("secret", "app/api", Map.of("key", "v2"));
        String token = vault.createToken(List.of("read-kv"), Duration.ofSeconds(60), Duration.ofSeconds(60), true);

        assertThat(get("kv/app/db", token).body.at("/data/password").asText()).isEqualTo("one");
        Reply latest = get("secret/data/app/api", token);
        assertThat(latest.body.at("/data/data/key").asText()).isEqualTo("v2");
        assertThat(latest.body.at("/data/metadata/version").asInt()).isEqualTo(2);
        assertThat(get("secret/data/app/api?version=1", token).body.at("/data/data/key").asText()).isEqualTo("v1");
        assertThat(get("secret/metadata/app/api", token).body.at("/data/current_version").asInt()).isEqualTo(2);
        assertThat(get("secret/data/app/none", token).status).isEqualTo(404);
        assertThat(get("sys/internal/ui/mounts/secret", token).body.at("/data/options/version").asText())
            .isEqualTo("2");
    }

    @Test
    void deniesPathsOutsideTheTokensPolicies() throws Exception {
        vault.mountKv("secret", 2).putKv("secret", "other", Map.of("k", "v"));
        String token = vault.createToken(List.of(), Duration.ofSeconds(60), Duration.ofSeconds(60), true);
        assertThat(get("secret/data/other", token).status).isEqualTo(403);
        assertThat(get("secret/data/other", null).status).isEqualTo(403);
    }

    @Test
    void faultSwitchesSealSlowBurstAndDown() throws Exception {
        vault.seal();
        assertThat(get("sys/health", null).status).isEqualTo(503);
        assertThat(get("auth/token/lookup-self", vault.rootToken()).status).isEqualTo(503);
        vault.unseal();
        assertThat(get("sys/health", null).status).isEqualTo(200);

        vault.failNext(2, 502);
        assertThat(get("auth/token/lookup-self", vault.rootToken()).status).isEqualTo(502);
        assertThat(get("auth/token/lookup-self", vault.rootToken()).status).isEqualTo(502);
        assertThat(get("auth/token/lookup-self", vault.rootToken()).status).isEqualTo(200);

        vault.down();
        assertThatThrownBy(() -> get("sys/health", null)).isInstanceOf(ConnectException.class);
        vault.up();
        assertThat(get("sys/health", null).status).isEqualTo(200);
    }

    private Reply get(String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(vault.address() + "/v1/" + path)).GET();
        if (token != null) {
            b.header("X-Vault-Token", token);
        }
        return send(b.build());
    }

    private Reply post(String path, String token, Map<String, ?> body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(vault.address() + "/v1/" + path))
            .POST(HttpRequest.BodyPublishers.ofByteArray(SimulatedVault.JSON.writeValueAsBytes(body)));
        if (token != null) {
            b.header("X-Vault-Token", token);
        }
        return send(b.build());
    }

    private Reply send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        JsonNode body = r.body().length == 0 ? null : SimulatedVault.JSON.readTree(r.body());
        return new Reply(r.statusCode(), body);
    }

    private static final class Reply {
        final int status;
        final JsonNode body;

        Reply(int status, JsonNode body) {
            this.status = status;
            this.body = body;
        }
    }
}
