package dev.drkit.secrets;

import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.secrets.micrometer.VaultMetrics;
import dev.drkit.secrets.vault.SimulatedVault;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A full run (login, renewals, KV, database rotation, an outage, a revoked token, a new login) with every log
 * line of the process captured, plus every exception message, {@code toString()} and metric tag it produced:
 * no secret value may appear in any of them, in any form the tripwire knows.
 */
class NoLeakTest {

    @TempDir
    Path dir;

    @Test
    void aFullRunLeaksNoSecretIntoLogsMessagesToStringOrMetrics() throws Exception {
        List<String> texts = new ArrayList<>();
        List<String> knownValues = new ArrayList<>();
        try (LogLines logs = LogLines.capture();
             PgCluster pg = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("noleak").build());
             Fixture f = new Fixture(dir)) {
            lastTripwire = f.tripwire;
            f.vault.mountDatabase("database", pg::connect).role("orders", Duration.ofSeconds(30), Duration.ofSeconds(50));
            f.vault.putKv("secret", "app/api", Map.of("key", "kv-secret-value-42"));
            f.vault.putKv("kv", "app/db", Map.of("password", "kv1-secret-value-43"));
            SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(100));
            String secretId = f.vault.newSecretId(role);
            knownValues.add(role.roleId());
            knownValues.add(secretId);
            knownValues.add("kv-secret-value-42");
            knownValues.add("kv1-secret-value-43");
            knownValues.add(f.vault.rootToken());
            VaultConfig config = f.config(VaultAuth.appRoleFiles(f.file("role-id", role.roleId()),
                f.file("secret-id", secretId))).build();
            texts.add(config.toString());
            texts.add(config.auth().toString());

            VaultClient client = f.start(config);
            DynamicDatabaseCredentials db = client.databaseCredentials("database", "orders");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            VaultMetrics.of(client, db).bindTo(registry);
            knownValues.add(db.current().password().withChars(String::new));
            KvSecret api = client.kv2("secret").read("app/api");
            texts.add(api.toString());
            texts.add(client.kv1("kv").read("app/db").toString());
            texts.add(client.token().toString());
            texts.add(db.current().toString());
            texts.add(db.toString());
            texts.add(client.toString());

            f.advance(Duration.ofSeconds(45));                      // token and lease renewals, a lease rotation
            knownValues.add(db.current().password().withChars(String::new));
            f.vault.down();
            f.advance(Duration.ofSeconds(20));
            texts.add(client.kv2("secret").read("app/api").toString());   // stale
            f.advance(Duration.ofSeconds(200));
            texts.add(messageOf(() -> client.kv2("secret").read("app/api")));
            texts.add(messageOf(db::current));
            f.vault.up();
            f.advance(Duration.ofSeconds(15));
            f.vault.revokeTokensOf(role);
            texts.add(client.kv2("secret").read("app/api").toString());   // 403, new login
            texts.add(messageOf(() -> client.kv2("secret").read("app/none")));
            texts.add(messageOf(() -> f.start(f.config(VaultAuth.token(() -> Secret.ofString(f.vault.rootToken(),
                "root"))).build())));
            texts.add(messageOf(() -> f.start(f.config(VaultAuth.appRoleFiles(f.file("role-id2", role.roleId()),
                f.file("secret-id2", "not-a-valid-secret-id-000"))).build())));
            knownValues.add("not-a-valid-secret-id-000");
            texts.add(client.stats().toString());
            for (Meter m : registry.getMeters()) {
                texts.add(m.getId().toString());
            }
            assertThat(client.stats().rotations()).isPositive();
            assertThat(client.stats().logins()).isGreaterThanOrEqualTo(3);
            assertThat(client.stats().kvStaleReads()).isPositive();
            client.close();

            texts.addAll(logs.lines());
            assertThat(logs.drkitLines()).hasSizeGreaterThan(10);
        }

        // Every token, secret ID, role ID, value and password the client held was registered.
        assertThat(tripwireSize()).isGreaterThanOrEqualTo(8);
        List<String> leaks = new ArrayList<>();
        for (String text : texts) {
            lastTripwire.findAllIn(text).forEach(label -> leaks.add(label + " in: " + text));
            for (String v : knownValues) {
                if (text.contains(v) || text.contains(Base64.getEncoder().encodeToString(v.getBytes()))) {
                    leaks.add("a known value in: " + text);
                }
            }
        }
        assertThat(leaks).isEmpty();
    }

    @Test
    void theCheckCatchesALeakWhenThereIsOne() {
        LeakTripwire tripwire = LeakTripwire.create();
        try (Secret s = Secret.ofString("a-secret-that-leaks", "leaky")) {
            tripwire.register(s);
            try (LogLines logs = LogLines.capture()) {
                LoggerFactory.getLogger(NoLeakTest.class).info("careless: {}", "token=a-secret-that-leaks");
                LoggerFactory.getLogger(NoLeakTest.class).info("encoded: {}",
                    Base64.getEncoder().encodeToString("a-secret-that-leaks".getBytes()));
                List<String> flagged = new ArrayList<>();
                for (String line : logs.lines()) {
                    flagged.addAll(tripwire.findAllIn(line));
                }
                assertThat(flagged).containsExactly("leaky", "leaky");
            }
        }
    }

    private LeakTripwire lastTripwire;

    private int tripwireSize() {
        return lastTripwire.size();
    }

    private static String messageOf(Runnable r) {
        try {
            r.run();
            throw new AssertionError("expected a failure");
        } catch (RuntimeException e) {
            StringBuilder sb = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                sb.append(t).append(" ");
                if (t instanceof dev.drkit.core.DrkitException) {
                    sb.append(((dev.drkit.core.DrkitException) t).context()).append(" ");
                }
            }
            return sb.toString();
        }
    }

}
