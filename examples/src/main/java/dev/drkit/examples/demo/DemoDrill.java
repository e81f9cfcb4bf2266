package dev.drkit.examples.demo;

import dev.drkit.core.DrkitException;
import dev.drkit.core.drill.CanaryResult;
import dev.drkit.core.drill.CanaryWriter;
import dev.drkit.core.drill.DrillReport;
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
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * drkit's main job, end to end on a local machine: start a primary and a synchronous streaming replica, run a
 * steady canary workload, crash the primary, detect it, promote the replica, and measure — not assume — how
 * long recovery took (RTO: until several consecutive real writes pass) and what was lost (RPO and lost
 * records, from the canary's numbered rows).
 *
 * <p>The clock starts when the crash is sent. From then on, a client probe watches the old primary (detection)
 * and a recovery verifier writes, every probe interval, to whichever server the application would use now:
 * the old primary until the promotion, the promoted replica after it. So the RTO includes the time to stop,
 * detect and promote, and its uncertainty is the probe interval.
 *
 * <p>Each later drkit capability (encrypted backups, the WAL archive and PITR, the failover DataSource) adds
 * its steps here.
 */
public final class DemoDrill {

    /** The longest acceptable recovery: generous, since it includes the promotion on a 2-core machine. */
    static final Duration RTO_TARGET = Duration.ofSeconds(30);
    /** Synchronous replication: no acknowledged write may be lost. */
    static final Duration RPO_TARGET = Duration.ZERO;

    private static final String PROBE_TABLE = "CREATE TABLE drkit_probe (at timestamptz NOT NULL)";

    static final List<String> STEP_NAMES = List.of(
        "find PostgreSQL", "start primary", "start synchronous replica", "steady workload",
        "replica has the workload", "crash the primary", "detect the failure", "promote the replica",
        "verify recovery", "count lost writes");

    private final Options options;
    private final PrintStream progress;
    private final List<PgCluster> clusters = new ArrayList<>();
    private DrkitException failure;

    /**
     * What to run, and how.
     *
     * @param binaries       the PostgreSQL binaries to use; empty to detect them
     * @param workload       how long the canary writes before the crash
     * @param canaryInterval time between canary writes
     * @param probeInterval  time between detection and recovery probes
     * @param consecutivePasses recovery probes that must pass in a row
     * @param keep           keep the clusters' directories (stopped) after the drill
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
     * skipped, and the report's verdict is FAIL. The clusters are always stopped and (unless kept) removed.
     */
    public DrillReport run() {
        Instant started = Instant.now();
        RecoveryTimeline timeline = RecoveryTimeline.start();
        DrillSteps steps = new DrillSteps(timeline);
        DrillReport.Builder report = DrillReport.builder("demo: crash the primary, promote the sync replica")
            .started(started).rtoTarget(RTO_TARGET).rpoTarget(RPO_TARGET);
        try {
            runSteps(timeline, steps, report);
        } catch (Exception e) {
            if (e instanceof DrkitException) {
                failure = (DrkitException) e;
            }
            STEP_NAMES.subList(Math.min(steps.steps().size(), STEP_NAMES.size()), STEP_NAMES.size())
                .forEach(name -> steps.skip(name, "an earlier step failed"));
        } finally {
            closeClusters();
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

    private void runSteps(RecoveryTimeline timeline, DrillSteps steps, DrillReport.Builder report) throws Exception {
        PgBinaries binaries = step(steps, 0, () -> options.binaries().orElseGet(PgBinaries::detect),
            b -> "PostgreSQL " + b.version() + " (" + b.source().toString().toLowerCase(Locale.ROOT)
                + ": " + b.binDirectory() + ")");
        PgClusterConfig config = PgClusterConfig.forTests().toBuilder().binaries(binaries)
            .deleteOnClose(!options.keep()).build();

        PgCluster primary = step(steps, 1, () -> track(PgCluster.start(config.toBuilder().name("primary").build())),
            p -> "127.0.0.1:" + p.port() + ", data " + p.dataDirectory());
        PgCluster replica = step(steps, 2, () -> track(primary.createReplica(ReplicaOptions.sync("replica"))),
            r -> "127.0.0.1:" + r.port() + ", streaming, synchronous");

        // Where the application writes now: the primary, then the promoted replica.
        AtomicReference<PgCluster> writer = new AtomicReference<>(primary);
        CanaryWriter canary = CanaryWriter.builder(new CanaryTable(writer::get), timeline).name("canary")
            .interval(options.canaryInterval()).build();
        CompletableFuture<RecoveryResult> recovery = null;
        try {
            step(steps, 3, () -> {
                primary.execute(CanaryTable.CREATE);
                primary.execute(PROBE_TABLE);
                canary.start();
                TimeUnit.NANOSECONDS.sleep(options.workload().toNanos());
                return canary.acknowledged();
            }, acked -> acked + " canary rows committed, one every " + options.canaryInterval().toMillis() + " ms");

            step(steps, 4, () -> {
                replica.awaitReplay(primary.currentLsn(), Duration.ofSeconds(10));
                return replica.queryLong("SELECT count(*) FROM drkit_canary");
            }, rows -> rows + " rows readable on the replica");

            RecoveryVerifier verifier = RecoveryVerifier.builder().name("write probe")
                .probeInterval(options.probeInterval()).consecutivePasses(options.consecutivePasses())
                .timeout(RTO_TARGET.multipliedBy(2)).build();
            CompletableFuture<Void> crash = step(steps, 5, () -> {
                timeline.mark(Milestone.DISRUPTION);
                return CompletableFuture.runAsync(() -> primary.stop(StopMode.IMMEDIATE));
            }, stopping -> "pg_ctl stop -m immediate sent (no shutdown checkpoint: a crash)");
            recovery = verifier.start(timeline, () -> writeProbe(writer.get()));

            step(steps, 6, () -> {
                awaitFailure(primary);
                timeline.mark(Milestone.DETECTION);
                crash.get(60, TimeUnit.SECONDS);
                return timeline.between(Milestone.DISRUPTION, Milestone.DETECTION).orElseThrow();
            }, detected -> "a client probe of the primary failed " + detected.toMillis() + " ms after the crash");

            step(steps, 7, () -> {
                replica.promote();
                timeline.mark(Milestone.ACTION);
                writer.set(replica);
                return replica.timeline();
            }, newTimeline -> "timeline " + newTimeline + "; the application now writes here");

            RecoveryResult recovered = recovery.get(RTO_TARGET.multipliedBy(3).toSeconds(), TimeUnit.SECONDS);
            report.rto(recovered);
            steps.check(STEP_NAMES.get(8), recovered.recovered(), recovered.recovered()
                ? options.consecutivePasses() + " consecutive write probes passed; " + recovered.probes() + " probes, "
                    + recovered.failedProbes() + " failed during the outage"
                : "not recovered within " + RTO_TARGET.multipliedBy(2).toSeconds() + " s: "
                    + recovered.lastFailure().orElse("no probe passed"));
            if (!recovered.recovered()) {
                return;
            }

            canary.stop();
            CanaryResult loss = step(steps, 9, canary::assess,
                r -> r.acknowledged() + " acknowledged, " + r.lostRecords() + " lost"
                    + (r.lostSequences().isEmpty() ? "" : " " + r.lostSequences()) + ", " + r.failedWrites()
                    + " failed during the outage");
            report.canary(loss);
        } finally {
            if (recovery != null) {
                recovery.cancel(true);
            }
            canary.close();
        }
    }

    private <T> T step(DrillSteps steps, int index, DrillSteps.Action<T> action, Function<? super T, String> describe)
        throws Exception {
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
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection connection = primary.connect(); Statement probe = connection.createStatement()) {
                probe.execute("SELECT 1");
            } catch (Exception expected) {
                return;
            }
            TimeUnit.NANOSECONDS.sleep(options.probeInterval().toNanos());
        }
        throw new IllegalStateException("the primary still answered 30 s after it was stopped");
    }

    /** A user-level probe: a real write, committed, on the server the application writes to now. */
    private static boolean writeProbe(PgCluster server) throws Exception {
        try (Connection connection = server.connect(); Statement write = connection.createStatement()) {
            return write.executeUpdate("INSERT INTO drkit_probe VALUES (now())") == 1;
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
