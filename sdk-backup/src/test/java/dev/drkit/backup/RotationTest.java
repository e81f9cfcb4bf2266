package dev.drkit.backup;

import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.backup.store.FileSystemStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static dev.drkit.backup.Engines.fastEncryption;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;

/** Retention applied to a real directory store: plan, then delete what no rule keeps. */
class RotationTest {

    /** A clock the test moves, so backups get the times it chooses. */
    private static final class SettableClock extends Clock {
        Instant now = Instant.parse("2026-11-01T02:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static List<String> tenNightlyBackups(BackupEngine engine, BackupEngine pinned, SettableClock clock) {
        List<String> ids = new ArrayList<>();
        for (int day = 0; day < 10; day++) {
            clock.now = Instant.parse("2026-11-01T02:00:00Z").plusSeconds(86_400L * day);
            byte[] content = sample(20_000, day);
            BackupEngine which = day == 2 ? pinned : engine;
            ids.add(which.backup(BackupSource.stream("db.dump", () -> new ByteArrayInputStream(content))).id());
        }
        return ids;
    }

    @Test
    void backupsStartedInOneSecondAreListedAndRotatedInTheOrderTheyStarted(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        try (FileSystemStore store = FileSystemStore.open(dir.resolve("store"))) {
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock).build();
            // Ids carry the start second and a random part: within one second they sort by chance, not by time.
            List<String> started = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                clock.now = Instant.parse("2026-11-01T02:00:00Z").plusMillis(100L * i);
                byte[] content = sample(1_000, i);
                started.add(engine.backup(BackupSource.stream("db.dump", () -> new ByteArrayInputStream(content))).id());
            }

            List<String> listed = engine.list().stream().map(BackupInfo::id).toList();
            RotationResult rotated = engine.rotate(RetentionPolicy.builder().keepLast(1).build(), false);

            assertThat(listed).containsExactlyElementsOf(started);
            assertThat(rotated.deleted()).containsExactlyInAnyOrderElementsOf(started.subList(0, 7));
            assertThat(store.list()).containsExactly(started.get(7));
        }
    }

    @Test
    void dryRunDeletesNothingAndRotationDeletesOnlyWhatNoRuleKeeps(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        Path events = dir.resolve("events.jsonl");
        try (FileSystemStore store = FileSystemStore.open(dir.resolve("store"))) {
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock)
                .eventLog(events).build();
            BackupEngine pinned = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock)
                .label("pinned", "yes").build();
            List<String> ids = tenNightlyBackups(engine, pinned, clock);
            RetentionPolicy policy = RetentionPolicy.builder().keepLast(3).keepTag("pinned=yes").build();

            RotationResult dryRun = engine.rotate(policy, true);
            List<String> afterDryRun = store.list();
            RotationResult result = engine.rotate(policy, false);

            assertThat(dryRun.dryRun()).isTrue();
            assertThat(dryRun.deleted()).isEmpty();
            assertThat(dryRun.plan().toDelete()).hasSize(6);
            assertThat(afterDryRun).containsExactlyElementsOf(ids);

            List<String> expectedDeleted = new ArrayList<>(ids.subList(0, 2));
            expectedDeleted.addAll(ids.subList(3, 7));
            assertThat(result.deleted()).containsExactlyElementsOf(expectedDeleted);
            assertThat(store.list()).containsExactly(ids.get(2), ids.get(7), ids.get(8), ids.get(9));
            assertThat(result.plan().decision(ids.get(2)).orElseThrow().reasons()).isNotEmpty();
            assertThat(result.bytesFreed()).isGreaterThan(6 * 10_000L);
            assertThat(Files.readAllLines(events).stream().filter(line -> line.contains("\"event\":\"delete\"")))
                .hasSize(6);
        }
    }

    @Test
    void theNewestBackupSurvivesEvenAPolicyThatKeepsOnlyTags(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        try (FileSystemStore store = FileSystemStore.open(dir.resolve("store"))) {
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock).build();
            List<String> ids = tenNightlyBackups(engine, engine, clock);

            RotationResult result = engine.rotate(RetentionPolicy.builder().keepTag("no-such-tag").build(), false);

            assertThat(store.list()).containsExactly(ids.get(9));
            assertThat(result.deleted()).hasSize(9).doesNotContain(ids.get(9));
        }
    }
}
