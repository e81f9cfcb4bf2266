package dev.drkit.examples.demo;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.drill.DrillHistory;
import dev.drkit.core.drill.DrillReport;
import dev.drkit.core.drill.DrillStep;
import dev.drkit.core.drill.StepOutcome;
import dev.drkit.core.drill.Verdict;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import dev.drkit.postgres.PgBinaries;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the README's main command in-process against real PostgreSQL servers. */
class DemoTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int demo(String... args) {
        return demo(DemoDrill.Options.defaults(), args);
    }

    private int demo(DemoDrill.Options options, String... args) {
        return Demo.run(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), options, args);
    }

    @Test
    void crashesThePrimaryPromotesTheReplicaAndLosesNoAcknowledgedWrite(@TempDir Path dir) throws Exception {
        Path history = dir.resolve("drills/history.jsonl");

        int code = demo("--json", "--history", history.toString(), "--keep");
        List<Path> kept = keptDirectories(err.toString(StandardCharsets.UTF_8));
        try {
            assertTheDrillPassed(code, history);
            assertTheKeptBackupsOpenWithTheKeptPassphrase(err.toString(StandardCharsets.UTF_8), kept.get(0));
        } finally {
            for (Path root : kept) {
                deleteTree(root);
            }
        }
    }

    private void assertTheDrillPassed(int code, Path history) throws IOException {
        String stdout = out.toString(StandardCharsets.UTF_8);
        DrillReport report = DrillReport.fromJson(stdout.strip());
        assertThat(code).as("exit code; stderr:%n%s", err).isZero();
        assertThat(report.verdict()).isEqualTo(Verdict.PASS);
        assertThat(report.steps()).extracting(DrillStep::name).containsExactlyElementsOf(DemoDrill.STEP_NAMES);
        assertThat(report.steps()).allSatisfy(step -> assertThat(step.outcome()).isEqualTo(StepOutcome.PASS));
        assertThat(report.lostRecords()).hasValue(0);
        assertThat(report.rto()).hasValueSatisfying(rto ->
            assertThat(rto.value()).isPositive().isLessThan(DemoDrill.RTO_TARGET));
        assertThat(report.rpo()).isPresent();
        assertThat(step(report, DemoDrill.COUNT_LOST).detail()).contains(" 0 lost");
        assertThat(step(report, DemoDrill.DETECT).detail()).contains("drkit's data source declared the primary lost");
        assertThat(step(report, DemoDrill.ROTATE).detail()).contains("deleted [").contains("bytes freed");
        assertThat(step(report, DemoDrill.RESTORE_FILES).detail()).contains("every file equal to the source");
        assertThat(step(report, DemoDrill.VERIFY_ARCHIVE).detail()).contains("no gap or damage").contains("RPO ");
        assertThat(step(report, DemoDrill.PITR_DRILL).detail()).contains("through drkit wal-fetch").contains("canary checked").contains("RTO ");
        // The clock starts at the crash. The first prompt write through the data source can only land on the
        // promoted replica, so the RTO covers at least the crash, the detection and the start of the promotion.
        // (Whether a probe failed during the outage depends on the machine's speed: the data source makes writes
        // wait for the new primary, and on a quiet machine the first probe's wait can be short enough to pass.)
        Duration untilPromotion = step(report, DemoDrill.PROMOTE).startOffset()
            .minus(step(report, DemoDrill.CRASH).startOffset());
        assertThat(report.rto().orElseThrow().value()).isGreaterThanOrEqualTo(untilPromotion);
        assertThat(report.rto().orElseThrow().uncertainty()).isLessThanOrEqualTo(report.rto().orElseThrow().value());

        DrillHistory.Contents contents = DrillHistory.at(history).read();
        assertThat(contents.reports()).singleElement().satisfies(kept -> assertThat(kept.verdict()).isEqualTo(Verdict.PASS));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(history))).isEqualTo("rw-------");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("demo: promote the replica ...");
    }

    /** With --keep: the work directory first, then the kept clusters' directories, as stderr names them. */
    private static List<Path> keptDirectories(String stderr) {
        Matcher workLine = Pattern.compile("demo: kept the stores and files in (\\S+)").matcher(stderr);
        assertThat(workLine.find()).as("the kept work directory in stderr:%n%s", stderr).isTrue();
        List<Path> kept = new ArrayList<>(List.of(Path.of(workLine.group(1))));
        Matcher clusterLine = Pattern.compile("\\(stopped\\): data directory (\\S+), server log").matcher(stderr);
        while (clusterLine.find()) {
            kept.add(Path.of(clusterLine.group(1)).getParent());
        }
        assertThat(kept).as("work directory, primary and replica").hasSizeGreaterThanOrEqualTo(3);
        return kept;
    }

    /** With --keep: every kept backup verifies in full with the passphrase kept beside them. */
    private static void assertTheKeptBackupsOpenWithTheKeptPassphrase(String stderr, Path work) throws Exception {
        Path passphraseFile = work.resolve(DemoDrill.KEPT_PASSPHRASE_FILE);
        assertThat(stderr).contains("demo: the kept backups' passphrase is in " + passphraseFile);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passphraseFile)))
            .isEqualTo("rw-------");
        int verified = 0;
        try (Secret passphrase = Secrets.fromOneLineFile(passphraseFile)) {
            for (String store : List.of("file-backups", "database-backups")) {
                try (FileSystemStore opened = FileSystemStore.openReadOnly(work.resolve(store))) {
                    BackupEngine engine = BackupEngine.builder(opened).build();
                    for (BackupInfo info : engine.list()) {
                        assertThat(engine.verify(info.id(), DecryptionKey.passphrase(passphrase)).passed())
                            .as("full verification of kept backup %s in %s", info.id(), store).isTrue();
                        verified++;
                    }
                }
            }
        }
        assertThat(verified).as("kept backups verified").isGreaterThanOrEqualTo(2);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }

    @Test
    void printsAReadableReportByDefault() {
        int code = demo();

        assertThat(code).as("exit code; stderr:%n%s", err).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
            .startsWith("Drill 'demo: back up, verify, crash the primary, fail over': PASS")
            .contains("RTO").contains("RPO").contains("count lost writes");
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        assertThat(demo("--no-such-option")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unknown option");
    }

    @Test
    void aServerThatCannotStartIsAnEnvironmentFailureWithTheReportStillPrinted() throws Exception {
        Path bin = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "drkit-fake-pg-");
        try {
            // A PostgreSQL installation whose initdb fails: the drill must stop at "start primary".
            fakeTool(bin, "postgres", "echo 'postgres (PostgreSQL) 15.4'");
            fakeTool(bin, "initdb", "echo 'initdb: simulated failure' >&2; exit 1");
            fakeTool(bin, "pg_ctl", "exit 1");
            Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));

            int code = demo(DemoDrill.Options.defaults().withBinaries(PgBinaries.in(bin)), "--json");

            DrillReport report = DrillReport.fromJson(out.toString(StandardCharsets.UTF_8).strip());
            assertThat(code).as("stderr:%n%s", err).isEqualTo(3);
            assertThat(report.verdict()).isEqualTo(Verdict.FAIL);
            assertThat(report.steps()).extracting(DrillStep::name).containsExactlyElementsOf(DemoDrill.STEP_NAMES);
            assertThat(report.steps()).extracting(DrillStep::outcome)
                .startsWith(StepOutcome.PASS, StepOutcome.PASS, StepOutcome.FAIL);
            assertThat(report.steps().subList(3, report.steps().size())).extracting(DrillStep::outcome)
                .containsOnly(StepOutcome.SKIP);
            assertThat(report.steps().get(2).detail()).contains("initdb");
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("drkit demo: ");
        } finally {
            try (var files = Files.list(bin)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(bin);
        }
    }

    private static DrillStep step(DrillReport report, String name) {
        return report.steps().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    private static void fakeTool(Path bin, String name, String body) throws Exception {
        Path tool = bin.resolve(name);
        Files.writeString(tool, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void defaultsAreBriefEnoughForTheReadmeCommand() {
        DemoDrill.Options defaults = DemoDrill.Options.defaults();

        assertThat(defaults.workload()).isLessThanOrEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.keep()).isFalse();
    }
}
