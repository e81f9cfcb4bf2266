package dev.drkit.secrets;

import dev.drkit.core.resilience.ResiliencePolicies;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.time.ManualTicker;
import dev.drkit.secrets.vault.SimulatedVault;
import dev.drkit.secrets.vault.VaultClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A simulated Vault and a client on one manual clock: {@link #advance(Duration)} moves both and runs the client's
 * background work that falls due. Role and secret ID files are written 0600 in a temporary directory.
 */
final class Fixture implements AutoCloseable {

    final ManualTicker ticker = new ManualTicker();
    final ManualScheduler scheduler = new ManualScheduler(ticker);
    /** The client's wall clock, for the instants it reports (expiry times): it moves with {@link #ticker}. */
    final Clock clock = new TickerClock(ticker, Instant.parse("2030-01-01T00:00:00Z"));
    final SimulatedVault vault = SimulatedVault.start(VaultClock.following(ticker));
    final LeakTripwire tripwire = LeakTripwire.create();
    final Path dir;
    private final List<VaultClient> closeables = new ArrayList<>();

    Fixture(Path dir) {
        this.dir = dir;
        vault.mountKv("kv", 1).mountKv("secret", 2).policy("app", "kv/", "secret/", "database/creds/");
    }

    SimulatedVault.AppRole role(Duration ttl, Duration maxTtl) {
        return vault.appRole("app", SimulatedVault.AppRoleSettings.of(List.of("app"), ttl, maxTtl));
    }

    Path file(String name, String content) {
        return file(name, content, "rw-------");
    }

    Path file(String name, String content, String perms) {
        try {
            Path f = dir.resolve(name);
            Files.writeString(f, content + "\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    VaultAuth appRoleFiles(SimulatedVault.AppRole role) {
        return VaultAuth.appRoleFiles(file("role-id", role.roleId()), file("secret-id", vault.newSecretId(role)));
    }

    VaultConfig.Builder config(VaultAuth auth) {
        return VaultConfig.builder(vault.address(), auth)
            .name("test")
            .ticker(ticker)
            .clock(clock)
            .tripwire(tripwire)
            .renewJitter(0)
            .kvCacheTtl(Duration.ofSeconds(10))
            .maxStaleness(Duration.ofSeconds(120))
            .minRetryDelay(Duration.ofSeconds(1))
            .maxRetryDelay(Duration.ofSeconds(10))
            .requestTimeout(Duration.ofSeconds(3))
            .policies(ResiliencePolicies.builder("test")
                .maxAttempts(3)
                .initialBackoff(Duration.ofMillis(5))
                .maxBackoff(Duration.ofMillis(20))
                // The breaker's open state lasts real time, which a manual clock cannot move; OutageTest covers it.
                .circuitBreakerEnabled(false)
                .build())
            .scheduler(scheduler)
            // Seeded: the jitter of retries after an expiry is the same at every run.
            .random(new Random(42));
    }

    /** The text of {@code key} in {@code secret}, for assertions. */
    static String text(KvSecret secret, String key) {
        try (Secret value = secret.secret(key)) {
            return value.withChars(String::new);
        }
    }

    VaultClient start(VaultConfig config) {
        VaultClient client = VaultClient.start(config);
        closeables.add(client);
        return client;
    }

    /** Moves both clocks forward, running the client's background work that falls due on the way. */
    void advance(Duration by) {
        scheduler.advance(by);
    }

    @Override
    public void close() {
        for (VaultClient c : closeables) {
            c.close();
        }
        vault.close();
    }

    /** A UTC wall clock at {@code origin} when the ticker read 0, moving with the ticker. */
    private static final class TickerClock extends Clock {
        private final ManualTicker ticker;
        private final Instant origin;

        TickerClock(ManualTicker ticker, Instant origin) {
            this.ticker = ticker;
            this.origin = origin;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("a test clock in UTC only");
        }

        @Override
        public Instant instant() {
            return origin.plusNanos(ticker.nanos());
        }
    }
}
