package dev.drkit.backup;

import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.ForwardingStore;
import dev.drkit.backup.store.StoreLockedException;
import dev.drkit.backup.store.StoreUnavailableException;
import dev.drkit.core.DrkitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.drkit.backup.Engines.fastEncryption;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Retention applied to a real directory store: plan each series, then delete what no rule keeps; and nothing
 * deleted while a manifest cannot be read.
 */
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
    void aBackupThatAnOverlappingRotationDeletedFirstIsSkipped(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        try (FileSystemStore files = FileSystemStore.open(dir.resolve("store"))) {
            List<String> raced = new ArrayList<>();
            BackupStore store = new ForwardingStore(files) {
                @Override
                public long delete(String backupId) throws IOException {
                    if (raced.isEmpty()) {
                        raced.add(backupId);
                        files.delete(backupId);                     // another cron run of rotate got there first
                    }
                    return super.delete(backupId);
                }
            };
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock).build();
            List<String> ids = tenNightlyBackups(engine, engine, clock);

            RotationResult result = engine.rotate(RetentionPolicy.builder().keepLast(3).build(), false);

            assertThat(raced).hasSize(1);
            assertThat(result.deleted()).hasSize(6).doesNotContain(raced.get(0));
            assertThat(files.list()).containsExactlyElementsOf(ids.subList(7, 10));
        }
    }

    @Test
    void aStoreFailingAsItDeletesIsAFailedDeleteEventPerBackupAndTheRotationSaysWhatItDeleted(@TempDir Path dir)
        throws Exception {
        SettableClock clock = new SettableClock();
        Path events = dir.resolve("events.jsonl");
        try (FileSystemStore files = FileSystemStore.open(dir.resolve("store"))) {
            List<String> deleted = new ArrayList<>();
            BackupStore store = new ForwardingStore(files) {
                @Override
                public long delete(String backupId) throws IOException {
                    if (deleted.size() == 2) {
                        // S3 and other stores fail with unchecked store exceptions, not IOException
                        throw new StoreUnavailableException("store went away", Map.of(), null);
                    }
                    deleted.add(backupId);
                    return super.delete(backupId);
                }
            };
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock)
                .eventLog(events).build();
            List<String> ids = tenNightlyBackups(engine, engine, clock);

            assertThatThrownBy(() -> engine.rotate(RetentionPolicy.builder().keepLast(3).build(), false))
                .isInstanceOf(BackupIoException.class)
                .isInstanceOf(RotationResult.DeletionsFailedException.class)
                .hasMessageContaining("could not delete 5 of 7 backups").hasMessageContaining("store went away")
                .hasMessageContaining("2 deleted")
                .satisfies(e -> {
                    RotationResult result = ((RotationResult.DeletionsFailedException) e).result();
                    assertThat(result.deleted()).containsExactlyElementsOf(ids.subList(0, 2));
                    assertThat(result.failed()).containsOnlyKeys(ids.subList(2, 7));
                    assertThat(result.failed().values()).allMatch(r -> r.contains("store went away"));
                    assertThat(e.getSuppressed()).hasSize(4);
                });
            assertThat(Files.readAllLines(events).stream().filter(line -> line.contains("\"event\":\"delete\"")
                && line.contains("\"outcome\":\"failure\""))).hasSize(5);
        }
    }

    private static long operations(io.micrometer.core.instrument.MeterRegistry meters, String operation,
                                   String outcome) {
        io.micrometer.core.instrument.Timer timer = meters.find("drkit.backup.operation").tag("operation", operation)
            .tag("outcome", outcome).timer();
        return timer == null ? 0 : timer.count();
    }

    /** An immutable directory or an S3 object lock must not block every later rotation for ever. */
    @Test
    void aBackupTheStoreWillNotDeleteStaysAndTheOthersAreStillDeleted(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        Path events = dir.resolve("events.jsonl");
        try (FileSystemStore files = FileSystemStore.open(dir.resolve("store"))) {
            List<String> locked = new ArrayList<>();
            BackupStore store = new ForwardingStore(files) {
                @Override
                public long delete(String backupId) throws IOException {
                    if (locked.contains(backupId)) {
                        throw new AccessDeniedException(dir.resolve("store").resolve(backupId)
                            .toString());
                    }
                    return super.delete(backupId);
                }
            };
            io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock)
                .eventLog(events).meterRegistry(meters).build();
            List<String> ids = tenNightlyBackups(engine, engine, clock);
            locked.add(ids.get(0));                         // the oldest, which rotation tries first

            RotationResult.DeletionsFailedException failure = assertThrows(
                RotationResult.DeletionsFailedException.class,
                () -> engine.rotate(RetentionPolicy.builder().keepLast(3).build(), false));

            RotationResult result = failure.result();
            assertThat(result.deleted()).containsExactlyElementsOf(ids.subList(1, 7));
            assertThat(result.failed()).containsOnlyKeys(ids.get(0));
            assertThat(result.failed().get(ids.get(0))).startsWith("AccessDeniedException: ").doesNotContain("\n");
            assertThat(result.bytesFreed()).isPositive();
            assertThat(failure.getMessage()).doesNotContain("\n")
                .contains("could not delete 1 of 7 backups", ids.get(0) + " (AccessDeniedException: ", "6 deleted");
            assertThat(failure.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
            assertThat(failure.context()).containsEntry("operation", "rotate").containsEntry("deleted", "6")
                .containsEntry("failed", ids.get(0));
            assertThat(failure.getCause()).isInstanceOf(AccessDeniedException.class);
            List<String> left = new ArrayList<>(List.of(ids.get(0)));
            left.addAll(ids.subList(7, 10));
            assertThat(store.list()).containsExactlyElementsOf(left);
            assertThat(Files.readAllLines(events).stream().filter(line -> line.contains("\"event\":\"delete\"")))
                .hasSize(7);
            // what an alert on a store that stops shrinking reads
            assertThat(operations(meters, "rotate", "failure")).isEqualTo(1);
            assertThat(operations(meters, "rotate", "success")).isZero();
            assertThat(operations(meters, "delete", "success")).isEqualTo(6);
            assertThat(operations(meters, "delete", "failure")).isEqualTo(1);
            assertThat(meters.get("drkit.backup.bytes").tag("operation", "delete").counter().count())
                .isEqualTo(result.bytesFreed());

            // The next rotation is not blocked either: it tries the undeletable backup again, and only it.
            clock.now = clock.now.plusSeconds(86_400);
            engine.backup(BackupSource.stream("db.dump", () -> new ByteArrayInputStream(sample(1_000, 11))));
            RotationResult.DeletionsFailedException again = assertThrows(
                RotationResult.DeletionsFailedException.class,
                () -> engine.rotate(RetentionPolicy.builder().keepLast(3).build(), false));
            assertThat(again.result().deleted()).containsExactly(ids.get(7));
            assertThat(again.result().failed()).containsOnlyKeys(ids.get(0));
        }
    }

    @Test
    void aStoreWhoseLockCannotBeHadIsNotAskedAgainForEachBackup(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        try (FileSystemStore files = FileSystemStore.open(dir.resolve("store"))) {
            List<String> asked = new ArrayList<>();
            BackupStore store = new ForwardingStore(files) {
                @Override
                public long delete(String backupId) {
                    asked.add(backupId);
                    throw new StoreLockedException("lock held by another writer", Map.of());
                }
            };
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock).build();
            List<String> ids = tenNightlyBackups(engine, engine, clock);

            RotationResult.DeletionsFailedException failure = assertThrows(
                RotationResult.DeletionsFailedException.class,
                () -> engine.rotate(RetentionPolicy.builder().keepLast(3).build(), false));

            assertThat(asked).containsExactly(ids.get(0));
            assertThat(failure.result().deleted()).isEmpty();
            assertThat(failure.result().failed()).containsOnlyKeys(ids.subList(0, 7));
            assertThat(failure.result().failed().get(ids.get(1))).startsWith("not tried: ");
            assertThat(files.list()).containsExactlyElementsOf(ids);
        }
    }

    /** A host with a wrong clock made one backup: the newest real backup stays, and the rotation warns. */
    @Test
    void aBackupDatedInTheFutureDoesNotCostTheNewestRealBackupAndIsWarnedAbout(@TempDir Path dir)
        throws Exception {
        SettableClock clock = new SettableClock();
        try (FileSystemStore store = FileSystemStore.open(dir.resolve("store"))) {
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock).build();
            List<String> ids = tenNightlyBackups(engine, engine, clock);
            Instant today = clock.now;
            clock.now = Instant.parse("2099-01-01T00:00:00Z");
            String future = engine.backup(BackupSource.stream("db.dump",
                () -> new ByteArrayInputStream(sample(1_000, 99)))).id();
            clock.now = today.plusSeconds(3_600);

            RotationResult result = engine.rotate(RetentionPolicy.builder().keepLast(1).build(), false);

            assertThat(store.list()).containsExactly(ids.get(9), future);
            assertThat(result.plan().decision(ids.get(9)).orElseThrow().reasons()).extracting(Object::toString)
                .containsExactly("newest backup not dated in the future");
            assertThat(result.warnings()).singleElement().asString().doesNotContain("\n")
                .startsWith("1 backup is dated after now (" + clock.now + "): " + future + " at 2099-01-01T00:00:00Z");
        }
    }

    @Test
    void warnsOfAKeepTagRuleThatMatchesNoBackupAndOfLabelsThatSelectNone(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        try (FileSystemStore store = FileSystemStore.open(dir.resolve("store"))) {
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock)
                .label("pinned", "yes").build();
            tenNightlyBackups(engine, engine, clock);

            RotationResult plainTag = engine.rotate(RetentionPolicy.builder().keepLast(3).keepTag("pinned").build(),
                true);
            RotationResult labelTag = engine.rotate(
                RetentionPolicy.builder().keepLast(3).keepTag("pinned=yes").build(), true);
            RotationResult typo = engine.rotate(RetentionPolicy.builder().keepLast(1).build(),
                RotationOptions.builder().label("pinnd", "yes").build(), true);

            assertThat(plainTag.warnings()).containsExactly("keep-tag rule 'pinned' matches none of the 10 backups"
                + " rotated, so it keeps nothing; rotate matches a backup's labels as tags KEY=VALUE, such as"
                + " pinned=yes");
            assertThat(labelTag.warnings()).isEmpty();
            assertThat(labelTag.plan().toDelete()).isEmpty();
            assertThat(typo.plan().decisions()).isEmpty();
            assertThat(typo.warnings()).containsExactly(
                "labels {pinnd=yes} select none of the 10 backups in the store; nothing was rotated");
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

    /** A directory {@code src} backed up, then a file {@code a.txt} a day later: two sources in one store. */
    private static List<String> aDirectoryThenAFile(BackupEngine engine, SettableClock clock, Path dir)
        throws Exception {
        Path src = dir.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("config.hcl"), "storage \"raft\" {}\n");
        Path file = dir.resolve("a.txt");
        Files.writeString(file, "a file on its own");
        String directoryBackup = engine.backup(BackupSource.directory(src)).id();
        clock.now = clock.now.plusSeconds(86_400);
        String fileBackup = engine.backup(BackupSource.file(file)).id();
        return List.of(directoryBackup, fileBackup);
    }

    @Test
    void eachSourceIsASeriesSoKeepLastOneKeepsTheNewestBackupOfEach(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        try (FileSystemStore store = FileSystemStore.open(dir.resolve("store"))) {
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock).build();
            List<String> ids = aDirectoryThenAFile(engine, clock, dir);
            clock.now = clock.now.plusSeconds(3_600);
            String secondFileBackup = engine.backup(BackupSource.file(dir.resolve("a.txt"))).id();

            RotationResult result = engine.rotate(RetentionPolicy.builder().keepLast(1).build(), false);

            assertThat(store.list()).containsExactlyInAnyOrder(ids.get(0), secondFileBackup);
            assertThat(result.deleted()).containsExactly(ids.get(1));
            assertThat(result.plan().series()).containsExactly("file a.txt", "directory src");
            assertThat(result.plan().decision(ids.get(0)).orElseThrow().reasons())
                .extracting(Object::toString).containsExactly("last 1");
        }
    }

    @Test
    void groupingByNothingRotatesTheWholeStoreAsOneSeries(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        try (FileSystemStore store = FileSystemStore.open(dir.resolve("store"))) {
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock).build();
            List<String> ids = aDirectoryThenAFile(engine, clock, dir);
            RotationOptions none = RotationOptions.builder().groupBy(RotationOptions.GroupBy.NONE).build();

            RotationResult result = engine.rotate(RetentionPolicy.builder().keepLast(1).build(), none, false);

            assertThat(result.deleted()).containsExactly(ids.get(0));
            assertThat(store.list()).containsExactly(ids.get(1));
            assertThat(result.plan().series()).containsExactly("");
        }
    }

    @Test
    void labelsSelectTheBackupsToRotateAndLeaveTheOthersAlone(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        try (FileSystemStore store = FileSystemStore.open(dir.resolve("store"))) {
            BackupEngine hostA = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock)
                .label("host", "a").build();
            BackupEngine hostB = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock)
                .label("host", "b").build();
            List<String> a = new ArrayList<>();
            List<String> b = new ArrayList<>();
            for (int day = 0; day < 3; day++) {
                clock.now = Instant.parse("2026-11-01T02:00:00Z").plusSeconds(86_400L * day);
                byte[] content = sample(1_000, day);
                a.add(hostA.backup(BackupSource.stream("db.dump", () -> new ByteArrayInputStream(content))).id());
                clock.now = clock.now.plusSeconds(60);
                b.add(hostB.backup(BackupSource.stream("db.dump", () -> new ByteArrayInputStream(content))).id());
            }
            RotationOptions onlyA = RotationOptions.builder().label("host", "a").build();

            RotationResult result = hostA.rotate(RetentionPolicy.builder().keepLast(1).build(), onlyA, false);

            assertThat(result.deleted()).containsExactly(a.get(0), a.get(1));
            assertThat(result.plan().decisions()).extracting(d -> d.backup().id())
                .containsExactlyInAnyOrderElementsOf(a);
            List<String> left = new ArrayList<>(b);
            left.add(a.get(2));
            assertThat(store.list()).containsExactlyInAnyOrderElementsOf(left);
        }
    }

    @Test
    void postgresBackupsOfOneNameAreSeriesPerKindDatabaseAndServer(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        try (FileSystemStore store = FileSystemStore.open(dir.resolve("store"))) {
            Map<String, String> db1 = Map.of("pg.kind", "basebackup", "pg.server", "db1:5432", "pg.rows", "17");
            Map<String, String> db2 = Map.of("pg.kind", "basebackup", "pg.server", "db2:5432", "pg.rows", "4");
            BackupEngine one = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock).labels(db1).build();
            BackupEngine two = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock).labels(db2).build();
            byte[] content = sample(1_000, 1);
            String first = one.backup(BackupSource.stream("base.tar", () -> new ByteArrayInputStream(content))).id();
            clock.now = clock.now.plusSeconds(3_600);
            String second = two.backup(BackupSource.stream("base.tar", () -> new ByteArrayInputStream(content))).id();

            RotationResult result = one.rotate(RetentionPolicy.builder().keepLast(1).build(), false);

            assertThat(result.deleted()).isEmpty();
            assertThat(store.list()).containsExactlyInAnyOrder(first, second);
            assertThat(result.plan().series()).containsExactly(
                "stream base.tar [pg.kind=basebackup pg.server=db2:5432]",
                "stream base.tar [pg.kind=basebackup pg.server=db1:5432]");
        }
    }

    @Test
    void anUnreadableManifestIsListedApartAndRotationDeletesNothing(@TempDir Path dir) throws Exception {
        SettableClock clock = new SettableClock();
        Path root = dir.resolve("store");
        try (FileSystemStore store = FileSystemStore.open(root)) {
            BackupEngine engine = BackupEngine.builder(store).encryption(fastEncryption()).clock(clock).build();
            List<String> ids = tenNightlyBackups(engine, engine, clock);
            Files.writeString(root.resolve(ids.get(4)).resolve(BackupManifest.OBJECT_NAME), "garbage");
            // A foreign directory named like a backup, holding a garbage manifest.
            String foreign = "20261231T000000Z-00000000";
            Files.createDirectories(root.resolve(foreign));
            Files.writeString(root.resolve(foreign).resolve(BackupManifest.OBJECT_NAME), "{not json");

            BackupListing listing = engine.listAll();

            List<String> healthy = new ArrayList<>(ids);
            healthy.remove(4);
            assertThat(listing.backups()).extracting(BackupInfo::id).containsExactlyElementsOf(healthy);
            assertThat(listing.unreadable()).containsOnlyKeys(ids.get(4), foreign);
            assertThat(listing.unreadable().get(ids.get(4))).isInstanceOf(ManifestException.class);
            assertThat(listing.complete()).isFalse();
            assertThatThrownBy(engine::list).isInstanceOf(ManifestException.class);

            assertThatThrownBy(() -> engine.rotate(RetentionPolicy.builder().keepLast(1).build(), false))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("nothing deleted")
                .hasMessageContaining(ids.get(4))
                .hasMessageContaining(foreign)
                .hasMessageContaining("2 backups");
            assertThatThrownBy(() -> engine.rotate(RetentionPolicy.builder().keepLast(1).build(),
                RotationOptions.builder().label("host", "a").build(), true))
                .isInstanceOf(ManifestException.class);
            List<String> all = new ArrayList<>(ids);
            all.add(foreign);
            assertThat(store.list()).containsExactlyInAnyOrderElementsOf(all);
        }
    }

    @Test
    void rotationOptionsDefaultToOneSeriesPerSourceAndEveryBackup() {
        RotationOptions defaults = RotationOptions.defaults();

        assertThat(defaults.groupBy()).isEqualTo(RotationOptions.GroupBy.SOURCE);
        assertThat(defaults.labels()).isEmpty();
        assertThat(RotationOptions.builder().build()).isEqualTo(defaults);
        assertThat(RotationOptions.builder().label("host", "a").build()).isNotEqualTo(defaults)
            .hasToString("RotationOptions[groupBy=source, labels={host=a}]");
        assertThatThrownBy(() -> RotationOptions.builder().label("", "a"))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
