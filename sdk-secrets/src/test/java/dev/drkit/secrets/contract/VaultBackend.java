package dev.drkit.secrets.contract;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * A Vault the contract suite runs against, with the admin steps it needs: a KV v2 engine at {@code secret}, a KV v1
 * engine at {@code kv}, a policy {@code app} reading both, and AppRole enabled.
 */
interface VaultBackend extends AutoCloseable {

    URI address();

    /** Creates AppRole role {@code name} with policy {@code app}; returns its role ID. */
    String appRole(String name, Duration tokenTtl, Duration tokenMaxTtl);

    String newSecretId(String role);

    /** A new secret ID wrapped in a response-wrapping token; returns the wrapping token. */
    String wrappedSecretId(String role);

    void putKv2(String path, Map<String, String> data);

    void putKv1(String path, Map<String, String> data);

    /** Revokes every token issued by AppRole logins. */
    void revokeLoginTokens();

    @Override
    void close();
}
