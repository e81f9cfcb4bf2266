package dev.drkit.secrets;

import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EnvironmentScanTest {

    @Test
    void reportsNamesAndRulesNeverValues() {
        LeakTripwire tripwire = LeakTripwire.create();
        tripwire.register(Secret.ofString("held-by-drkit-123", "db-password"));
        Map<String, String> env = Map.of(
            "VAULT_TOKEN", "hvs.AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "DB_PASSWORD", "hunter2-hunter2",
            "HOME", "/root",
            "OPTS", "x=held-by-drkit-123",
            "EMPTY_SECRET", "");
        List<String> args = List.of("-Xmx1g", "-Dapp.api.token=tok-123456789", "-javaagent:x.jar=hvs.BBBBBBBBBBBBBBBBBBBBBBBBBB");

        List<EnvironmentScan.Finding> findings = EnvironmentScan.scan(env, args, tripwire);

        assertThat(findings).extracting(Object::toString).containsExactly(
            "ENVIRONMENT DB_PASSWORD: SECRET_LIKE_NAME",
            "ENVIRONMENT OPTS: KNOWN_SECRET_VALUE",
            "ENVIRONMENT VAULT_TOKEN: VAULT_TOKEN_VARIABLE",
            "ENVIRONMENT VAULT_TOKEN: VAULT_TOKEN_VALUE",
            "JVM_ARGUMENT app.api.token: SECRET_LIKE_NAME",
            "JVM_ARGUMENT argument #2: VAULT_TOKEN_VALUE");
        for (EnvironmentScan.Finding f : findings) {
            assertThat(f.toString()).doesNotContain("hvs.", "hunter2", "held-by-drkit", "tok-1234");
        }
    }

    @Test
    void scansThisProcessWithoutFailing() {
        assertThat(EnvironmentScan.scan()).allSatisfy(f -> assertThat(f.name()).isNotBlank());
    }
}
