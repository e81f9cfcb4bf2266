package dev.drkit.backup.postgres;

import dev.drkit.core.drill.DrillStep;
import dev.drkit.core.drill.StepOutcome;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Restore drills against a real PostgreSQL 15 archive: a primary archiving with {@code cp}, a plain-format and a
 * tar-stream base backup, then a workload whose marker rows are committed in three batches separated by WAL
 * switches, with the server's clock read between batches so the rows expected at each target are known exactly.
 */
class PitrDrillTest {

    static Path root;
    static Path archive;
    static Path plainBackup;
    static Path tarBackup;
    static PgCluster primary;
    static Instant backupStarted;
    /** After batch 1 (10 rows) and before batch 2. */
    static Instant afterBatchOne;
    /** After batch 2 (10 more rows) and before batch 3. */
    static Instant afterBatchTwo;
    static Instant lastCommit;
    /** The segment holding batch 2 only. */
    static String batchTwoSegment;

    @BeforeAll
    static void buildArchive() throws Exception {
        root = Files.createTempDirectory("drkit-pitr-drill-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        archive = PitrArchive.newDirectory(root, "archive");
        plainBackup = root.resolve("base");
        tarBackup = root.resolve("base.tar");
        primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("drill-primary")
            .setting("archive_mode", "on")
            .setting("archive_command", PitrArchive.archiveCommand(archive))
            .build());
        primary.execute("CREATE TABLE marker (id bigserial PRIMARY KEY, batch int NOT NULL,"
            + " at timestamptz NOT NULL DEFAULT clock_timestamp())");
        backupStarted = Instant.now();
        PitrArchive.baseBackup(primary, plainBackup);
        tarBaseBackup(primary, tarBackup);

        insertBatch(1);
        primary.execute("SELECT pg_switch_wal()");
        afterBatchOne = serverNow();
        Thread.sleep(300);
        primary.execute("SELECT pg_switch_wal()");
        batchTwoSegment = primary.queryValue("SELECT pg_walfile_name(pg_current_wal_insert_lsn())").orElseThrow();
        insertBatch(2);
        primary.execute("SELECT pg_switch_wal()");
        afterBatchTwo = serverNow();
        Thread.sleep(300);
        insertBatch(3);
        lastCommit = serverNow();
        primary.execute("SELECT pg_switch_wal()");
        PitrArchive.awaitArchived(primary);
    }

    static void insertBatch(int batch) {
        for (int i = 0; i < 10; i++) {
            primary.execute("INSERT INTO marker (batch) VALUES (" + batch + ")");
        }
    }

    static Instant serverNow() {
        return Instant.parse(primary.queryValue(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')").orElseThrow());
    }

    static void tarBaseBackup(PgCluster cluster, Path target) throws IOException, InterruptedException {
        Path tool = cluster.binaries().tool("pg_basebackup");
        Process p = new ProcessBuilder(tool.toString(), "-h", cluster.socketDirectory().toString(),
            "-p", Integer.toString(cluster.port()), "-U", cluster.superuser(), "-D", "-", "-Ft", "-X", "fetch",
            "-c", "fast").redirectOutput(target.toFile()).redirectError(ProcessBuilder.Redirect.PIPE).start();
        String errors = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("pg_basebackup -Ft failed: " + errors);
        }
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (primary != null) {
            primary.close();
        }
        if (root != null) {
            try (Stream<Path> walk = Files.walk(root)) {
                walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static PitrDrill.Builder drill() {
        return PitrDrill.builder().baseBackup(plainBackup).archive(archive).timeout(Duration.ofMinutes(2));
    }

    static Map<String, String> listing(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path f : (Iterable<Path>) list::iterator) {
                files.put(f.getFileName().toString(), Files.size(f) + "@" + Files.getLastModifiedTime(f));
            }
        }
        return files;
    }

    @Test
    void pausesAtTheTargetWithExactlyTheRowsCommittedBeforeIt() throws IOException {
        Map<String, String> before = listing(archive);

        PitrDrillReport report = drill().targetTime(afterBatchOne)
            .expectRowCount("marker", 10)
            .check("batches", "SELECT batch, count(*) FROM marker GROUP BY batch ORDER BY batch", "1|10")
            .build().run();

        assertThat(report.passed()).as(report.toText()).isTrue();
        assertThat(report.reached().lastCommit()).isPresent();
        assertThat(report.reached().lastCommit().get()).isBeforeOrEqualTo(afterBatchOne);
        assertThat(report.reached().timeline()).isEqualTo(1);
        assertThat(report.reached().stopLine()).startsWith("recovery stopping before commit");
        assertThat(report.report().steps()).extracting(DrillStep::name)
            .containsExactly("fetch base backup", "set up scratch cluster", "adopt copy", "replay to target",
                "paused at target", "check rows in marker", "check batches", "stop and delete scratch cluster");
        assertThat(report.toJson()).contains("\"format\" : \"drkit.pitr-drill/2\"", "\"passed\" : true");
        // the drill wrote nothing into the archive: no segment, no history file of a new timeline
        assertThat(listing(archive)).isEqualTo(before);
    }

    @Test
    void timesEveryPhaseFromStartToCleanupAndLeavesTheCleanupOutOfTheRto() throws IOException {
        Path base = Files.createTempDirectory("drkit-ph-");   // short: the server's socket lives under it
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        long before = System.nanoTime();

        PitrDrillReport report = drill().targetTime(afterBatchOne).expectRowCount("marker", 10)
            .cluster(PgClusterConfig.builder().name("pitr-phases").fsync(false).baseDirectory(base).build())
            .build().run();
        Duration wall = Duration.ofNanos(System.nanoTime() - before);

        assertThat(report.passed()).as(report.toText()).isTrue();
        PitrDrillReport.Phases phases = report.phases();
        assertThat(List.of(phases.fetch(), phases.setup(), phases.adopt(), phases.replay(), phases.checks(),
            phases.cleanup())).allSatisfy(d -> assertThat(d).isGreaterThanOrEqualTo(Duration.ZERO));
        assertThat(phases.fetch().plus(phases.setup()).plus(phases.adopt()).plus(phases.replay())
            .plus(phases.checks())).isEqualTo(report.rto()).isLessThanOrEqualTo(phases.total());
        assertThat(phases.total()).isEqualTo(report.rto().plus(phases.cleanup())).isLessThanOrEqualTo(wall);
        assertThat(report.report().rto()).hasValueSatisfying(m -> assertThat(m.value()).isEqualTo(report.rto()));
        // the steps cover the drill from its start to the cleanup, one after the other
        List<DrillStep> steps = report.report().steps();
        assertThat(steps.get(0).startOffset()).isEqualTo(Duration.ZERO);
        DrillStep cleanup = steps.get(steps.size() - 1);
        assertThat(cleanup.name()).isEqualTo("stop and delete scratch cluster");
        assertThat(cleanup.detail()).contains("stopped (immediate)", "deleted");
        assertThat(cleanup.startOffset().plus(cleanup.duration())).isEqualTo(phases.total());
        assertThat(steps.get(1).detail()).startsWith("PostgreSQL 15");
        // the scratch cluster and the staging directory of the fetch are gone
        try (Stream<Path> left = Files.list(base)) {
            assertThat(left).isEmpty();
        }
        Files.delete(base);
        assertThat(report.toJson()).contains("\"setup\" :", "\"adopt\" :", "\"rto\" :", "\"cleanup\" :",
            "\"total\" :");
        assertThat(report.toText()).contains("RTO:", "+ setup ", "+ adopt ", "cleanup:");
    }

    @Test
    void extractsThePgBasebackupTarStream() {
        PitrDrillReport report = PitrDrill.builder()
            .baseBackupTar(() -> Files.newInputStream(tarBackup))
            .archive(archive).timeout(Duration.ofMinutes(2))
            .targetTime(afterBatchTwo)
            .expectRowCount("public.marker", 20)
            .build().run();

        assertThat(report.passed()).as(report.toText()).isTrue();
    }

    @Test
    void takesAnArbitraryRestoreCommand() throws IOException {
        Path script = root.resolve("fetch.sh");
        Files.writeString(script, "#!/bin/sh\n[ -f '" + archive + "'/\"$1\" ] || exit 1\nexec cp '" + archive
            + "'/\"$1\" \"$2\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

        PitrDrillReport report = PitrDrill.builder().baseBackup(plainBackup)
            .restoreCommand(script + " %f %p").timeout(Duration.ofMinutes(2))
            .targetTime(afterBatchTwo)
            .expectRowCount("marker", 20)
            .build().run();

        assertThat(report.passed()).as(report.toText()).isTrue();
    }

    @Test
    void neverRunsTheCleanupOrEndCommandsTheBackupsConfigurationNames() throws IOException {
        // A base backup of a standby (or of a primary sharing its configuration) may carry an
        // archive_cleanup_command, which PostgreSQL runs at each restartpoint of an archive recovery: in a drill it
        // would delete segments from the real archive.
        Path copy = PitrArchive.linkCopy(plainBackup, root.resolve("copies").resolve("cleanup-base"));
        Path autoConf = PitrArchive.materialize(copy.resolve("postgresql.auto.conf"));
        Path cleanupRan = root.resolve("cleanup-ran");
        Path endRan = root.resolve("end-ran");
        Files.writeString(autoConf, "archive_cleanup_command = 'touch " + cleanupRan + "'\n"
            + "recovery_end_command = 'touch " + endRan + "'\n", StandardOpenOption.APPEND);

        PitrDrillReport report = PitrDrill.builder().baseBackup(copy).archive(archive).timeout(Duration.ofMinutes(2))
            .targetTime(afterBatchOne)
            .expectRowCount("marker", 10)
            .check("no cleanup or end command", "SELECT current_setting('archive_cleanup_command') || '|'"
                + " || current_setting('recovery_end_command')", "|")
            .build().run();

        assertThat(report.passed()).as(report.toText()).isTrue();
        assertThat(cleanupRan).doesNotExist();
        assertThat(endRan).doesNotExist();
    }

    @Test
    void failsTheCheckWhoseExpectedResultDoesNotMatch() {
        PitrDrillReport report = drill().targetTime(afterBatchOne)
            .expectRowCount("marker", 10)
            .check("batch two present", "SELECT count(*) FROM marker WHERE batch = 2", "10")
            .build().run();

        assertThat(report.passed()).isFalse();
        assertThat(report.report().verdictReasons()).containsExactly("step 'check batch two present' failed");
        DrillStep failed = report.report().steps().stream().filter(s -> s.outcome() == StepOutcome.FAIL)
            .findFirst().orElseThrow();
        assertThat(failed.detail()).isEqualTo("expected \"10\", got \"0\"");
        assertThat(report.toText()).contains("FAIL");
    }

    @Test
    void aRoleThatDoesNotExistFailsTheChecksNamingItInsteadOfWaitingOutTheTimeout() {
        long started = System.nanoTime();

        PitrDrillReport report = drill().timeout(Duration.ofSeconds(60)).targetTime(afterBatchOne)
            .user("no_such_role")
            .expectRowCount("marker", 10)
            .check("batches", "SELECT count(DISTINCT batch) FROM marker", "1")
            .build().run();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(45));
        assertThat(report.passed()).isFalse();
        assertThat(report.reached().stopLine()).startsWith("recovery stopping before commit");
        assertThat(report.report().verdictReasons()).containsExactly("step 'check rows in marker' failed");
        List<DrillStep> steps = report.report().steps();
        DrillStep failed = steps.stream().filter(s -> s.name().equals("check rows in marker")).findFirst()
            .orElseThrow();
        assertThat(failed.outcome()).isEqualTo(StepOutcome.FAIL);
        assertThat(failed.detail()).contains("cannot connect as role \"no_such_role\" to database \"postgres\"",
            "role \"no_such_role\" does not exist at the target time " + afterBatchOne);
        DrillStep skipped = steps.stream().filter(s -> s.name().equals("check batches")).findFirst().orElseThrow();
        assertThat(skipped.outcome()).isEqualTo(StepOutcome.SKIP);
        assertThat(steps).filteredOn(s -> s.name().equals("paused at target"))
            .allSatisfy(s -> assertThat(s.outcome()).isEqualTo(StepOutcome.PASS));
    }

    @Test
    void aDatabaseThatDoesNotExistAtTheTargetFailsItsCheckNamingIt() {
        long started = System.nanoTime();

        PitrDrillReport report = drill().timeout(Duration.ofSeconds(60)).targetTime(afterBatchOne)
            .database("made_later")
            .check("orders", "SELECT count(*) FROM orders", "0")
            .build().run();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(45));
        assertThat(report.passed()).isFalse();
        assertThat(report.report().verdictReasons()).containsExactly("step 'check orders' failed");
        assertThat(report.report().steps()).filteredOn(s -> s.name().equals("check orders")).singleElement()
            .satisfies(s -> assertThat(s.detail()).contains("database \"made_later\" does not exist at the target"));
    }

    @Test
    void aMissingRoleIsToldApartFromAQueryError() {
        assertThat(PitrDrill.missingRoleOrDatabase(new IllegalStateException("psql failed with exit code 2: psql:"
            + " error: connection to server on socket \"/tmp/s/.s.PGSQL.5432\" failed: FATAL:  role \"ops\" does"
            + " not exist"))).hasValue("role \"ops\" does not exist");
        assertThat(PitrDrill.missingRoleOrDatabase(new IllegalStateException("psql failed with exit code 1: ERROR:"
            + "  relation \"orders\" does not exist"))).isEmpty();
    }

    @Test
    void anArchiveOrTarThatCannotBeOpenedIsAnEnvironmentErrorBeforeAnyServerStarts() throws IOException {
        Path base = root.resolve("never-used-base-directory");
        PgClusterConfig cluster = PgClusterConfig.builder().name("pitr-unopened").baseDirectory(base).build();

        assertThatThrownBy(() -> drill().archive(root.resolve("no-such-archive")).cluster(cluster)
            .targetTime(afterBatchOne).build().run())
            .isInstanceOfSatisfying(dev.drkit.core.EnvironmentException.class, e ->
                assertThat(e.kind().exitCode()).isEqualTo(3))
            .hasMessageContaining("the archive " + root.resolve("no-such-archive") + " does not exist");
        assertThat(base).doesNotExist();
        assertThatThrownBy(() -> PitrDrill.builder().baseBackupTar(() -> Files.newInputStream(root.resolve("no.tar")))
            .archive(archive).cluster(cluster).targetTime(afterBatchOne).build().run())
            .isInstanceOfSatisfying(dev.drkit.core.EnvironmentException.class, e ->
                assertThat(e.kind().exitCode()).isEqualTo(3))
            .hasMessageContaining("cannot open the base backup's tar stream: NoSuchFileException");
        try (Stream<Path> left = Files.list(base)) {
            assertThat(left).as("no scratch cluster, no staging copy left").isEmpty();
        }
    }

    @Test
    void refusesATargetBeforeTheBackupEndedWithoutStartingAServer() {
        assertThatThrownBy(() -> drill().targetTime(backupStarted.minusSeconds(60)).build().run())
            .isInstanceOfSatisfying(PitrDrillException.class, e -> {
                assertThat(e.reason()).isEqualTo(PitrDrillException.Reason.TARGET_BEFORE_BACKUP_END);
                assertThat(e.kind().exitCode()).isEqualTo(1);
            })
            .hasMessageContaining("is before the base backup")
            .hasMessageNotContaining("PostgreSQL said");
    }

    @Test
    void failsWhenTheTargetIsNewerThanTheArchiveReaches() {
        assertThatThrownBy(() -> drill().targetTime(lastCommit.plusSeconds(3600)).build().run())
            .isInstanceOfSatisfying(PitrDrillException.class, e ->
                assertThat(e.reason()).isEqualTo(PitrDrillException.Reason.TARGET_NOT_REACHED))
            .hasMessageContaining("recovery ended before configured recovery target was reached");
    }

    @Test
    void failsWhenASegmentBeforeTheTargetIsMissing() throws IOException {
        Path gap = PitrArchive.linkCopy(archive, root.resolve("gap-archive"));
        Files.delete(gap.resolve(batchTwoSegment));

        assertThatThrownBy(() -> drill().archive(gap).targetTime(afterBatchTwo).expectRowCount("marker", 20)
            .build().run())
            .isInstanceOfSatisfying(PitrDrillException.class, e ->
                assertThat(e.reason()).isEqualTo(PitrDrillException.Reason.TARGET_NOT_REACHED));
    }

    @Test
    void refusesATarStreamWithAPathOutsideTheDataDirectory() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            byte[] content = "x".getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry entry = new TarArchiveEntry("../escaped", true);
            entry.setSize(content.length);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        assertThatThrownBy(() -> PitrDrill.builder()
            .baseBackupTar(() -> new ByteArrayInputStream(bytes.toByteArray()))
            .archive(archive).targetTime(afterBatchOne).build().run())
            .isInstanceOfSatisfying(PitrDrillException.class, e ->
                assertThat(e.reason()).isEqualTo(PitrDrillException.Reason.BAD_BASE_BACKUP))
            .hasMessageContaining("\"../escaped\"");
        assertThat(root.getParent().resolve("escaped")).doesNotExist();
    }
}
