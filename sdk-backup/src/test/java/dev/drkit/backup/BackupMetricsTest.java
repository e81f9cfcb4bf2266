package dev.drkit.backup;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;

import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Engines.WRONG_KEY;
import static dev.drkit.backup.Engines.engine;
import static org.assertj.core.api.Assertions.assertThat;

class BackupMetricsTest {

    /** A clock that moves only when told. */
    static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-11-23T14:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void countsBytesAndOutcomesAndReportsTheAgeOfTheNewestVerifiedBackup() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MovableClock clock = new MovableClock();
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = engine(store).name("vault").clock(clock).meterRegistry(registry).build();

        assertThat(registry.get("drkit.backup.verified.newest.age").timeGauge().value(TimeUnit.SECONDS)).isNaN();
        String id = engine.backup(BackupSource.stream("s", () -> new ByteArrayInputStream(new byte[1000]))).id();
        clock.now = clock.now.plus(Duration.ofMinutes(10));
        engine.verify(id, KEY);
        engine.verify(id, WRONG_KEY);

        assertThat(registry.get("drkit.backup.operation").tags("engine", "vault", "operation", "backup", "outcome",
            "success").timer().count()).isEqualTo(1);
        assertThat(registry.get("drkit.backup.operation").tags("operation", "verify.full", "outcome", "success")
            .timer().count()).isEqualTo(1);
        assertThat(registry.get("drkit.backup.operation").tags("operation", "verify.full", "outcome", "failure")
            .timer().count()).isEqualTo(1);
        assertThat(registry.get("drkit.backup.bytes").tags("operation", "backup", "side", "plaintext").counter()
            .count()).isEqualTo(1000);
        assertThat(registry.get("drkit.backup.verified.newest.age").timeGauge().value(TimeUnit.SECONDS))
            .isEqualTo(600.0);
        assertThat(registry.get("drkit.backup.newest.age").timeGauge().value(TimeUnit.SECONDS)).isEqualTo(600.0);
    }

    @Test
    void aNewEngineTakesTheNewestVerifiedBackupFromTheHistory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
        throws Exception {
        java.nio.file.Path history = dir.resolve("verifications.jsonl");
        MovableClock clock = new MovableClock();
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine first = engine(store).clock(clock).verificationHistory(history).build();
        String id = first.backup(BackupSource.stream("s", () -> new ByteArrayInputStream(new byte[10]))).id();
        first.verify(id);
        java.nio.file.Files.writeString(history, "torn {\n", java.nio.file.StandardOpenOption.APPEND);
        clock.now = clock.now.plus(Duration.ofHours(1));

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BackupEngine second = engine(store).clock(clock).verificationHistory(history).meterRegistry(registry).build();

        assertThat(registry.get("drkit.backup.verified.newest.age").timeGauge().value(TimeUnit.SECONDS))
            .isEqualTo(3600.0);
        assertThat(second.name()).isEqualTo(BackupEngine.DEFAULT_NAME);   // the gauge holds the engine weakly
    }
}
