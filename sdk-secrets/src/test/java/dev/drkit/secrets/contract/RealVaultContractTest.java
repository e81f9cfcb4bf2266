package dev.drkit.secrets.contract;

import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.vault.VaultContainer;

import java.net.URI;

/**
 * The contract against a real Vault in dev mode ({@code hashicorp/vault}), via Testcontainers. Skipped, with
 * JUnit's "disabled" reason, where no Docker engine is available.
 */
@Testcontainers(disabledWithoutDocker = true)
class RealVaultContractTest extends VaultContract {

    private static final String ROOT_TOKEN = "drkit-contract-root";

    @Container
    static final VaultContainer<?> VAULT = new VaultContainer<>("hashicorp/vault:1.17").withVaultToken(ROOT_TOKEN);

    static ContainerBackend backend;

    @BeforeAll
    static void setUp() {
        backend = new ContainerBackend(URI.create(VAULT.getHttpHostAddress()), ROOT_TOKEN);
    }

    @Override
    VaultBackend backend() {
        return backend;
    }
}
