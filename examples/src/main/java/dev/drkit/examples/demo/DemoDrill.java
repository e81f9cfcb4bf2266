package dev.drkit.examples.demo;

import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.postgres.ArchiveReport;
import dev.drkit.backup.postgres.PitrDrillReport;
import dev.drkit.core.DataIntegrityException;
import dev.drkit.core.DrkitException;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.drill.CanaryResult;
import dev.drkit.core.drill.CanaryWriter;
import dev.drkit.core.drill.DrillReport;
import dev.drkit.core.drill.DrillSteps;
import dev.drkit.core.drill.Milestone;
import dev.drkit.core.drill.RecoveryResult;
import dev.drkit.core.drill.RecoveryTimeline;
import dev.drkit.core.drill.RecoveryVerifier;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.Secret;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;
import dev.drkit.failover.FailoverDataSource;
import dev.drkit.failover.event.FailoverEvent;
import dev.drkit.postgres.PgBinaries;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ReplicaOptions;
import dev.drkit.postgres.StopMode;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * drkit's main job, end to end on a local machine: start a primary and a synchronous streaming replica, run a
 * steady canary workload through drkit's failover-aware data source, back up a service's files (encrypted),
 * rotate, verify and restore them, then crash the primary, let the data source detect the loss, promote the
 * replica, and measure — not assume — how long recovery took (RTO: until several consecutive real writes pass
 * through the data source) and what was lost (RPO and lost records, from the canary's numbered rows).
 *
 * <p>The recovery clock starts when the crash is sent. From then on a recovery verifier writes, every probe
 * interval, through the application's data source, which finds the promoted replica by itself. So the RTO
 * includes the time to stop, detect, promote and follow, and its uncertainty is the probe interval.
 */
public final class DemoDrill {

    /** The longest acceptable recovery: generous, since it includes the promotion on a 2-core machine. */
    static final Duration RTO_TARGET = Duration.ofSeconds(30);
    /** Synchronous replication: no acknowledged write may be lost. */
    static final Duration RPO_TARGET = Duration.ZERO;
    /** With {@code --keep}: the file in the work directory that holds the kept backups' passphrase. */
    static final String KEPT_PASSPHRASE_FILE = "backup.passphrase";

    private static final String PROBE_TABLE = "CREATE TABLE drkit_probe (at timestamptz NOT NULL)";

    static final String FIND_POSTGRES = "find PostgreSQL";
    static final String PREPARE_STORES = "prepare the stores";
    static final String START_PRIMARY = "start primary, archiving WAL through drkit";
    static final String START_REPLICA = "start synchronous replica";
    static final String BASE_BACKUP = "encrypted base backup";
    static final String WORKLOAD = "steady workload";
    static final String REPLICA_CAUGHT_UP = "replica has the workload";
    static final String BACK_UP_FILES = "back up files";
    static final String ROTATE = "rotate backups";
    static final String VERIFY_BACKUPS = "verify backups";
    static final String RESTORE_FILES = "restore files";
    static final String VERIFY_ARCHIVE = "verify the WAL archive";
    static final String PITR_DRILL = "PITR drill to the middle of the workload";
    static final String CRASH = "crash the primary";
    static final String DETECT = "detect the failure";
    static final String PROMOTE = "promote the replica";
    static final String VERIFY_RECOVERY = "verify recovery";
    static final String COUNT_LOST = "count lost writes";

    static final List<String> STEP_NAMES = List.of(FIND_POSTGRES, PREPARE_STORES, START_PRIMARY, START_REPLICA,
        BASE_BACKUP,
        WORKLOAD, REPLICA_CAUGHT_UP, BACK_UP_FILES, ROTATE, VERIFY_BACKUPS, RESTORE_FILES, VERIFY_ARCHIVE, PITR_DRILL,
        CRASH, DETECT, PROMOTE, VERIFY_RECOVERY, COUNT_LOST);

    private final Options options;
    private final PrintStream progress;
    private final List<PgCluster> clusters = new ArrayList<>();
    private @Nullable DrkitException failure;

    /**
     * What to run, and how.
     *
     * @param binaries       the PostgreSQL binaries to use; empty to detect them
     * @param workload       how long the canary writes before the first backup
     * @param canaryInterval time between canary writes
     * @param probeInterval  time between recovery probes
     * @param consecutivePasses recovery probes that must pass in a row
     * @param keep           keep the clusters' directories (stopped) and the stores after the drill
     */
    public record Options(Optional<PgBinaries> binaries, Duration workload, Duration canaryInterval,
                          Duration probeInterval, int consecutivePasses, boolean keep) {
        public Options {
            Objects.requireNonNull(binaries, "binaries");
            Objects.requireNonNull(workload, "workload");
            Objects.requireNonNull(canaryInterval, "canaryInterval");
            Objects.requireNonNull(probeInterval, "probeInterval");
        }

        /** Three seconds of workload, a canary row every 50 ms, probes every 50 ms, three passes to recover. */
        public static Options defaults() {
            return new Options(Optional.empty(), Duration.ofSeconds(3), Duration.ofMillis(50), Duration.ofMillis(50),
                3, false);
        }

        public Options keepingClusters(boolean keepThem) {
            return new Options(binaries, workload, canaryInterval, probeInterval, consecutivePasses, keepThem);
        }

        public Options withBinaries(PgBinaries chosen) {
            return new Options(Optional.of(chosen), workload, canaryInterval, probeInterval, consecutivePasses, keep);
        }
    }

    public DemoDrill(Options options, PrintStream progress) {
        this.options = Objects.requireNonNull(options, "options");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /**
     * Runs the drill. A failing step ends it early: that step is recorded as failed, the remaining ones as
     * skipped, and the report's verdict is FAIL. The clusters are always stopped and, unless kept, removed with
     * the demo's stores.
     */
    public DrillReport run() {
        Instant started = Instant.now();
        RecoveryTimeline timeline = RecoveryTimeline.start();
        DrillSteps steps = new DrillSteps(timeline);
        DrillReport.Builder report = DrillReport.builder("demo: back up, verify, crash the primary, fail over")
            .started(started).rtoTarget(RTO_TARGET).rpoTarget(RPO_TARGET);
        Path work = null;
        try {
            work = Files.createTempDirectory("drkit-demo-");
            runSteps(timeline, steps, report, work);
        } catch (Exception e) {
            boolean stepFailed = steps.anyFailed();
            if (e instanceof DrkitException) {
                failure = (DrkitException) e;
            } else if (work == null) {
                failure = new EnvironmentException("Cannot create the demo's work directory: " + e.getMessage(),
                    Map.of(), e);
            } else if (!stepFailed) {
                // Between steps (preparing the stores, a statement of the drill's own): no step says what went
                // wrong, so the failure must, or the report would show only skipped steps and exit 1.
                failure = new EnvironmentException("The demo stopped between its steps: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), Map.of(), e);
            }
            Set<String> done = new HashSet<>();
            steps.steps().forEach(step -> done.add(step.name()));
            List<String> notRun = STEP_NAMES.stream().filter(name -> !done.contains(name)).toList();
            for (int i = 0; i < notRun.size(); i++) {
                if (i == 0 && !stepFailed && failure != null) {
                    steps.check(notRun.get(0), false, "not started: " + failure.getMessage());
                } else {
                    steps.skip(notRun.get(i), "an earlier step failed");
                }
            }
        } finally {
            closeClusters();
            if (work != null) {
                if (options.keep()) {
                    progress.println("demo: kept the stores and files in " + work);
                } else {
                    deleteTree(work);
                }
            }
        }
        steps.steps().forEach(report::step);
        return report.finished(Instant.now()).build();
    }

    /**
     * The drkit exception that stopped the drill, if one did: an environment failure (no PostgreSQL, no way to
     * run it, a port or disk problem) rather than a finding about recovery.
     */
    public Optional<DrkitException> failure() {
        return Optional.ofNullable(failure);
    }

    private void runSteps(RecoveryTimeline timeline, DrillSteps steps, DrillReport.Builder report, Path work)
        throws Exception {
        PgBinaries binaries = step(steps, FIND_POSTGRES, () -> options.binaries().orElseGet(PgBinaries::detect),
            b -> "PostgreSQL " + b.version() + " (" + b.source().toString().toLowerCase(Locale.ROOT)
                + ": " + b.binDirectory() + ")");
        PgClusterConfig config = PgClusterConfig.forTests().toBuilder().binaries(binaries)
            .deleteOnClose(!options.keep()).build();

        try (Secret passphrase = randomPassphrase();
             Stores stores = step(steps, PREPARE_STORES, () -> Stores.open(work, passphrase),
                 made -> "a WAL store, a backup store and a file backup store in " + work
                     + "; the class path copied for the server's archive_command")) {
            DatabaseBackups databases = stores.databases();
            FileBackups files = stores.files();
            if (options.keep()) {
                keepPassphrase(work, passphrase);
            }
            PgCluster primary = step(steps, START_PRIMARY, () -> {
                    PgCluster started = track(PgCluster.start(config.toBuilder().name("primary")
                        .settings(databases.archiveSettings()).build()));
                    started.execute(CanaryTable.CREATE);
                    started.execute(PROBE_TABLE);
                    return started;
                },
                p -> "127.0.0.1:" + p.port() + ", data " + p.dataDirectory() + "; archive_command = drkit wal-push into "
                    + databases.walStore());
            PgCluster replica = step(steps, START_REPLICA,
                () -> track(primary.createReplica(ReplicaOptions.sync("replica"))),
                r -> "127.0.0.1:" + r.port() + ", streaming, synchronous");
            BackupInfo baseBackup = step(steps, BASE_BACKUP, () -> databases.baseBackup(primary),
                b -> "pg_basebackup streamed into an encrypted backup: " + b.plaintextBytes() + " bytes, "
                    + b.ciphertextBytes() + " stored, in " + databases.backupStore());

            // The application: drkit's data source over both servers, writing wherever the primary is now.
            CompletableFuture<Long> primaryLost = new CompletableFuture<>();
            try (FailoverDataSource application = FailoverDataSource.create(FailoverConfig.builder().name("demo")
                .endpoints(Endpoint.of(PgCluster.HOST, primary.port()), Endpoint.of(PgCluster.HOST, replica.port()))
                .credentials(CredentialsSource.fixed(primary.superuser(), primary.superuserPassword()))
                // Writes during the outage fail after a second instead of queueing: the report counts them.
                .primaryWait(Duration.ofSeconds(1))
                .build())) {
                application.addListener(event -> {
                    // A loss before the crash (a slow probe on a loaded machine) is not the one being measured.
                    if (event.type() == FailoverEvent.Type.PRIMARY_LOST
                        && timeline.find(Milestone.DISRUPTION).isPresent()) {
                        primaryLost.complete(timeline.ticker().nanos());
                    }
                });
                CanaryWriter canary = CanaryWriter.builder(new CanaryTable(application), timeline).name("canary")
                    .interval(options.canaryInterval()).build();
                try {
                    Instant target = runWorkload(steps, primary, replica, application, canary);
                    runFileBackups(steps, files);
                    runPitr(steps, primary, databases, binaries, baseBackup, target);
                    runFailover(timeline, steps, report, primary, replica, application, canary, primaryLost);
                } finally {
                    canary.close();
                }
            }
        }
    }

    /** The demo's stores, made and closed together. */
    private record Stores(DatabaseBackups databases, FileBackups files) implements AutoCloseable {
        static Stores open(Path work, Secret passphrase) throws Exception {
            DatabaseBackups databases = new DatabaseBackups(work, passphrase);
            try {
                return new Stores(databases, new FileBackups(work, passphrase));
            } catch (Exception e) {
                try {
                    databases.close();
                } catch (Exception closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
        }

        @Override
        public void close() throws Exception {
            try (DatabaseBackups closedLast = databases; FileBackups closedFirst = files) {
                // both closed, the file backups first
            }
        }
    }

    /** Runs the canary for the workload's time; returns a moment in its middle, the PITR drill's target. */
    private Instant runWorkload(DrillSteps steps, PgCluster primary, PgCluster replica,
                                FailoverDataSource application, CanaryWriter canary) throws Exception {
        Instant[] middle = new Instant[1];
        step(steps, WORKLOAD, () -> {
            if (!application.awaitPrimary(Duration.ofSeconds(10))) {
                throw new EnvironmentException("drkit's data source found no primary within 10 s", Map.of(), null);
            }
            canary.start();
            TimeUnit.NANOSECONDS.sleep(options.workload().toNanos() / 2);
            middle[0] = Instant.now();
            TimeUnit.NANOSECONDS.sleep(options.workload().toNanos() / 2);
            return canary.acknowledged();
        }, acked -> acked + " canary rows committed through drkit's data source, one every "
            + options.canaryInterval().toMillis() + " ms; PITR target " + middle[0]);

        step(steps, REPLICA_CAUGHT_UP, () -> {
            replica.awaitReplay(primary.currentLsn(), Duration.ofSeconds(10));
            return replica.queryLong("SELECT count(*) FROM " + CanaryTable.TABLE);
        }, rows -> rows + " rows readable on the replica");
        return middle[0];
    }

    private void runFileBackups(DrillSteps steps, FileBackups files) throws Exception {
        List<BackupInfo> taken = step(steps, BACK_UP_FILES, files::backUpTwice,
            backups -> backups.size() + " encrypted backups of a service's configuration (AES-256, zstd): "
                + backups.get(0).plaintextBytes() + " bytes each, in " + files.store());
        step(steps, ROTATE, files::rotate,
            rotation -> "keep the newest: deleted " + rotation.deleted() + " (" + rotation.bytesFreed()
                + " bytes freed), kept " + taken.get(taken.size() - 1).id());
        step(steps, VERIFY_BACKUPS, files::verify,
            results -> results.size() + " verifications passed: quick (checksums, no key) and full (decrypted, "
                + "manifest authenticated, " + results.get(results.size() - 1).entries() + " entries checked)");
        step(steps, RESTORE_FILES, files::restoreAndCompare,
            restored -> restored.entries() + " entries restored to another directory, every file equal to the source");
    }

    private void runPitr(DrillSteps steps, PgCluster primary, DatabaseBackups databases, PgBinaries binaries,
                         BackupInfo baseBackup, Instant target) throws Exception {
        step(steps, VERIFY_ARCHIVE, () -> {
            databases.switchAndAwaitArchived(primary, Duration.ofSeconds(60));
            ArchiveReport verified = databases.verifyArchive();
            if (!verified.ok()) {
                throw new DataIntegrityException("The WAL archive failed verification: " + verified.faults().get(0),
                    Map.of("archive", verified.archive()), null);
            }
            return verified;
        }, verified -> verified.segmentsRead() + " segments walked record by record, no gap or damage; RPO "
            + verified.rpo().map(rpo -> rpo.toMillis() + " ms").orElse("not measured")
            + " (now minus the newest archived commit)");

        long writtenBefore = primary.queryLong("SELECT count(*) FROM " + CanaryTable.TABLE + " WHERE written_at <= '"
            + target + "'");
        step(steps, PITR_DRILL, () -> {
            PitrDrillReport drilled = databases.pitrDrill(baseBackup.id(), binaries, target, writtenBefore);
            if (!drilled.passed()) {
                throw new DataIntegrityException("The PITR drill failed: " + drilled.toText(), Map.of(), null);
            }
            return drilled;
        }, drilled -> "replayed through drkit wal-fetch to the target, paused at "
            + drilled.reached().lastCommit().map(Instant::toString).orElse("?") + "; canary checked (" + writtenBefore
            + " rows before the target); RTO " + seconds(drilled.rto()) + " (fetch " + seconds(drilled.fetchTime())
            + ", replay " + seconds(drilled.replayTime()) + ", checks " + seconds(drilled.checkTime()) + ")");
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }

    private void runFailover(RecoveryTimeline timeline, DrillSteps steps, DrillReport.Builder report,
                             PgCluster primary, PgCluster replica, FailoverDataSource application,
                             CanaryWriter canary, CompletableFuture<Long> primaryLost) throws Exception {
        // The data source makes writes wait for a new primary instead of failing; a probe that waits longer than
        // a user would (250 ms) counts as failed, so the RTO is when writes complete promptly again.
        RecoveryVerifier verifier = RecoveryVerifier.builder().name("write probe")
            .probeInterval(options.probeInterval()).probeTimeout(Duration.ofMillis(250))
            .consecutivePasses(options.consecutivePasses()).timeout(RTO_TARGET.multipliedBy(2)).build();
        CompletableFuture<RecoveryResult> recovery = null;
        try {
            // The probes start once the server is gone: before that, writes that pass prove nothing about recovery.
            step(steps, CRASH, () -> {
                timeline.mark(Milestone.DISRUPTION);
                primary.stop(StopMode.IMMEDIATE);
                return "pg_ctl stop -m immediate: the server is gone, without a shutdown checkpoint (a crash)";
            }, detail -> detail);
            recovery = verifier.start(timeline, () -> writeProbe(application));

            step(steps, DETECT, () -> {
                timeline.markAt(Milestone.DETECTION, primaryLost.get(30, TimeUnit.SECONDS));
                return timeline.between(Milestone.DISRUPTION, Milestone.DETECTION).orElseThrow();
            }, detected -> "drkit's data source declared the primary lost " + detected.toMillis()
                + " ms after the crash was sent");

            step(steps, PROMOTE, () -> {
                replica.promote();
                timeline.mark(Milestone.ACTION);
                return replica.timeline();
            }, newTimeline -> "timeline " + newTimeline + "; the data source follows it by itself");

            RecoveryResult recovered = recovery.get(RTO_TARGET.multipliedBy(3).toSeconds(), TimeUnit.SECONDS);
            report.rto(recovered);
            steps.check(VERIFY_RECOVERY, recovered.recovered(), recovered.recovered()
                ? options.consecutivePasses() + " consecutive writes through the data source passed; "
                    + recovered.probes() + " probes, " + recovered.failedProbes() + " failed during the outage"
                : "not recovered within " + RTO_TARGET.multipliedBy(2).toSeconds() + " s: "
                    + recovered.lastFailure().orElse("no probe passed"));
            if (!recovered.recovered()) {
                return;
            }

            canary.stop();
            CanaryResult loss = step(steps, COUNT_LOST, canary::assess,
                r -> r.acknowledged() + " acknowledged, " + r.lostRecords() + " lost"
                    + (r.lostSequences().isEmpty() ? "" : " " + r.lostSequences()) + ", " + r.failedWrites()
                    + " failed during the outage");
            report.canary(loss);
        } finally {
            if (recovery != null) {
                recovery.cancel(true);
            }
        }
    }

    private <T> T step(DrillSteps steps, String name, DrillSteps.Action<T> action,
                       Function<? super T, String> describe) throws Exception {
        progress.println("demo: " + name + " ...");
        return steps.run(name, action, describe);
    }

    private PgCluster track(PgCluster cluster) {
        clusters.add(cluster);
        return cluster;
    }

    /** A user-level probe: a real write, committed, through the application's data source. */
    private static boolean writeProbe(FailoverDataSource application) throws Exception {
        try (Connection connection = application.getConnection(); Statement write = connection.createStatement()) {
            return write.executeUpdate("INSERT INTO drkit_probe VALUES (now())") == 1;
        }
    }

    /**
     * With {@code --keep}: the backups kept are of no use without their passphrase, which is otherwise only in memory,
     * so it goes into a file only this user may read ({@code 0600} from its creation), next to them.
     */
    private void keepPassphrase(Path work, Secret passphrase) throws IOException {
        Path file = work.resolve(KEPT_PASSPHRASE_FILE);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        byte[] bytes = passphrase.revealBytes();
        try {
            byte[] line = Arrays.copyOf(bytes, bytes.length + 1);
            line[bytes.length] = '\n';
            Files.write(file, line);
            Arrays.fill(line, (byte) 0);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        progress.println("demo: the kept backups' passphrase is in " + file + " (for --passphrase-file; remove it"
            + " with the rest); the kept primary's archive_command names a copy that is removed");
    }

    /** A random passphrase for the demo's backups; kept only in memory (and, with {@code --keep}, in a file). */
    private static Secret randomPassphrase() {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        char[] chars = Base64.getEncoder().encodeToString(random).toCharArray();
        Arrays.fill(random, (byte) 0);
        return Secret.of(chars, "demo backup passphrase");
    }

    private void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            progress.println("demo: could not remove " + root + ": " + e.getMessage());
        }
    }

    private void closeClusters() {
        for (int i = clusters.size() - 1; i >= 0; i--) {
            PgCluster cluster = clusters.get(i);
            try {
                cluster.close();
                if (options.keep()) {
                    progress.println("demo: kept " + cluster.name() + " (stopped): data directory "
                        + cluster.dataDirectory() + ", server log " + cluster.logFile());
                }
            } catch (RuntimeException e) {
                // One cluster failing to close must not leave the others running.
                progress.println("demo: could not close " + cluster.name() + ": " + e.getClass().getName());
            }
        }
        clusters.clear();
    }
}
