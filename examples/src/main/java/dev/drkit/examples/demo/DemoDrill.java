package dev.drkit.examples.demo;

import dev.drkit.core.drill.CanaryResult;
import dev.drkit.core.drill.CanaryWriter;
import dev.drkit.core.drill.DrillReport;
import dev.drkit.core.drill.DrillStep;
import dev.drkit.core.drill.DrillSteps;
import dev.drkit.core.drill.Milestone;
import dev.drkit.core.drill.RecoveryResult;
import dev.drkit.core.drill.RecoveryTimeline;
import dev.drkit.core.drill.RecoveryVerifier;
import dev.drkit.postgres.PgBinaries;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ReplicaOptions;
import dev.drkit.postgres.StopMode;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * drkit's main job, end to end on a local machine: start a primary and a synchronous streaming replica, run a
 * steady canary workload, crash the primary, detect it, promote the replica, and measure — not assume — how
 * long recovery took (RTO: until several consecutive real writes pass) and what was lost (RPO and lost
 * records, from the canary's numbered rows).
 *
 * <p>Each later drkit capability (encrypted backups, the WAL archive and PITR, the failover DataSource) adds
 * its steps here.
 */
public final class DemoDrill {

    /** The longest acceptable recovery: generous, since it includes the promotion on a 2-core machine. */
    static final Duration RTO_TARGET = Duration.ofSeconds(30);
    /** Synchronous replication: no acknowledged write may be lost. */
    static final Duration RPO_TARGET = Duration.ZERO;

    private final Options options;
    private final PrintStream progress;
    private final List<PgCluster> clusters = new ArrayList<>();

    /** What to run, and how. */
    public record Options(Duration workload, Duration canaryInterval, Duration probeInterval, int consecutivePasses,
                          boolean keep) {
        public Options {
            Objects.requireNonNull(workload, "workload");
            Objects.requireNonNull(canaryInterval, "canaryInterval");
            Objects.requireNonNull(probeInterval, "probeInterval");
        }

        /** Three seconds of workload, a canary row every 50 ms, probes every 50 ms, three passes to recover. */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(3), Duration.ofMillis(50), Duration.ofMillis(50), 3, false);
        }

        public Options keepingClusters(boolean keepThem) {
            return new Options(workload, canaryInterval, probeInterval, consecutivePasses, keepThem);
        }
    }

    public DemoDrill(Options options, PrintStream progress) {
        this.options = Objects.requireNonNull(options, "options");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** Runs the drill; a failed step ends it early with the remaining steps marked skipped. */
    public DrillReport run() {
        Instant started = Instant.now();
        RecoveryTimeline timeline = RecoveryTimeline.start();
        DrillSteps steps = new DrillSteps(timeline);
        DrillReport.Builder report = DrillReport.builder("demo: crash the primary, promote the sync replica")
            .started(started).rtoTarget(RTO_TARGET).rpoTarget(RPO_TARGET);
        try {
            runSteps(timeline, steps, report);
        } catch (Exception e) {
            // Recorded as a failed step already; the report carries it.
            List<String> skipped = remainingAfter(steps.steps());
            skipped.forEach(name -> steps.skip(name, "an earlier step failed"));
        } finally {
            closeClusters();
        }
        steps.steps().forEach(report::step);
        return report.finished(Instant.now()).build();
    }

    private static final List<String> STEP_NAMES = List.of(
        "find PostgreSQL", "start primary", "start synchronous replica", "steady workload",
        "replica has the workload", "crash the primary", "detect the failure", "promote the replica",
        "verify recovery", "count lost writes");

    private static List<String> remainingAfter(List<DrillStep> done) {
        return STEP_NAMES.subList(Math.min(done.size(), STEP_NAMES.size()), STEP_NAMES.size());
    }

    private void runSteps(RecoveryTimeline timeline, DrillSteps steps, DrillReport.Builder report) throws Exception {
        PgBinaries binaries = step(steps, 0, PgBinaries::detect,
            b -> "PostgreSQL " + b.version() + " (" + b.source().toString().toLowerCase(java.util.Locale.ROOT)
                + ": " + b.binDirectory() + ")");
        PgClusterConfig config = PgClusterConfig.forTests().toBuilder().binaries(binaries)
            .deleteOnClose(!options.keep()).build();

        PgCluster primary = step(steps, 1, () -> track(PgCluster.start(config.toBuilder().name("primary").build())),
            p -> "127.0.0.1:" + p.port() + ", data " + p.dataDirectory());
        PgCluster replica = step(steps, 2, () -> track(primary.createReplica(ReplicaOptions.sync("replica"))),
            r -> "127.0.0.1:" + r.port() + ", streaming, synchronous");

        AtomicReference<PgCluster> currentPrimary = new AtomicReference<>(primary);
        primary.execute(CanaryTable.CREATE);
        CanaryWriter canary = CanaryWriter.builder(new CanaryTable(currentPrimary::get), timeline).name("canary")
            .interval(options.canaryInterval()).build();
        try {
            step(steps, 3, () -> {
                canary.start();
                Thread.sleep(options.workload().toMillis());
                return canary.acknowledged();
            }, acked -> acked + " canary rows committed, one every " + options.canaryInterval().toMillis() + " ms");

            step(steps, 4, () -> {
                replica.awaitReplay(primary.currentLsn(), Duration.ofSeconds(10));
                return replica.queryLong("SELECT count(*) FROM drkit_canary");
            }, rows -> rows + " rows readable on the replica");

            step(steps, 5, () -> {
                primary.stop(StopMode.IMMEDIATE);
                timeline.mark(Milestone.DISRUPTION);
                return "pg_ctl stop -m immediate (no shutdown checkpoint: a crash)";
            }, detail -> detail);

            step(steps, 6, () -> {
                awaitFailure(primary);
                timeline.mark(Milestone.DETECTION);
                return "a probe of the primary failed " + timeline.between(Milestone.DISRUPTION, Milestone.DETECTION)
                    .map(d -> d.toMillis() + " ms").orElse("?") + " after the crash";
            }, detail -> detail);

            step(steps, 7, () -> {
                replica.promote();
                timeline.mark(Milestone.ACTION);
                currentPrimary.set(replica);
                return "timeline " + replica.timeline() + ", in recovery: " + replica.isInRecovery();
            }, detail -> detail);

            RecoveryResult recovery = step(steps, 8, () -> RecoveryVerifier.builder().name("write probe")
                    .probeInterval(options.probeInterval()).consecutivePasses(options.consecutivePasses())
                    .timeout(RTO_TARGET.multipliedBy(2)).build()
                    .verify(timeline, () -> writeProbe(replica)),
                r -> r.recovered()
                    ? options.consecutivePasses() + " consecutive write probes passed; " + r.probes() + " probes, "
                        + r.failedProbes() + " failed"
                    : "no recovery: " + r.lastFailure().orElse("unknown"));
            report.rto(recovery);
            if (!recovery.recovered()) {
                throw new IllegalStateException("recovery was not verified");
            }

            canary.stop();
            CanaryResult loss = step(steps, 9, canary::assess,
                r -> r.acknowledged() + " acknowledged, " + r.lostRecords() + " lost"
                    + (r.lostSequences().isEmpty() ? "" : " " + r.lostSequences()) + ", " + r.failedWrites()
                    + " failed during the outage");
            report.canary(loss);
        } finally {
            canary.close();
        }
    }

    private <T> T step(DrillSteps steps, int index, DrillSteps.Action<T> action,
                       java.util.function.Function<? super T, String> describe) throws Exception {
        String name = STEP_NAMES.get(index);
        progress.println("demo: " + name + " ...");
        return steps.run(name, action, describe);
    }

    private PgCluster track(PgCluster cluster) {
        clusters.add(cluster);
        return cluster;
    }

    /** Probes the primary as a client would, until a probe fails. */
    private void awaitFailure(PgCluster primary) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection connection = primary.connect()) {
                connection.createStatement().execute("SELECT 1");
            } catch (Exception expected) {
                return;
            }
            Thread.sleep(options.probeInterval().toMillis());
        }
        throw new IllegalStateException("the primary still answered 10 s after it was stopped");
    }

    /** A user-level probe: a real write, committed, then read back. */
    private static boolean writeProbe(PgCluster server) throws Exception {
        try (Connection connection = server.connect();
             PreparedStatement write = connection.prepareStatement(
                 "CREATE TABLE IF NOT EXISTS drkit_probe (at timestamptz); INSERT INTO drkit_probe VALUES (now())")) {
            write.execute();
        }
        return server.queryLong("SELECT count(*) FROM drkit_probe") > 0;
    }

    private void closeClusters() {
        for (int i = clusters.size() - 1; i >= 0; i--) {
            PgCluster cluster = clusters.get(i);
            cluster.close();
            if (options.keep()) {
                progress.println("demo: kept " + cluster.name() + " (stopped): data directory " + cluster.dataDirectory()
                    + ", server log " + cluster.logFile());
            }
        }
        clusters.clear();
    }
}
