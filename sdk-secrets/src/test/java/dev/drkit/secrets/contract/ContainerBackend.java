package dev.drkit.secrets.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The contract's backend on a real Vault in dev mode (a Testcontainers {@code hashicorp/vault} container), set up
 * through Vault's HTTP API with the root token.
 */
final class ContainerBackend implements VaultBackend {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI address;
    private final String rootToken;
    private final HttpClient http = HttpClient.newHttpClient();

    ContainerBackend(URI address, String rootToken) {
        this.address = address;
        this.rootToken = rootToken;
        // Dev mode mounts KV v2 at secret/; add KV v1 at kv/, AppRole, and the app policy.
        call("POST", "sys/mounts/kv", Map.of("type", "kv", "options", Map.of("version", "1")), Map.of());
        call("POST", "sys/auth/approle", Map.of("type", "approle"), Map.of());
        call("PUT", "sys/policies/acl/app", Map.of("policy",
            "path \"secret/*\" { capabilities = [\"read\"] }\npath \"kv/*\" { capabilities = [\"read\"] }\n"), Map.of());
    }

    @Override
    public URI address() {
        return address;
    }

    @Override
    public String appRole(String name, Duration tokenTtl, Duration tokenMaxTtl) {
        call("POST", "auth/approle/role/" + name, Map.of("token_policies", List.of("app"),
            "token_ttl", tokenTtl.toSeconds() + "s", "token_max_ttl", tokenMaxTtl.toSeconds() + "s"), Map.of());
        return call("GET", "auth/approle/role/" + name + "/role-id", null, Map.of()).at("/data/role_id").asText();
    }

    @Override
    public String newSecretId(String role) {
        return call("POST", "auth/approle/role/" + role + "/secret-id", Map.of(), Map.of()).at("/data/secret_id").asText();
    }

    @Override
    public String wrappedSecretId(String role) {
        return call("POST", "auth/approle/role/" + role + "/secret-id", Map.of(), Map.of("X-Vault-Wrap-TTL", "120s"))
            .at("/wrap_info/token").asText();
    }

    @Override
    public void putKv2(String path, Map<String, String> data) {
        call("POST", "secret/data/" + path, Map.of("data", data), Map.of());
    }

    @Override
    public void putKv1(String path, Map<String, String> data) {
        call("POST", "kv/" + path, data, Map.of());
    }

    @Override
    public void revokeLoginTokens() {
        call("PUT", "sys/leases/revoke-prefix/auth/approle/login", Map.of(), Map.of());
    }

    @Override
    public void close() {
        // the container stops with the test class
    }

    private JsonNode call(String method, String path, Object body, Map<String, String> headers) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(address.resolve("/v1/" + path))
                .header("X-Vault-Token", rootToken)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            headers.forEach(b::header);
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() >= 300) {
                throw new IllegalStateException("Vault setup " + method + " " + path + ": HTTP " + r.statusCode());
            }
            return r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("Vault setup " + method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
