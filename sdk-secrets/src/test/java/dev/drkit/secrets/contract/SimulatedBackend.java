package dev.drkit.secrets.contract;

import dev.drkit.secrets.vault.SimulatedVault;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The contract's backend on the simulated Vault. */
final class SimulatedBackend implements VaultBackend {

    private final SimulatedVault vault = SimulatedVault.start();
    private final Map<String, SimulatedVault.AppRole> roles = new HashMap<>();

    SimulatedBackend() {
        vault.mountKv("secret", 2).mountKv("kv", 1).policy("app", "secret/", "kv/");
    }

    @Override
    public URI address() {
        return vault.address();
    }

    @Override
    public String appRole(String name, Duration tokenTtl, Duration tokenMaxTtl) {
        SimulatedVault.AppRole role = vault.appRole(name, SimulatedVault.AppRoleSettings.of(List.of("app"), tokenTtl,
            tokenMaxTtl));
        roles.put(name, role);
        return role.roleId();
    }

    @Override
    public String newSecretId(String role) {
        return vault.newSecretId(roles.get(role));
    }

    @Override
    public String wrappedSecretId(String role) {
        return vault.newWrappedSecretId(roles.get(role), Duration.ofSeconds(120));
    }

    @Override
    public void putKv2(String path, Map<String, String> data) {
        vault.putKv("secret", path, data);
    }

    @Override
    public void putKv1(String path, Map<String, String> data) {
        vault.putKv("kv", path, data);
    }

    @Override
    public void revokeLoginTokens() {
        roles.values().forEach(vault::revokeTokensOf);
    }

    @Override
    public void close() {
        vault.close();
    }
}
