package dev.drkit.secrets.contract;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract against the simulated Vault: runs everywhere. */
class SimulatedVaultContractTest extends VaultContract {

    static SimulatedBackend backend;

    @BeforeAll
    static void start() {
        backend = new SimulatedBackend();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @Override
    VaultBackend backend() {
        return backend;
    }
}
