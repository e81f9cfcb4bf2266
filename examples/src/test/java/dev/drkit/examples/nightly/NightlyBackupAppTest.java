package dev.drkit.examples.nightly;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Drives the nightly schedule with a clock the test moves from one night's due time to the next, so five nights
 * pass in a few seconds; the backups, verification and retention are real, in a directory store.
 */
class NightlyBackupAppTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @TempDir
    Path dir;

    /** A clock the test sets; the app reads it from its scheduler thread. */
    private static final class TestClock extends Clock {
        private volatile Instant now;

        TestClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return BERLIN;
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

    @Test
    void runsEachNightKeepsTheLastTwoAndGoesOnAfterAFailedRun() throws Exception {
        Path source = dir.resolve("uploads");
        Files.createDirectories(source.resolve("invoices"));
        Files.writeString(source.resolve("invoices/1.txt"), "invoice 1\n");
        Path passphraseFile = dir.resolve("backup-passphrase");
        Files.writeString(passphraseFile, "correct horse battery staple\n");
        Files.setPosixFilePermissions(passphraseFile, PosixFilePermissions.fromString("rw-------"));
        Path store = dir.resolve("store");

        TestClock clock = new TestClock(ZonedDateTime.of(2026, 11, 1, 0, 0, 0, 0, BERLIN).toInstant());
        BlockingQueue<NightlyBackupApp.RunReport> reports = new LinkedBlockingQueue<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<NightlyBackupApp.RunReport> seen = new ArrayList<>();
        try (NightlyBackupApp app = NightlyBackupApp.builder(source, store, passphraseFile)
                .at(LocalTime.of(2, 0)).zone(BERLIN)
                .retention(RetentionPolicy.builder().keepLast(2).build())
                .clock(clock)
                .checkEvery(Duration.ofMillis(10))
                .meterRegistry(registry)
                .onRun(reports::add)
                .start()) {
            for (int night = 0; night < 5; night++) {
                Instant due = ZonedDateTime.of(2026, 11, 1 + night, 2, 0, 0, 0, BERLIN).toInstant();
                assertThat(app.nextRun()).as("night %d", night).isEqualTo(due);
                Files.writeString(source.resolve("invoices/night-" + night + ".txt"), "night " + night + "\n");
                if (night == 3) {
                    // The disk the uploads live on is not mounted tonight.
                    Files.move(source, dir.resolve("uploads-away"));
                }
                clock.now = due.plusSeconds(5);
                NightlyBackupApp.RunReport report = reports.poll(30, TimeUnit.SECONDS);
                assertThat(report).as("the run of night %d", night).isNotNull();
                assertThat(report.run()).isEqualTo(night + 1);
                assertThat(report.scheduledFor()).isEqualTo(due);
                seen.add(report);
                if (night == 3) {
                    Files.move(dir.resolve("uploads-away"), source);
                }
            }
        }

        NightlyBackupApp.RunReport failed = seen.get(3);
        assertThat(failed.succeeded()).isFalse();
        assertThat(failed.failedStep()).hasValue("backup");
        assertThat(failed.failure()).hasValueSatisfying(m -> assertThat(m).contains("uploads"));
        assertThat(failed.backupId()).isEmpty();
        assertThat(failed.deleted()).as("a failed run deletes nothing").isEmpty();
        for (int night : new int[] {0, 1, 2, 4}) {
            assertThat(seen.get(night).succeeded()).as("night %d: %s", night, seen.get(night)).isTrue();
            assertThat(seen.get(night).backupId()).isPresent();
        }
        String[] ids = seen.stream().map(r -> r.backupId().orElse(null)).toArray(String[]::new);
        // keep-last 2: the third night's run deleted the first backup; the fifth (after the failure) the second.
        assertThat(seen.get(0).deleted()).isEmpty();
        assertThat(seen.get(1).deleted()).isEmpty();
        assertThat(seen.get(2).deleted()).containsExactly(ids[0]);
        assertThat(seen.get(4).deleted()).containsExactly(ids[1]);

        assertThat(registry.get("nightly.backup.run").tag("outcome", "success").timer().count()).isEqualTo(4);
        assertThat(registry.get("nightly.backup.run").tag("outcome", "failure").timer().count()).isEqualTo(1);

        // What is left: the third and fifth nights' backups, taken at their nights' times, and they decrypt.
        try (FileSystemStore opened = FileSystemStore.open(store);
             Secret passphrase = Secrets.fromFile(passphraseFile)) {
            BackupEngine engine = BackupEngine.builder(opened).build();
            List<BackupInfo> left = engine.list();
            assertThat(left).extracting(BackupInfo::id).containsExactly(ids[2], ids[4]);
            assertThat(left.get(1).startedAt()).isEqualTo(seen.get(4).scheduledFor().plusSeconds(5));
            assertThat(engine.manifest(ids[4]).entries()).extracting(e -> e.path())
                .contains("invoices/1.txt", "invoices/night-3.txt", "invoices/night-4.txt");
            assertThat(engine.manifest(ids[2]).entries()).extracting(e -> e.path())
                .contains("invoices/night-2.txt").doesNotContain("invoices/night-3.txt");
            for (BackupInfo info : left) {
                assertThat(engine.verify(info.id(), DecryptionKey.passphrase(passphrase)).passed()).isTrue();
            }
        }
    }

    @Test
    void dailyAtFollowsTheZonesWallClockThroughTheSpringGap() {
        Schedule schedule = Schedule.dailyAt(LocalTime.of(2, 30), BERLIN);

        Instant beforeGap = ZonedDateTime.of(2026, 3, 28, 12, 0, 0, 0, BERLIN).toInstant();
        // 02:30 does not exist on 29 March 2026 in Berlin: the run is at 03:30 CEST, 01:30 UTC.
        assertThat(schedule.next(beforeGap)).isEqualTo(Instant.parse("2026-03-29T01:30:00Z"));
        assertThat(schedule.next(Instant.parse("2026-03-29T01:30:00Z"))).isEqualTo(Instant.parse("2026-03-30T00:30:00Z"));
        assertThat(Schedule.every(Duration.ofMinutes(10), Instant.parse("2026-01-01T00:00:00Z"))
            .next(Instant.parse("2026-01-01T00:10:00Z"))).isEqualTo(Instant.parse("2026-01-01T00:20:00Z"));
    }
    @Test
    void theCommandLineRefusesBadUsageWithExit2AndABadPassphraseFileAtStartWithExit3() throws Exception {
        Path source = Files.createDirectories(dir.resolve("source"));
        Path store = dir.resolve("store");
        Path openFile = dir.resolve("open.pass");
        Files.writeString(openFile, "a passphrase\n");
        Files.setPosixFilePermissions(openFile, PosixFilePermissions.fromString("rw-r--r--"));

        String[][] usage = {
            {"--source", source.toString(), "--store", store.toString()},
            {"--source", source.toString(), "--store", store.toString(), "--passphrase-file", "p", "--at", "25:00"},
            {"--source", source.toString(), "--store", store.toString(), "--passphrase-file", "p", "--when", "x"}};
        for (String[] args : usage) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = NightlyBackupApp.run(args, new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(code).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: nightly-backup");
        }
        for (Path passphrase : List.of(dir.resolve("missing.pass"), openFile)) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = NightlyBackupApp.run(new String[] {"--source", source.toString(), "--store", store.toString(),
                    "--passphrase-file", passphrase.toString()},
                new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
            // at start, not at 02:00: nothing was scheduled and nothing written
            assertThat(code).as(passphrase.toString()).isEqualTo(3);
            assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("nightly-backup: ")
                .contains(passphrase.getFileName().toString()).doesNotContain("a passphrase");
            assertThat(store).doesNotExist();
        }
    }
}
