package dev.drkit.examples.nightly;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.BackupSource;
import dev.drkit.backup.Compression;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.RotationResult;
import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.DrkitException;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Nightly encrypted backups of a directory with retention, driven by a {@link java.util.concurrent.ScheduledExecutorService}.
 * Each run, at the time its {@link Schedule} says (by default daily at 02:00 in the system's time zone):
 *
 * <ol>
 * <li>reads the passphrase from its file (only its owner may read it: {@code 0600}) as a {@link Secret}, for this
 *     run only, so a passphrase rotated in the file is used from the next run on;</li>
 * <li>backs the directory up into a {@link FileSystemStore} (zstd, then OpenPGP with the passphrase; sdk-backup's
 *     {@link BackupEngine});</li>
 * <li>verifies it quickly (the manifest's checksum, the stored data's size and SHA-256: no key needed);</li>
 * <li>applies the retention policy (default: 7 daily, 4 weekly, 12 monthly, on the schedule's wall clock) with
 *     {@link BackupEngine#rotate}, which plans and deletes what no rule keeps, never the newest backup.</li>
 * </ol>
 *
 * A run that fails (the source missing, the store full, the passphrase file too open, verification failed) is
 * logged at ERROR, reported to listeners and counted, and deletes nothing; the next run happens as scheduled.
 *
 * <p>Each run is reported as a {@link RunReport} to the listeners ({@link Builder#onRun}) and as meters:
 * timer {@code nightly.backup.run} (tag {@code outcome=success|failure}) and time gauge
 * {@code nightly.backup.last.success.age} (seconds since the last successful run started; NaN before one).
 *
 * <p>The scheduler checks the clock at most every {@link Builder#checkEvery} (default 1 minute) and sleeps
 * exactly until a due time closer than that, so a wall clock that jumps (NTP, a suspended VM) delays a run by at
 * most one check, and a test can drive it with a clock of its own. Runs never overlap; due times missed while the
 * host was suspended or a run was still going are run once, as soon as possible, not once each. A process started
 * after the day's time waits for the next one (an operator can call {@link #runOnce(Instant)}).
 *
 * <pre>
 * java -cp ... dev.drkit.examples.nightly.NightlyBackupApp \
 *     --source /var/lib/orders/uploads --store /var/backups/orders \
 *     --passphrase-file /etc/orders/backup-passphrase [--at 02:00] [--zone Europe/Berlin]
 * </pre>
 *
 * Runs until stopped (SIGTERM): then a run in progress finishes first. Instances are thread-safe.
 */
public final class NightlyBackupApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NightlyBackupApp.class);

    /** The default time of day: {@value}. */
    public static final String DEFAULT_AT = "02:00";

    /**
     * What one run did.
     *
     * @param run          the run's number, from 1
     * @param scheduledFor the due time it ran for
     * @param startedAt    when it started, on the app's clock
     * @param took         how long it took
     * @param backupId     the backup it made, if it got that far
     * @param deleted      the backups retention deleted, oldest first; empty when the run failed
     * @param failedStep   the step that failed ({@code passphrase}, {@code backup}, {@code verify},
     *                     {@code retention}); empty when the run succeeded
     * @param failure      why it failed, as the exception's message (which never holds a secret)
     */
    public record RunReport(long run, Instant scheduledFor, Instant startedAt, Duration took,
                            Optional<String> backupId, List<String> deleted, Optional<String> failedStep,
                            Optional<String> failure) {
        public RunReport {
            deleted = List.copyOf(deleted);
        }

        /** Whether every step passed. */
        public boolean succeeded() {
            return failedStep.isEmpty();
        }
    }

    private final Settings settings;
    private final FileSystemStore store;
    private final ScheduledThreadPoolExecutor scheduler;
    private final List<Consumer<RunReport>> listeners;
    private final Timer successes;
    private final Timer failures;
    private final AtomicLong runs = new AtomicLong();
    private final Object runLock = new Object();
    private volatile Instant lastSuccess;
    private volatile boolean closed;
    private Instant nextRun;

    private record Settings(Path source, Path store, Path passphraseFile, Schedule schedule, RetentionPolicy retention,
                            Clock clock, Duration checkEvery, MeterRegistry registry, String name) {
    }

    private NightlyBackupApp(Settings settings, List<Consumer<RunReport>> listeners) {
        this.settings = settings;
        this.listeners = new CopyOnWriteArrayList<>(listeners);
        this.store = FileSystemStore.open(settings.store());
        this.scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "nightly-backup-" + settings.name());
            thread.setDaemon(true);
            return thread;
        });
        // On close, checks that were waiting are dropped; a run in progress finishes.
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        MeterRegistry registry = settings.registry();
        successes = Timer.builder("nightly.backup.run").description("Nightly backup runs: backup, verify, retention")
            .tag("name", settings.name()).tag("outcome", "success").register(registry);
        failures = Timer.builder("nightly.backup.run").description("Nightly backup runs: backup, verify, retention")
            .tag("name", settings.name()).tag("outcome", "failure").register(registry);
        TimeGauge.builder("nightly.backup.last.success.age", this, TimeUnit.SECONDS, NightlyBackupApp::lastSuccessAge)
            .description("Seconds since the last successful run started; NaN before one")
            .tag("name", settings.name()).register(registry);
    }

    /**
     * A builder for backups of {@code source} into the directory store {@code store}, encrypted with the
     * passphrase in {@code passphraseFile}.
     */
    public static Builder builder(Path source, Path store, Path passphraseFile) {
        return new Builder(source, store, passphraseFile);
    }

    private void startScheduling() {
        Instant now = settings.clock().instant();
        synchronized (this) {
            nextRun = settings.schedule().next(now);
        }
        log.info("Nightly backup '{}' of {} into {}: {}, first run at {}; retention {}", settings.name(),
            settings.source(), settings.store(), settings.schedule(), nextRun, settings.retention());
        scheduleCheck(Duration.ZERO);
    }

    private void scheduleCheck(Duration delay) {
        if (closed) {
            return;
        }
        try {
            scheduler.schedule(this::check, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** Runs what is due, then schedules the next check; never lets an exception end the chain. */
    private void check() {
        Duration delay = settings.checkEvery();
        try {
            Instant now = settings.clock().instant();
            Instant due;
            synchronized (this) {
                due = nextRun;
            }
            if (!now.isBefore(due)) {
                RunReport report;
                synchronized (runLock) {
                    report = execute(due);
                }
                // From the later of the due time and now: a missed time is run once, not once per miss.
                Instant after = settings.clock().instant();
                synchronized (this) {
                    nextRun = settings.schedule().next(after.isAfter(due) ? after : due);
                    due = nextRun;
                }
                log.debug("Nightly backup '{}': next run at {}", settings.name(), due);
                // Listeners hear of a run once the next one is planned.
                notifyListeners(report);
            }
            Duration untilDue = Duration.between(settings.clock().instant(), due);
            if (untilDue.compareTo(delay) < 0) {
                delay = untilDue;
            }
        } catch (RuntimeException e) {
            log.error("Nightly backup '{}': scheduling failed; checking again in {}", settings.name(), delay, e);
        } finally {
            scheduleCheck(delay);
        }
    }

    /**
     * Runs one backup, verification and retention now, as a scheduled run would, and reports it. Public so that
     * an operator's "back up now" can share the code; runs never overlap.
     */
    public RunReport runOnce(Instant scheduledFor) {
        RunReport report;
        synchronized (runLock) {
            report = execute(scheduledFor);
        }
        notifyListeners(report);
        return report;
    }

    private RunReport execute(Instant scheduledFor) {
        long run = runs.incrementAndGet();
        Instant startedAt = settings.clock().instant();
        long start = System.nanoTime();
        String step = "passphrase";
        String backupId = null;
        List<String> deleted = List.of();
        String failure = null;
        try (Secret passphrase = Secrets.fromFile(settings.passphraseFile())) {
            // One engine per run: it holds the passphrase, which lives only as long as the run.
            BackupEngine engine = BackupEngine.builder(store)
                .name(settings.name())
                .encryption(Encryption.passphrase(passphrase))
                .compression(Compression.zstd(3))
                .label("schedule", "nightly")
                .clock(settings.clock())
                .build();
            step = "backup";
            BackupInfo info = engine.backup(BackupSource.directory(settings.source()));
            backupId = info.id();
            step = "verify";
            engine.verify(info.id()).orThrow();
            // Retention only after a verified backup: a run that failed never costs an older good backup.
            step = "retention";
            RotationResult rotation = engine.rotate(settings.retention(), false);
            deleted = rotation.deleted();
            step = null;
        } catch (RuntimeException e) {
            failure = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        RunReport report = new RunReport(run, scheduledFor, startedAt, took, Optional.ofNullable(backupId),
            deleted, Optional.ofNullable(step), Optional.ofNullable(failure));
        if (report.succeeded()) {
            lastSuccess = startedAt;
            successes.record(took);
            log.info("Nightly backup '{}' run {}: backup {} of {} verified, {} deleted by retention, in {} ms",
                settings.name(), run, backupId, settings.source(), deleted.size(), took.toMillis());
        } else {
            failures.record(took);
            // ERROR: a background thread, no caller to see an exception.
            log.error("Nightly backup '{}' run {} failed at {}: {}; next run as scheduled", settings.name(), run,
                step, failure);
        }
        return report;
    }

    private void notifyListeners(RunReport report) {
        for (Consumer<RunReport> listener : listeners) {
            try {
                listener.accept(report);
            } catch (RuntimeException e) {
                log.warn("Nightly backup '{}': listener {} failed on run {}", settings.name(),
                    listener.getClass().getName(), report.run(), e);
            }
        }
    }

    /** Adds a listener for the reports of later runs. */
    public void onRun(Consumer<RunReport> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** When the next run is due. */
    public synchronized Instant nextRun() {
        return nextRun;
    }

    private double lastSuccessAge() {
        Instant last = lastSuccess;
        return last == null ? Double.NaN
            : Duration.between(last, settings.clock().instant()).toMillis() / 1000.0;
    }

    /** Stops scheduling; a run in progress finishes first (up to 10 minutes), then the store is closed. */
    @Override
    public void close() {
        closed = true;
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(10, TimeUnit.MINUTES)) {
                log.warn("Nightly backup '{}': a run still going after 10 minutes was interrupted", settings.name());
                scheduler.shutdownNow();
            }
        } catch (InterruptedException e) {
            scheduler.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            store.close();
        }
    }

    /** Builds and starts a {@link NightlyBackupApp}. Not thread-safe. */
    public static final class Builder {
        private final Path source;
        private final Path store;
        private final Path passphraseFile;
        private LocalTime at = LocalTime.parse(DEFAULT_AT);
        private ZoneId zone = ZoneId.systemDefault();
        private Schedule schedule;
        private RetentionPolicy retention;
        private Clock clock;
        private Duration checkEvery = Duration.ofMinutes(1);
        private MeterRegistry registry = new SimpleMeterRegistry();
        private String name = "nightly";
        private final List<Consumer<RunReport>> listeners = new CopyOnWriteArrayList<>();

        private Builder(Path source, Path store, Path passphraseFile) {
            this.source = Objects.requireNonNull(source, "source");
            this.store = Objects.requireNonNull(store, "store");
            this.passphraseFile = Objects.requireNonNull(passphraseFile, "passphraseFile");
        }

        /** The time of day of the default daily schedule; {@value #DEFAULT_AT} unless set. */
        public Builder at(LocalTime time) {
            this.at = Objects.requireNonNull(time, "time");
            return this;
        }

        /** The wall clock of the daily schedule and of the default retention's calendar; the system's unless set. */
        public Builder zone(ZoneId zone) {
            this.zone = Objects.requireNonNull(zone, "zone");
            return this;
        }

        /** Another schedule than daily at {@link #at} in {@link #zone}. */
        public Builder schedule(Schedule schedule) {
            this.schedule = Objects.requireNonNull(schedule, "schedule");
            return this;
        }

        /** The retention policy; default 7 daily, 4 weekly, 12 monthly on the wall clock of {@link #zone}. */
        public Builder retention(RetentionPolicy policy) {
            this.retention = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Where time comes from, for the schedule and the backups' times; the system clock unless set. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How often the scheduler looks at the clock at most; default 1 minute. */
        public Builder checkEvery(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("checkEvery must be positive, but was " + interval);
            }
            this.checkEvery = interval;
            return this;
        }

        /** Where the run meters go; a registry of its own unless set. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** The name in logs, meter tags and the backups' engine; default {@code nightly}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Adds a listener for each run's report (called on the scheduler's thread). */
        public Builder onRun(Consumer<RunReport> listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Opens the store and starts the schedule. */
        public NightlyBackupApp start() {
            Settings settings = new Settings(source, store, passphraseFile,
                schedule != null ? schedule : Schedule.dailyAt(at, zone),
                retention != null ? retention
                    : RetentionPolicy.builder().keepDaily(7).keepWeekly(4).keepMonthly(12).zone(zone).build(),
                clock != null ? clock : Clock.system(zone), checkEvery, registry, name);
            NightlyBackupApp app = new NightlyBackupApp(settings, listeners);
            app.startScheduling();
            return app;
        }
    }

    // ------------------------------------------------------------------ command line

    private static final List<String> REQUIRED = List.of("--source", "--store", "--passphrase-file");
    private static final List<String> OPTIONAL = List.of("--at", "--zone");

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the schedule until the JVM is asked to stop; returns the exit code (0 after a clean stop). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Builder builder;
        Path passphraseFile;
        try {
            Map<String, String> options = parse(args);
            passphraseFile = Path.of(options.get("--passphrase-file"));
            builder = builder(Path.of(options.get("--source")), Path.of(options.get("--store")), passphraseFile);
            builder.at(LocalTime.parse(options.getOrDefault("--at", DEFAULT_AT)));
            if (options.containsKey("--zone")) {
                builder.zone(ZoneId.of(options.get("--zone")));
            }
        } catch (IllegalArgumentException | DateTimeException e) {
            err.println("nightly-backup: " + e.getMessage());
            err.println("usage: nightly-backup --source DIR --store DIR --passphrase-file FILE [--at HH:MM]"
                + " [--zone ZONE]");
            return 2;
        }
        try {
            // Fail at start, not at 02:00, if the passphrase file is missing or too open.
            Secrets.fromFile(passphraseFile).close();
            NightlyBackupApp app = builder.start();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                app.close();
                stopped.countDown();
            }, "nightly-backup-shutdown"));
            out.println("next run at " + app.nextRun());
            stopped.await();
            return 0;
        } catch (DrkitException e) {
            err.println("nightly-backup: " + e.getMessage());
            return e.kind().exitCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 3;
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!REQUIRED.contains(name) && !OPTIONAL.contains(name)) {
                throw new IllegalArgumentException("unknown option " + name);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            values.put(name, args[++i]);
        }
        for (String name : REQUIRED) {
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("missing " + name);
            }
        }
        return values;
    }
}
