package dev.drkit.failover.drill;

import dev.drkit.core.DrkitException;
import dev.drkit.core.drill.DrillReport;
import dev.drkit.core.drill.DrillSteps;
import dev.drkit.core.drill.MeasuredDuration;
import dev.drkit.core.drill.Milestone;
import dev.drkit.core.drill.RecoveryTimeline;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;
import dev.drkit.failover.FailoverDataSource;
import dev.drkit.failover.Retry;
import dev.drkit.failover.event.FailoverEvent;
import dev.drkit.postgres.PgBinaries;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ReplicaOptions;
import dev.drkit.postgres.ReplicationMode;
import dev.drkit.postgres.StopMode;

import org.jspecify.annotations.Nullable;

import javax.sql.DataSource;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The failover drill: starts a primary and a replica on this machine, runs a steady load of numbered writes
 * through a {@link DataSource} (drkit's {@link FailoverDataSource} by default, or any other, to compare), breaks
 * the primary, promotes the replica one second later, and reports what the application saw: time to detect,
 * time from the promotion to the first successful write, requests failed and delayed, acknowledged writes lost
 * (exactly, from the numbered rows) and writes that reached the old primary after the promotion.
 *
 * <p>Scenarios: {@link Scenario#CRASH} ({@code kill -9}, or {@code pg_ctl stop -m immediate} with
 * {@link Options#withCrashBy(CrashBy)}), {@link Scenario#FREEZE} (SIGSTOP: TCP accepted, nothing answers; thawed
 * after recovery, so whatever it then does is counted), {@link Scenario#ZOMBIE} (crash, promote, then restart the
 * old primary as a primary). A crash can come after a stalled WAL sender
 * ({@link Options#withStallWalSender(Duration)}: SIGSTOP of the primary's WAL sender processes while the writes go
 * on, then {@code kill -9} of them and the postmaster), which under asynchronous replication loses writes the
 * primary had acknowledged. The verdict fails when the load never recovers, when an acknowledged write is lost
 * under synchronous replication, when acknowledged writes were lost and the data source did not report a
 * possible data loss ({@link FailoverEvent.Type#POSSIBLE_DATA_LOSS}), when any write reached the old primary
 * after the promotion, or, with the writes marked safe to retry ({@link Options#withRetry(Retry)}), when any write
 * failed although the outage was shorter than the data source's {@link FailoverConfig#primaryWait()}.
 *
 * <p>Not thread-safe: one {@link #run()} at a time.
 *
 * @since 0.1
 */
public final class FailoverDrill {

    /** How the primary is broken. @since 0.1 */
    public enum Scenario {
        /** {@code kill -9} of the postmaster: connections are reset. */
        CRASH,
        /** SIGSTOP of the postmaster and its backends: no reset, only silence. */
        FREEZE,
        /** Crash, promote, then the old primary restarts as a primary on its old timeline. */
        ZOMBIE
    }

    /**
     * How a crash ({@link Scenario#CRASH}, {@link Scenario#ZOMBIE}) stops the primary.
     *
     * @since 0.1
     */
    public enum CrashBy {
        /**
         * {@code kill -9} of the postmaster: its backends learn of it only once its exit completes, and until then
         * accept statements, then fail them with {@code FATAL} 57P01.
         */
        KILL,
        /**
         * {@code pg_ctl stop -m immediate}: the postmaster sends SIGQUIT to its backends, which warn their clients
         * (57P01) and exit at once, then exits itself without a checkpoint (the server recovers as after a crash).
         */
        IMMEDIATE
    }

    /**
     * Opens the data source the load writes through.
     *
     * @since 0.1
     */
    @FunctionalInterface
    public interface DataSourceFactory {
        /** A data source over {@code primary} then {@code replica}, with the given credentials. */
        DataSource open(List<Endpoint> hosts, CredentialsSource credentials) throws Exception;
    }

    /**
     * What to run.
     *
     * @param scenario      how to break the primary
     * @param replication   synchronous or asynchronous replica
     * @param threads       writer threads
     * @param writeInterval time between one writer's writes
     * @param steady        load before the break, and after the recovery
     * @param promoteAfter  time from the break to the promotion
     * @param binaries      PostgreSQL binaries, or empty to detect them
     * @param label         what writes go through, for the report's name
     * @param dataSources   how to open the data source
     * @param stallWalSender how long the primary's WAL senders are stopped before a crash (zero: not at all)
     * @param crashBy       how a crash stops the primary (ignored by {@link Scenario#FREEZE})
     * @param retry         {@link Retry#SAFE_TO_RETRY} to write each row through
     *                      {@link FailoverDataSource#inTransaction(Retry, dev.drkit.failover.SqlWork)} marked safe to
     *                      retry, with an idempotent insert (through a {@link FailoverDataSource} only; other data
     *                      sources have no such helper and are not retried)
     * @since 0.1
     */
    public record Options(Scenario scenario, ReplicationMode replication, int threads, Duration writeInterval,
                          Duration steady, Duration promoteAfter, Optional<PgBinaries> binaries, String label,
                          DataSourceFactory dataSources, Duration stallWalSender, CrashBy crashBy, Retry retry) {

        /** Checks that no component is null. */
        public Options {
            Objects.requireNonNull(scenario, "scenario");
            Objects.requireNonNull(replication, "replication");
            Objects.requireNonNull(writeInterval, "writeInterval");
            Objects.requireNonNull(steady, "steady");
            Objects.requireNonNull(promoteAfter, "promoteAfter");
            Objects.requireNonNull(binaries, "binaries");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(dataSources, "dataSources");
            Objects.requireNonNull(stallWalSender, "stallWalSender");
            Objects.requireNonNull(crashBy, "crashBy");
            Objects.requireNonNull(retry, "retry");
            if (stallWalSender.isNegative() || stallWalSender.compareTo(Duration.ofMinutes(1)) > 0) {
                throw new IllegalArgumentException("stallWalSender must be between 0 and 1 min, but was "
                    + stallWalSender);
            }
            if (!stallWalSender.isZero() && scenario != Scenario.CRASH) {
                throw new IllegalArgumentException("a stalled WAL sender goes with the crash scenario, not "
                    + scenario.name().toLowerCase(Locale.ROOT));
            }
            if (crashBy != CrashBy.KILL && scenario == Scenario.FREEZE) {
                throw new IllegalArgumentException("an immediate stop is a way to crash, not to freeze");
            }
            if (crashBy != CrashBy.KILL && !stallWalSender.isZero()) {
                throw new IllegalArgumentException("a stalled WAL sender is killed with its postmaster (kill -9),"
                    + " not stopped by pg_ctl");
            }
        }

        /** The options without {@code retry}: writes are never retried. */
        public Options(Scenario scenario, ReplicationMode replication, int threads, Duration writeInterval,
                       Duration steady, Duration promoteAfter, Optional<PgBinaries> binaries, String label,
                       DataSourceFactory dataSources, Duration stallWalSender, CrashBy crashBy) {
            this(scenario, replication, threads, writeInterval, steady, promoteAfter, binaries, label, dataSources,
                stallWalSender, crashBy, Retry.NEVER);
        }

        /** The options without {@code crashBy}: a crash is {@link CrashBy#KILL}. */
        public Options(Scenario scenario, ReplicationMode replication, int threads, Duration writeInterval,
                       Duration steady, Duration promoteAfter, Optional<PgBinaries> binaries, String label,
                       DataSourceFactory dataSources, Duration stallWalSender) {
            this(scenario, replication, threads, writeInterval, steady, promoteAfter, binaries, label, dataSources,
                stallWalSender, CrashBy.KILL);
        }

        /**
         * {@code scenario} and {@code replication} through drkit's data source with its defaults: two writers,
         * about 30 writes/s, two seconds of steady load, promotion one second after the break.
         */
        public static Options of(Scenario scenario, ReplicationMode replication) {
            return new Options(scenario, replication, 2, Duration.ofMillis(66), Duration.ofSeconds(2),
                Duration.ofSeconds(1), Optional.empty(), "drkit", FailoverDrill::drkit, Duration.ZERO, CrashBy.KILL,
                Retry.NEVER);
        }

        /** The same options through another data source. */
        public Options through(String newLabel, DataSourceFactory factory) {
            return new Options(scenario, replication, threads, writeInterval, steady, promoteAfter, binaries, newLabel,
                factory, stallWalSender, crashBy, retry);
        }

        /**
         * The same options with the primary's WAL senders stopped (SIGSTOP) for {@code stall} while the writes go
         * on, right before the crash; the crash then kills them with the postmaster, so the replica never gets
         * what they held back.
         *
         * @throws IllegalArgumentException unless the scenario is {@link Scenario#CRASH} and {@code stall} is
         *                                  between 0 and 1 min
         */
        public Options withStallWalSender(Duration stall) {
            return new Options(scenario, replication, threads, writeInterval, steady, promoteAfter, binaries, label,
                dataSources, stall, crashBy, retry);
        }

        /**
         * The same options with the primary crashed by {@code how}.
         *
         * @throws IllegalArgumentException if {@code how} is {@link CrashBy#IMMEDIATE} and the scenario is
         *                                  {@link Scenario#FREEZE} or a WAL sender stall is set
         */
        public Options withCrashBy(CrashBy how) {
            return new Options(scenario, replication, threads, writeInterval, steady, promoteAfter, binaries, label,
                dataSources, stallWalSender, how, retry);
        }

        /**
         * The same options with the writes run as {@code mode} says: {@link Retry#SAFE_TO_RETRY} writes each row
         * in a transaction marked safe to retry, with an idempotent insert, when the data source is a
         * {@link FailoverDataSource}; the verdict then also requires that no write failed when the outage was
         * shorter than the data source's {@link FailoverConfig#primaryWait()}.
         */
        public Options withRetry(Retry mode) {
            return new Options(scenario, replication, threads, writeInterval, steady, promoteAfter, binaries, label,
                dataSources, stallWalSender, crashBy, mode);
        }
    }

    /**
     * The figures of one drill; durations are empty when not measured.
     *
     * @param report               the drill report
     * @param timeToDetect         from the break to the data source declaring the primary lost (drkit only)
     * @param firstWriteAfterPromotion from the moment the replica left recovery (first seen by a client polling it
     *                             every 2 ms during the promotion) to the first acknowledged write, floored at 0
     * @param firstWriteAfterPromote   from the start of the promotion to the first acknowledged write
     * @param acknowledged         writes acknowledged
     * @param failed               writes that failed: {@code failedInFlight + failedAfterBreak}
     * @param delayed              writes that succeeded after more than 250 ms
     * @param lost                 acknowledged writes missing on the new primary
     * @param zombieWrites         writes sent to the old primary after the promotion that it executed: its rows,
     *                             and its commits waiting for a synchronous standby (invisible to a count of
     *                             rows). Writes in flight when a frozen primary stopped, which it executes when
     *                             thawed, are not sent after the promotion: the step's detail gives them apart
     * @param dataLossReport       what the data source reported of a possible data loss (the detail of its
     *                             {@link FailoverEvent.Type#POSSIBLE_DATA_LOSS} event), if it did
     * @param failedInFlight       failed writes that had started before the break: in flight on the connection
     *                             that broke, they cannot succeed and are never retried
     * @param failedAfterBreak     failed writes that started at or after the break
     * @param failedAfterDetection of those, the ones that started after the data source declared the primary lost
     *                             (drkit only; empty when the data source reports no loss): the writes drkit's
     *                             {@link FailoverConfig#primaryWait()} is meant to save when the outage is
     *                             shorter than the wait. A write that started after the break but before the
     *                             loss was noticed is not handed a pooled connection whose backend already died,
     *                             but may still be sent to a backend of a dying primary (after {@code kill -9},
     *                             backends serve until the postmaster's exit completes) and fail.
     * @param retry                how the writes ran: {@link Retry#SAFE_TO_RETRY} only when asked for and the data
     *                             source is a {@link FailoverDataSource}
     * @param retried              acknowledged writes that took more than one attempt (their connection was lost
     *                             and they ran again on the new primary); 0 unless {@code retry} is
     *                             {@link Retry#SAFE_TO_RETRY}
     * @since 0.1
     */
    public record Result(DrillReport report, Optional<Duration> timeToDetect,
                         Optional<Duration> firstWriteAfterPromotion, Optional<Duration> firstWriteAfterPromote,
                         long acknowledged, long failed, long delayed, long lost, long zombieWrites,
                         Optional<String> dataLossReport, long failedInFlight, long failedAfterBreak,
                         OptionalLong failedAfterDetection, Retry retry, long retried) {
    }

    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(30);
    private static final Duration DELAYED_AFTER = Duration.ofMillis(250);
    private static final Duration UNRECOVERED_STOP_GRACE = Duration.ofSeconds(2);

    private final Options options;
    private final PrintStream progress;
    private @Nullable DrkitException failure;

    /** A drill with {@code options}, reporting progress (one line per step) to {@code progress}. @since 0.1 */
    public FailoverDrill(Options options, PrintStream progress) {
        this.options = Objects.requireNonNull(options, "options");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** drkit's data source with its defaults. */
    static DataSource drkit(List<Endpoint> hosts, CredentialsSource credentials) {
        return FailoverDataSource.create(FailoverConfig.builder().name("drill").endpoints(hosts)
            .credentials(credentials).build());
    }

    /** The environment failure that stopped the drill, if one did (exit 3 rather than 1). @since 0.1 */
    public Optional<DrkitException> failure() {
        return Optional.ofNullable(failure);
    }

    /** Runs the drill; the servers are always stopped and removed. @since 0.1 */
    public Result run() {
        Instant started = Instant.now();
        RecoveryTimeline timeline = RecoveryTimeline.start();
        DrillSteps steps = new DrillSteps(timeline);
        String name = "failover drill: " + options.scenario().name().toLowerCase(Locale.ROOT)
            + (options.crashBy() == CrashBy.IMMEDIATE ? " by an immediate stop" : "")
            + (options.stallWalSender().isZero() ? "" : " after a " + options.stallWalSender().toMillis()
                + " ms WAL sender stall") + ", "
            + options.replication().name().toLowerCase(Locale.ROOT) + " replica, through " + options.label()
            + (options.retry() == Retry.SAFE_TO_RETRY ? ", writes marked safe to retry" : "");
        DrillReport.Builder report = DrillReport.builder(name).started(started).rtoTarget(RECOVERY_BOUND);
        if (options.replication() == ReplicationMode.SYNC) {
            report.rpoTarget(Duration.ZERO);
        }
        Figures figures = new Figures();
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            runSteps(timeline, steps, report, figures, resources);
        } catch (Exception e) {
            if (e instanceof DrkitException) {
                failure = (DrkitException) e;
            }
            if (steps.steps().isEmpty() || !steps.anyFailed()) {
                steps.check("drill", false, "stopped: " + e.getClass().getSimpleName());
            }
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    progress.println("drill: could not close " + resources.get(i) + ": " + e.getClass().getName());
                }
            }
        }
        steps.steps().forEach(report::step);
        DrillReport built = report.finished(Instant.now()).build();
        return new Result(built, figures.detect, figures.afterPromotion, figures.afterPromote, figures.acknowledged,
            figures.failed, figures.delayed, figures.lost, figures.zombie, Optional.ofNullable(figures.lossReport),
            figures.failedInFlight, figures.failedAfterBreak, figures.failedAfterDetection, figures.retry,
            figures.retried);
    }

    private static final class Figures {
        Optional<Duration> detect = Optional.empty();
        Optional<Duration> afterPromotion = Optional.empty();
        Optional<Duration> afterPromote = Optional.empty();
        long acknowledged;
        long failed;
        long failedInFlight;
        long failedAfterBreak;
        OptionalLong failedAfterDetection = OptionalLong.empty();
        long delayed;
        long lost;
        long zombie;
        long retried;
        Retry retry = Retry.NEVER;
        @Nullable String lossReport;
    }

    private <T> T step(DrillSteps steps, String name, DrillSteps.Action<T> action,
                       java.util.function.Function<? super T, String> describe) throws Exception {
        progress.println("drill: " + name + " ...");
        return steps.run(name, action, describe);
    }

    private void runSteps(RecoveryTimeline timeline, DrillSteps steps, DrillReport.Builder report, Figures figures,
                          List<AutoCloseable> resources) throws Exception {
        PgBinaries binaries = step(steps, "find PostgreSQL", () -> options.binaries().orElseGet(PgBinaries::detect),
            b -> "PostgreSQL " + b.version());
        PgClusterConfig config = PgClusterConfig.forTests().toBuilder().binaries(binaries).build();
        PgCluster primary = step(steps, "start primary", () -> {
            PgCluster started = PgCluster.start(config.toBuilder().name("drill-primary").build());
            resources.add(started);
            return started;
        }, p -> "127.0.0.1:" + p.port());
        PgCluster replica = step(steps, "start " + options.replication().name().toLowerCase(Locale.ROOT) + " replica",
            () -> {
                PgCluster started = primary.createReplica(ReplicaOptions.builder("drill-replica")
                    .mode(options.replication()).build());
                resources.add(started);
                return started;
            }, r -> "127.0.0.1:" + r.port() + ", streaming");
        primary.execute(WriteLoad.CREATE);

        AtomicLong lostAt = new AtomicLong();
        java.util.concurrent.atomic.AtomicReference<String> lossReport = new java.util.concurrent.atomic.AtomicReference<>();
        DataSource dataSource = step(steps, "open the data source", () -> {
            DataSource opened = options.dataSources().open(
                List.of(Endpoint.of(PgCluster.HOST, primary.port()), Endpoint.of(PgCluster.HOST, replica.port())),
                CredentialsSource.fixed(primary.superuser(), primary.superuserPassword()));
            if (opened instanceof AutoCloseable) {
                resources.add((AutoCloseable) opened);
            }
            if (opened instanceof FailoverDataSource) {
                FailoverDataSource drkit = (FailoverDataSource) opened;
                drkit.addListener(e -> {
                    if (e.type() == FailoverEvent.Type.PRIMARY_LOST) {
                        lostAt.compareAndSet(0, System.nanoTime());
                    } else if (e.type() == FailoverEvent.Type.POSSIBLE_DATA_LOSS) {
                        lossReport.compareAndSet(null, e.detail());
                    }
                });
                drkit.awaitPrimary(Duration.ofSeconds(30));
            }
            return opened;
        }, d -> options.label());

        WriteLoad load = new WriteLoad(dataSource, options.threads(), options.writeInterval(), DELAYED_AFTER,
            options.retry());
        resources.add(load);
        figures.retry = load.retry();
        if (options.retry() == Retry.SAFE_TO_RETRY) {
            steps.check("retry", true, load.retry() == Retry.SAFE_TO_RETRY
                ? "each row written by inTransaction(SAFE_TO_RETRY, ...) with INSERT ... ON CONFLICT (id) DO NOTHING"
                : "never: " + options.label() + " has no safe-retry helper, writes are not retried");
        }
        step(steps, "steady write load", () -> {
            load.start();
            TimeUnit.NANOSECONDS.sleep(options.steady().toNanos());
            return load.acknowledged();
        }, acked -> acked + " numbered rows acknowledged by " + options.threads() + " writers");

        List<Long> walSenders = new ArrayList<>();
        if (!options.stallWalSender().isZero()) {
            step(steps, "stall the WAL sender", () -> {
                for (Map<String, @Nullable String> row : primary.queryRows("SELECT pid FROM pg_stat_replication")) {
                    walSenders.add(Long.parseLong(Objects.requireNonNull(row.get("pid"))));
                }
                if (walSenders.isEmpty()) {
                    throw new IllegalStateException("the primary has no WAL sender to stall");
                }
                // Closed before the clusters: a stopped process would hold the primary's shared memory.
                resources.add(() -> Freeze.signal(walSenders, "KILL"));
                long before = load.acknowledged();
                Freeze.signal(walSenders, "STOP");
                TimeUnit.NANOSECONDS.sleep(options.stallWalSender().toNanos());
                return load.acknowledged() - before;
            }, acked -> "SIGSTOP to WAL sender " + walSenders + " for " + options.stallWalSender().toMillis()
                + " ms while the load went on: " + acked + " writes acknowledged meanwhile");
        }

        Scenario scenario = options.scenario();
        Instant[] brokenAt = new Instant[1];
        long broken = step(steps, "break the primary", () -> {
            timeline.mark(Milestone.DISRUPTION);
            long at = System.nanoTime();
            brokenAt[0] = Instant.now();
            if (scenario == Scenario.FREEZE) {
                // Closed before the clusters: a frozen server cannot be stopped.
                resources.add(() -> Freeze.thaw(primary));
                Freeze.freeze(primary);
            } else {
                if (!walSenders.isEmpty()) {
                    // The host dies with its WAL senders still stopped: what they held back never leaves.
                    Freeze.signal(walSenders, "KILL");
                }
                if (options.crashBy() == CrashBy.IMMEDIATE) {
                    primary.stop(StopMode.IMMEDIATE);
                } else {
                    primary.kill9();
                }
            }
            return at;
        }, at -> scenario == Scenario.FREEZE ? "SIGSTOP to the postmaster and its backends"
            : options.crashBy() == CrashBy.IMMEDIATE ? "pg_ctl stop -m immediate"
            : walSenders.isEmpty() ? "kill -9 of the postmaster"
            : "kill -9 of the postmaster and its stopped WAL sender");

        step(steps, "wait before promoting", () -> {
            long wait = broken + options.promoteAfter().toNanos() - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            return lostAt.get() == 0 ? "" : "the data source declared the primary lost "
                + Duration.ofNanos(lostAt.get() - broken).toMillis() + " ms after the break";
        }, detail -> detail.isEmpty() ? "no loss reported by the data source (not drkit, or not yet)" : detail);
        if (lostAt.get() != 0) {
            figures.detect = Optional.of(Duration.ofNanos(lostAt.get() - broken));
            timeline.markAt(Milestone.DETECTION, lostAt.get());
        }

        long promoteStart = System.nanoTime();
        OutOfRecoveryWatch watch = new OutOfRecoveryWatch(replica);
        resources.add(watch);
        Instant promotedAt = step(steps, "promote the replica", () -> {
            timeline.mark(Milestone.ACTION);
            watch.start();
            replica.promote();
            return Instant.now();
        }, at -> "timeline " + replica.timeline());
        long promoteEnd = System.nanoTime();
        // The moment the replica left recovery, as a client first saw it; pg_ctl promote -w polls every 100 ms and
        // the cluster's promote() then runs a CHECKPOINT, so their return is later than the moment writes could go.
        OptionalLong leftRecovery = watch.outOfRecoveryAt();
        long promoted = leftRecovery.orElse(promoteEnd);

        if (scenario == Scenario.ZOMBIE) {
            step(steps, "restart the old primary as a primary", () -> {
                primary.start();
                return primary.isInRecovery();
            }, recovery -> recovery ? "in recovery (unexpected)" : "a primary on timeline " + primary.timeline()
                + ", beside the new one on timeline " + replica.timeline());
        }

        // Recovery is a write acknowledged by the new primary: one acknowledged by the old primary is not.
        int promotedPort = replica.port();
        boolean recovered = awaitFirstWrite(load, promoteStart, promotedPort);
        if (recovered) {
            long first = load.firstAckAtOrAfter(promoteStart, promotedPort).getAsLong();
            figures.afterPromote = Optional.of(Duration.ofNanos(first - promoteStart));
            figures.afterPromotion = Optional.of(Duration.ofNanos(Math.max(0, first - promoted)));
            timeline.markAt(Milestone.FIRST_SUCCESS, first);
            report.rto(MeasuredDuration.of(Duration.ofNanos(first - broken), options.writeInterval()));
        }
        steps.check("first write after the promotion", recovered, recovered
            ? figures.afterPromotion.get().toMillis() + " ms after the replica left recovery ("
                + figures.afterPromote.get().toMillis() + " ms after the promotion started; pg_ctl promote and a"
                + " CHECKPOINT returned " + Duration.ofNanos(promoteEnd - promoted).toMillis() + " ms after it left"
                + (leftRecovery.isEmpty() ? ", not seen by the watch: measured from their return" : "")
                + ")"
            : "no write succeeded within " + RECOVERY_BOUND.toSeconds() + " s of the promotion");
        if (!recovered) {
            if (scenario == Scenario.FREEZE) {
                // Writers may be stuck on the frozen host with no timeout at all: let them fail first.
                Freeze.thaw(primary);
            }
            // Nothing recovered in 30 s: the writers still waiting for a connection are interrupted after 2 s
            // rather than waited out, which kept each such drill a minute longer and changed no figure.
            load.stop(UNRECOVERED_STOP_GRACE);
            count(load, broken, lostAt.get(), figures);
            if (scenario == Scenario.ZOMBIE) {
                // What the old primary got anyway: no write was acknowledged, but a data source may still have
                // sent its writes there.
                OldPrimaryWrites writes = OldPrimaryWrites.of(primary, brokenAt[0], load, OptionalLong.empty(),
                    promotedAt);
                figures.zombie = writes.sentAfterPromotion();
                steps.check("writes to the old primary after the promotion", figures.zombie == 0,
                    writes.describe() + ", none of them acknowledged" + waitsOn(primary));
            }
            return;
        }
        TimeUnit.NANOSECONDS.sleep(options.steady().toNanos());
        if (scenario == Scenario.FREEZE) {
            Freeze.thaw(primary);
            // Whatever the old primary still had on its sockets now runs: the load goes on meanwhile.
            TimeUnit.NANOSECONDS.sleep(options.steady().toNanos());
        }
        load.stop();
        count(load, broken, lostAt.get(), figures);

        try (Connection survivor = replica.connect()) {
            figures.lost = load.lostOn(survivor).size();
        }
        report.lostRecords(figures.lost);
        boolean lossAllowed = options.replication() == ReplicationMode.ASYNC;
        steps.check("acknowledged writes lost", lossAllowed || figures.lost == 0, figures.lost + " of "
            + figures.acknowledged + " acknowledged writes missing on the new primary"
            + (lossAllowed ? " (asynchronous replication: reported, not required)" : " (synchronous: 0 required)"));
        figures.lossReport = lossReport.get();
        steps.check("data loss reported by the data source", figures.lost == 0 || figures.lossReport != null,
            figures.lossReport != null ? "POSSIBLE_DATA_LOSS: " + figures.lossReport
                : figures.lost == 0 ? "nothing lost, nothing reported" : figures.lost
                    + " acknowledged writes lost and nobody was told");
        // Marked safe to retry, a write whose connection broke runs again on the new primary: none may fail when the
        // outage (the break to the first write after the promotion) is shorter than the data source's wait.
        Optional<Duration> wait = dataSource instanceof FailoverDataSource
            ? Optional.of(((FailoverDataSource) dataSource).config().primaryWait()) : Optional.empty();
        Duration outage = Duration.ofNanos(load.firstAckAtOrAfter(promoteStart, promotedPort).getAsLong() - broken);
        boolean noneMayFail = figures.retry == Retry.SAFE_TO_RETRY && wait.isPresent()
            && outage.compareTo(wait.get()) < 0;
        steps.check("requests failed and delayed", !noneMayFail || figures.failed == 0, figures.failed
            + " failed" + (noneMayFail ? " (0 required: safe to retry, and the outage, " + outage.toMillis()
                + " ms, was shorter than the wait for a primary, " + wait.get().toMillis() + " ms)" : "")
            + (figures.retry == Retry.SAFE_TO_RETRY ? ", " + figures.retried + " acknowledged after a retry" : "")
            + " (" + figures.failedInFlight
            + " in flight at the break, " + figures.failedAfterBreak + " started after it"
            + (figures.failedAfterDetection.isPresent() ? ", " + figures.failedAfterDetection.getAsLong()
                + " of them after the loss was detected" : "") + "), " + figures.delayed
            + " delayed over " + DELAYED_AFTER.toMillis() + " ms, of " + (figures.acknowledged + figures.failed));

        OldPrimaryWrites writes = null;
        if (scenario == Scenario.ZOMBIE) {
            // Down from the break until its restart after the promotion: whatever it executed since was sent after.
            writes = OldPrimaryWrites.of(primary, brokenAt[0], load, OptionalLong.empty(), promotedAt);
        } else if (scenario == Scenario.FREEZE) {
            // Thawed after the promotion, it executes what was on its sockets: writes in flight at the freeze,
            // told apart from writes sent to it after the promotion by when they began.
            writes = OldPrimaryWrites.of(primary, promotedAt, load, OptionalLong.of(promoteStart), promotedAt);
        }
        if (writes != null) {
            figures.zombie = writes.sentAfterPromotion();
        }
        long ackedByOld = load.acksAtOrAfterNotBy(promoteStart, promotedPort);
        steps.check("writes to the old primary after the promotion", figures.zombie == 0, writes == null
            ? "0: the old primary is down" : writes.describe() + "; " + ackedByOld + " writes acknowledged by the old"
                + " primary since the promotion started");
    }

    /**
     * Polls a promoted standby, every {@value #POLL_MILLIS} ms on one connection, for the moment it leaves recovery:
     * the time from which a write can succeed there. Started just before the promotion.
     */
    private static final class OutOfRecoveryWatch implements AutoCloseable {
        static final int POLL_MILLIS = 2;
        private final PgCluster standby;
        private final AtomicLong seenAt = new AtomicLong();
        private final Thread thread;
        private volatile boolean stop;

        OutOfRecoveryWatch(PgCluster standby) {
            this.standby = standby;
            this.thread = new Thread(this::run, "drkit-drill-promotion-watch");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void run() {
            try (Connection c = standby.connect(); Statement s = c.createStatement()) {
                while (!stop) {
                    try (ResultSet r = s.executeQuery("SELECT pg_is_in_recovery()")) {
                        if (r.next() && !r.getBoolean(1)) {
                            seenAt.set(System.nanoTime());
                            return;
                        }
                    }
                    TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
                }
            } catch (SQLException | RuntimeException e) {
                // not seen: the drill measures from the promotion's return instead, and says so
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** When a poll first saw the standby out of recovery ({@link System#nanoTime()}); waits up to 5 s for it. */
        OptionalLong outOfRecoveryAt() throws InterruptedException {
            thread.join(5_000);
            long at = seenAt.get();
            return at == 0 ? OptionalLong.empty() : OptionalLong.of(at);
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5_000);
        }
    }

    /**
     * What the old primary executed of the load after a point: its rows there, and its commits waiting there for
     * a synchronous standby that will never answer (their rows are not visible to other sessions, so a count of
     * rows misses them). With {@code inFlightBefore}, rows of writes that began before that time ({@link
     * System#nanoTime()}) and waiting commits on sessions opened before the promotion are counted apart: they
     * were in flight when the host froze, not sent to it after the promotion.
     */
    private record OldPrimaryWrites(long rowsAfter, long rowsInFlight, long waitingAfter, long waitingInFlight) {

        static OldPrimaryWrites of(PgCluster old, Instant since, WriteLoad load, OptionalLong inFlightBefore,
                                   Instant promotedAt) throws Exception {
            long rowsAfter = 0;
            long rowsInFlight = 0;
            long waitingAfter = 0;
            long waitingInFlight = 0;
            try (Connection c = old.connect()) {
                try (PreparedStatement rows = c.prepareStatement("SELECT id FROM " + WriteLoad.TABLE
                    + " WHERE written_at > ?")) {
                    rows.setObject(1, java.sql.Timestamp.from(since));
                    try (ResultSet r = rows.executeQuery()) {
                        while (r.next()) {
                            OptionalLong began = load.startedAt(r.getLong(1));
                            if (inFlightBefore.isPresent() && began.isPresent()
                                && began.getAsLong() - inFlightBefore.getAsLong() < 0) {
                                rowsInFlight++;
                            } else {
                                rowsAfter++;
                            }
                        }
                    }
                }
                try (PreparedStatement waiting = c.prepareStatement("SELECT backend_start FROM pg_stat_activity"
                    + " WHERE backend_type = 'client backend' AND wait_event = 'SyncRep' AND pid <> pg_backend_pid()");
                     ResultSet r = waiting.executeQuery()) {
                    while (r.next()) {
                        java.sql.Timestamp opened = r.getTimestamp(1);
                        if (inFlightBefore.isPresent() && opened != null && opened.toInstant().isBefore(promotedAt)) {
                            waitingInFlight++;
                        } else {
                            waitingAfter++;
                        }
                    }
                }
            }
            return new OldPrimaryWrites(rowsAfter, rowsInFlight, waitingAfter, waitingInFlight);
        }

        long sentAfterPromotion() {
            return rowsAfter + waitingAfter;
        }

        String describe() {
            String text = sentAfterPromotion() + " (0 required): " + rowsAfter + " rows, " + waitingAfter
                + " commits waiting there for a synchronous standby";
            if (rowsInFlight + waitingInFlight > 0) {
                text += "; besides, " + (rowsInFlight + waitingInFlight) + " writes in flight when it froze ("
                    + rowsInFlight + " rows, " + waitingInFlight + " waiting commits), executed when it thawed:"
                    + " only fencing on the server could stop those";
            }
            return text;
        }
    }

    private static void count(WriteLoad load, long broken, long lostAt, Figures figures) {
        figures.acknowledged = load.acknowledged();
        figures.retried = load.retried();
        figures.delayed = load.delayed();
        figures.failedInFlight = load.failedStartedBetween(Long.MIN_VALUE / 2 + broken, broken);
        figures.failedAfterBreak = load.failedStartedBetween(broken, broken + Long.MAX_VALUE / 2);
        figures.failed = figures.failedInFlight + figures.failedAfterBreak;
        if (lostAt != 0) {
            figures.failedAfterDetection = OptionalLong.of(load.failedStartedBetween(lostAt,
                lostAt + Long.MAX_VALUE / 2));
        }
    }

    /** What the client sessions on {@code old} wait for, such as {@code SyncRep}: why writes sent there hang. */
    private static String waitsOn(PgCluster old) {
        try {
            List<String> waits = new ArrayList<>();
            for (Map<String, @Nullable String> row : old.queryRows("SELECT coalesce(wait_event, 'running') AS w,"
                + " count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend'"
                + " AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 1")) {
                waits.add(row.get("n") + " waiting on " + row.get("w"));
            }
            return waits.isEmpty() ? "; no client session on it" : "; its client sessions: "
                + String.join(", ", waits);
        } catch (Exception e) {
            return "; its sessions could not be read: " + e.getClass().getSimpleName();
        }
    }

    private static boolean awaitFirstWrite(WriteLoad load, long since, int port) throws InterruptedException {
        long deadline = since + RECOVERY_BOUND.toNanos();
        while (load.firstAckAtOrAfter(since, port).isEmpty()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(2);
        }
        return true;
    }
}
