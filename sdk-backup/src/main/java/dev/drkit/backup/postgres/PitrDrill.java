package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.internal.store.LocalFiles;
import dev.drkit.backup.postgres.internal.BackupTimes;
import dev.drkit.backup.postgres.internal.BaseBackupFiles;
import dev.drkit.backup.postgres.internal.ServerLog;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.drill.DrillReport;
import dev.drkit.core.drill.DrillStep;
import dev.drkit.core.drill.DrillSteps;
import dev.drkit.core.drill.MeasuredDuration;
import dev.drkit.core.drill.RecoveryTimeline;
import dev.drkit.core.drill.StepOutcome;
import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.Text;
import dev.drkit.postgres.PgBinaries;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.PostgresException;
import dev.drkit.postgres.PostgresStartException;
import dev.drkit.postgres.StopMode;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A point-in-time recovery drill: restores a base backup into a scratch cluster, replays WAL from an archive to a
 * target time, confirms that replay paused there, checks known facts at that time, and stops and deletes the
 * scratch cluster, reporting the point reached and the time of every phase (see {@link PitrDrillReport.Phases}).
 *
 * <p><b>What it does.</b>
 * <ol>
 *   <li><b>Fetch, set up, adopt:</b> copies a plain-format base backup ({@code pg_basebackup -Fp}) or extracts
 *       the tar stream of {@code pg_basebackup -D - -Ft -X fetch} into a staging directory, while another thread
 *       finds the PostgreSQL binaries and the server's operating-system user; then moves the copy into the data
 *       directory of a scratch {@link PgCluster} (a temporary directory owned by that user). Symbolic links
 *       (tablespaces), hard links, special files, absolute and {@code ..} paths are refused. A target time before
 *       the backup ended ({@code STOP TIME} of the backup history file in the archive, else the label's
 *       {@code START TIME}) is refused here, before any server starts.</li>
 *   <li><b>Recovery settings:</b> {@code restore_command} (copying from the archive directory, paths quoted for
 *       the shell and for {@code %} escapes, or the caller's command), {@code recovery_target_time},
 *       {@code recovery_target_action = pause}, {@code recovery_target_timeline}, and {@code archive_mode = off}
 *       with empty {@code archive_command} and {@code archive_library}, written to the scratch copy's
 *       {@code drkit.conf} and removed from its {@code postgresql.auto.conf}, so the drill never writes into the
 *       real archive; {@code recovery.signal}; the scratch server listens on a free port on 127.0.0.1 and
 *       accepts only its unix socket (see {@link PgCluster#restore}).</li>
 *   <li><b>Replay:</b> starts the server and waits until {@code pg_get_wal_replay_pause_state()} is
 *       {@code paused}. It never promotes, so it never starts a new timeline. When the server stops instead,
 *       its log says why: {@code recovery ended before configured recovery target was reached} (the archive ends
 *       or has a gap before the target), a stop point before the consistent point, WAL that ends before the
 *       backup's end; each is a {@link PitrDrillException} with its {@link PitrDrillException.Reason}.</li>
 *   <li><b>Checks:</b> the point reached ({@code pg_last_xact_replay_timestamp()}, which must not be after the
 *       target, {@code pg_last_wal_replay_lsn()}, and the timeline of the last restored segment), then each
 *       {@link Builder#check(String, String, String) check}: a query whose {@code psql -A -t} output must equal
 *       the expected text, such as a marker table's row count at the target. A check that does not match fails
 *       the drill's verdict; the report names it with the expected and the actual value.</li>
 *   <li><b>Clean up:</b> the server is stopped ({@code immediate}: the copy is discarded, so a clean shutdown's
 *       restartpoint would be wasted work) and the scratch copy deleted, whatever happened. This is timed after
 *       the RTO, and reported apart from it.</li>
 * </ol>
 *
 * <pre>{@code
 * PitrDrillReport report = PitrDrill.builder()
 *     .baseBackup(Path.of("/backups/base-2026-11-23"))
 *     .archive(Path.of("/wal-archive"))
 *     .targetTime(Instant.parse("2026-11-23T14:05:00Z"))
 *     .expectRowCount("public.orders", 18_204)
 *     .check("last order", "SELECT max(id) FROM orders", "18204")
 *     .build()
 *     .run();
 * System.out.print(report.toText());       // report.passed() is false if a check failed
 * }</pre>
 *
 * <p>The server runs as the user {@link PgCluster} chooses ({@code postgres} when the JVM is root), which must be
 * able to read the archive directory (or run the restore command). Instances are immutable; {@link #run()} may be
 * called more than once (each run makes its own scratch copy) and from several threads.
 *
 * @since 0.1
 */
public final class PitrDrill {

    /** Default time replay may take to pause at the target: 30 minutes. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(30);
    /**
     * The longest {@linkplain Builder#timeout(Duration) timeout}: 7 days. A drill that has not paused by then will
     * not, and a larger figure overflows the clock arithmetic of the wait.
     *
     * @since 0.1
     */
    public static final Duration MAX_TIMEOUT = Duration.ofDays(7);
    /** Default role the checks connect as: {@value}. */
    public static final String DEFAULT_USER = "postgres";
    /** Default database the checks run in: {@value}. */
    public static final String DEFAULT_DATABASE = "postgres";

    private static final Logger log = LoggerFactory.getLogger(PitrDrill.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");
    private static final Pattern TIMELINE = Pattern.compile("latest|current|[1-9][0-9]{0,9}");
    private static final DateTimeFormatter TARGET_FORMAT =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final long POLL_MILLIS = 20;
    /** The point replay reached: last commit time, last replayed LSN, the checkpoint's timeline. */
    private static final String POINT_COLUMNS = "coalesce(to_char(pg_last_xact_replay_timestamp() AT TIME ZONE"
        + " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), ''), pg_last_wal_replay_lsn(),"
        + " (SELECT timeline_id FROM pg_control_checkpoint())";
    private static final String PAUSED_ROW = "t|paused|";
    /** The server's answer to a login whose role or database does not exist (psql quotes it after FATAL). */
    private static final Pattern MISSING_LOGIN =
        Pattern.compile("FATAL:\\s+(role|database) \"([^\"]*)\" does not exist");
    /**
     * How long a check waits for a lock. A transaction that was open at the target keeps the locks it had taken
     * while replay is paused (a TRUNCATE, say), and a check on that table would otherwise wait for ever.
     */
    private static final String LOCK_TIMEOUT = "10s";
    private static final int LOG_LINES = 15;

    /**
     * Opens the tar stream of a base backup, as {@code pg_basebackup -D - -Ft -X fetch} writes it, for example by
     * decrypting a drkit backup as it is read. The drill reads the stream to its end and closes it.
     *
     * @since 0.1
     */
    @FunctionalInterface
    public interface TarStream {
        /**
         * Opens the stream.
         *
         * @throws IOException if it cannot be opened
         * @since 0.1
         */
        InputStream open() throws IOException;
    }

    /**
     * A fact to check at the target: a query and the text its {@code psql -A -t} output must equal (rows on
     * separate lines, columns separated by {@code |}, NULL as empty), compared after trimming.
     *
     * @param name     the check's name in the report
     * @param sql      the query
     * @param expected the expected output
     * @since 0.1
     */
    public record Check(String name, String sql, String expected) {
        /**
         * @throws IllegalArgumentException if the name or the query is blank
         */
        public Check {
            Checks.notBlank(name, "name");
            Checks.notBlank(sql, "sql");
            Objects.requireNonNull(expected, "expected");
        }
    }

    private final @Nullable Path baseBackupDirectory;
    private final @Nullable TarStream baseBackupTar;
    private final @Nullable Path archive;
    private final @Nullable String restoreCommand;
    private final Instant targetTime;
    private final String targetTimeline;
    private final List<Check> checks;
    private final String user;
    private final String database;
    private final Duration timeout;
    private final PgClusterConfig clusterConfig;
    private final String name;

    private PitrDrill(Builder b) {
        this.baseBackupDirectory = b.baseBackupDirectory;
        this.baseBackupTar = b.baseBackupTar;
        this.archive = b.archive;
        this.restoreCommand = b.restoreCommand;
        this.targetTime = Objects.requireNonNull(b.targetTime);
        this.targetTimeline = b.targetTimeline;
        this.checks = List.copyOf(b.checks);
        this.user = b.user;
        this.database = b.database;
        this.timeout = b.timeout;
        this.clusterConfig = b.clusterConfig;
        this.name = b.name;
    }

    /**
     * A builder; a base backup, a WAL source and a target time are required.
     *
     * @since 0.1
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The target time.
     *
     * @since 0.1
     */
    public Instant targetTime() {
        return targetTime;
    }

    /**
     * The checks, in order.
     *
     * @since 0.1
     */
    public List<Check> checks() {
        return checks;
    }

    /**
     * The {@code restore_command} the scratch server gets.
     *
     * @since 0.1
     */
    public String restoreCommand() {
        if (restoreCommand != null) {
            return restoreCommand;
        }
        return copyCommand(Objects.requireNonNull(archive));
    }

    /**
     * {@code cp '<dir>'/%f %p}, with {@code dir} quoted for the shell and its {@code %} doubled, so that
     * PostgreSQL's substitution leaves it alone.
     */
    static String copyCommand(Path archive) {
        String dir = archive.toAbsolutePath().normalize().toString().replace("%", "%%");
        return "cp '" + dir.replace("'", "'\\''") + "'/%f %p";
    }

    /**
     * Checks, before a drill starts anything, that {@code directory} is a directory that the scratch server's
     * operating-system user ({@link PgCluster#serverUser()}) can list and read, as its {@code restore_command} must:
     * every directory on the way searchable, the directory itself readable and searchable. When the server runs as
     * this JVM's user, the kernel is asked ({@code access(2)}); when the JVM is root and the server runs as another
     * user, that user's uid and groups ({@code id}) are compared with the owner, group and mode of each directory
     * (access that only an ACL grants is not seen, and such a directory is refused).
     *
     * @param directory the archive directory (a plain one, or a drkit WAL store that {@code drkit wal-fetch} reads)
     * @throws EnvironmentException if it does not exist, is not a directory, or the server's user cannot read it
     * @since 0.1
     */
    public static void checkArchiveReadable(Path directory) {
        checkArchiveReadable(directory, null, "PITR drill");
    }

    private static void checkArchiveReadable(Path directory, @Nullable String runAsUser, String who) {
        Objects.requireNonNull(directory, "directory");
        Path absolute = directory.toAbsolutePath().normalize();
        Map<String, String> context = Map.of("file", absolute.toString());
        if (!Files.isDirectory(absolute)) {
            throw new EnvironmentException(who + ": the archive " + absolute + (Files.exists(absolute,
                LinkOption.NOFOLLOW_LINKS) ? " is not a directory" : " does not exist"), context, null);
        }
        if (!Files.isReadable(absolute) || !Files.isExecutable(absolute)) {
            throw new EnvironmentException(who + ": the archive " + absolute + " cannot be read by this process ("
                + System.getProperty("user.name") + ")", context, null);
        }
        String serverUser = runAsUser != null ? runAsUser : PgCluster.serverUser().orElse(null);
        if (serverUser == null || serverUser.equals(System.getProperty("user.name"))) {
            return;   // the server runs as this process's user, whom access(2) just answered for
        }
        Optional<String> refused = ServerAccess.refusal(absolute, serverUser);
        if (refused.isPresent()) {
            throw new EnvironmentException(who + ": the archive " + absolute + " cannot be read by the scratch"
                + " server's user " + serverUser + ", who runs its restore_command: " + refused.get() + "; give that"
                + " user read and search permission on it (and search permission on the directories above it)",
                Map.of("file", absolute.toString(), "user", serverUser), null);
        }
    }

    /** What another user may do with a directory, from its owner, group and mode bits. */
    private static final class ServerAccess {

        /** Why {@code user} cannot list {@code directory} (absolute), or empty if it can (or it cannot be told). */
        static Optional<String> refusal(Path directory, String user) {
            Optional<long[]> ids = ids(user);
            if (ids.isEmpty()) {
                log.debug("PITR drill: cannot look up the user {}; whether it can read {} is not checked", user,
                    directory);
                return Optional.empty();
            }
            long uid = ids.get()[0];
            Path real;
            try {
                real = directory.toRealPath();
            } catch (IOException e) {
                return Optional.empty();
            }
            List<Path> chain = new ArrayList<>();
            for (Path p = real; p != null; p = p.getParent()) {
                chain.add(0, p);
            }
            for (Path p : chain) {
                int bits;
                try {
                    int mode = (Integer) Files.getAttribute(p, "unix:mode");
                    int owner = (Integer) Files.getAttribute(p, "unix:uid");
                    int group = (Integer) Files.getAttribute(p, "unix:gid");
                    boolean inGroup = false;
                    for (int i = 1; i < ids.get().length; i++) {
                        inGroup |= ids.get()[i] == group;
                    }
                    bits = owner == uid ? mode >> 6 & 7 : inGroup ? mode >> 3 & 7 : mode & 7;
                } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
                    return Optional.empty();
                }
                boolean last = p.equals(real);
                if ((bits & 1) == 0 || last && (bits & 4) == 0) {
                    return Optional.of(p + (last ? " is not readable and searchable" : " is not searchable")
                        + " by it (mode " + Integer.toOctalString(modeOf(p)) + ")");
                }
            }
            return Optional.empty();
        }

        private static int modeOf(Path p) {
            try {
                return (Integer) Files.getAttribute(p, "unix:mode") & 07777;
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }

        /** The user's uid, then its group ids ({@code id -u}, {@code id -G}); empty if they cannot be read. */
        private static Optional<long[]> ids(String user) {
            try {
                String uid = run("id", "-u", user);
                String groups = run("id", "-G", user);
                if (uid == null || groups == null || !uid.matches("\\d+") || !groups.matches("\\d+( \\d+)*")) {
                    return Optional.empty();
                }
                String[] g = groups.split(" ");
                long[] ids = new long[g.length + 1];
                ids[0] = Long.parseLong(uid);
                for (int i = 0; i < g.length; i++) {
                    ids[i + 1] = Long.parseLong(g[i]);
                }
                return Optional.of(ids);
            } catch (IOException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }

        private static @Nullable String run(String... command) throws IOException, InterruptedException {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return null;
            }
            return process.exitValue() == 0 ? out : null;
        }
    }

    /**
     * Runs the drill.
     *
     * @return the report: passed when replay paused at the target and every check matched; failed, naming the
     *         failed checks, otherwise
     * @throws PitrDrillException if the target cannot be reached from this backup and archive, the base backup is
     *                            unusable, or the scratch server failed or timed out
     * @throws dev.drkit.postgres.MissingToolException if no PostgreSQL binaries are found
     * @throws dev.drkit.core.EnvironmentException    if the scratch directory cannot be made, the archive directory
     *                                                does not exist or the server's user cannot read it, or the tar
     *                                                stream cannot be opened; all found before a server starts
     * @since 0.1
     */
    public PitrDrillReport run() {
        RecoveryTimeline timeline = RecoveryTimeline.start();
        DrillSteps steps = new DrillSteps(timeline);
        String source = baseBackupDirectory != null ? baseBackupDirectory.toString()
            : baseBackupTar instanceof StoredBaseBackup ? ((StoredBaseBackup) baseBackupTar).describe() : "tar stream";
        Map<String, String> settings = new java.util.LinkedHashMap<>();
        settings.put("restore_command", restoreCommand());
        settings.put("recovery_target_time", TARGET_FORMAT.format(targetTime));
        settings.put("recovery_target_action", "pause");
        settings.put("recovery_target_timeline", targetTimeline);
        settings.put("recovery_target_inclusive", "on");
        settings.put("archive_mode", "off");
        settings.put("archive_command", "");
        settings.put("archive_library", "");
        // The backup's own configuration (of a standby, say) may name commands that act on the real archive:
        // archive_cleanup_command runs at every restartpoint of an archive recovery and deletes segments.
        settings.put("archive_cleanup_command", "");
        settings.put("recovery_end_command", "");
        PgClusterConfig config = clusterConfig.toBuilder().settings(settings).build();

        if (archive != null) {
            // before anything starts: a wrong path or one the server cannot read would otherwise look like an archive
            // that ends too early, and fail the drill as if the data were wrong
            checkArchiveReadable(archive, config.runAsUser().orElse(null), "PITR drill '" + name + "'");
        }
        List<DrillStep> before = new ArrayList<>();
        Prepared prepared = prepare(timeline, before, config, source);
        PgCluster cluster = prepared.cluster;
        Duration adopted = prepared.adopted;
        ReplayPoint reached;
        Duration paused;
        Duration checked;
        try {
            reached = replay(steps, cluster);
            paused = timeline.elapsed();
            // Replay also pauses, since PostgreSQL 14, when hot standby settings are lower than the origin's:
            // only the server's own "recovery stopping" line says the pause is the target's.
            boolean afterTarget = reached.lastCommit().map(t -> t.isAfter(targetTime)).orElse(false);
            boolean stopped = !reached.stopLine().isEmpty();
            steps.check("paused at target", stopped && !afterTarget, "replay paused at " + reached
                + (afterTarget ? "; its last commit is AFTER the target " + targetTime
                : !stopped ? "; but the server did not log reaching the target " + targetTime + ": "
                    + Text.oneLine(cluster.logTail(3), 400)
                : "; target " + targetTime));
            runChecks(steps, cluster);
            checked = timeline.elapsed();
        } catch (RuntimeException | Error e) {
            cleanUp(cluster);
            throw e;
        }
        // The RTO ends here; stopping the server and deleting the copy are timed, and reported, apart from it.
        String cleaned = cleanUp(cluster);
        Duration finished = timeline.elapsed();
        PitrDrillReport.Phases phases = new PitrDrillReport.Phases(prepared.fetched,
            prepared.setUp.minus(prepared.fetched), adopted.minus(prepared.setUp), paused.minus(adopted),
            checked.minus(paused), finished.minus(checked));
        DrillReport.Builder builder = DrillReport.builder(name)
            .started(timeline.startedAt())
            .finished(timeline.startedAt().plus(finished))
            .rto(MeasuredDuration.of(phases.rto(), Duration.ofMillis(POLL_MILLIS)));
        before.forEach(builder::step);
        steps.steps().forEach(builder::step);
        builder.step(DrillStep.of("stop and delete scratch cluster", checked, finished.minus(checked),
            StepOutcome.PASS, cleaned));
        DrillReport report = builder.build();
        log.info("PITR drill '{}': {} at {} (target {}); RTO {} ms = fetch {} + setup {} + adopt {} + replay {} +"
                + " checks {} ms; cleanup {} ms after it", name, report.verdict(), reached, targetTime,
            phases.rto().toMillis(), phases.fetch().toMillis(), phases.setup().toMillis(), phases.adopt().toMillis(),
            phases.replay().toMillis(), phases.checks().toMillis(), phases.cleanup().toMillis());
        return new PitrDrillReport(report, targetTime, reached, phases);
    }

    /** The scratch cluster, adopted, and the offsets on the drill's timeline where its phases ended. */
    private record Prepared(PgCluster cluster, Duration fetched, Duration setUp, Duration adopted) {
    }

    /**
     * Fetch, set up and adopt: the base backup is copied (or extracted) into a staging directory beside the
     * scratch cluster while another thread finds the PostgreSQL binaries (which runs {@code pg_config} and
     * {@code postgres --version}); then the cluster's directory is made, the copy moved into it (a rename per
     * top-level entry), its settings written and its files given to the server's user. Records one step for
     * each of the three in {@code before}.
     */
    private Prepared prepare(RecoveryTimeline timeline, List<DrillStep> before, PgClusterConfig config,
                             String source) {
        Binaries binaries = Binaries.find(config);
        Path staging = staging(config.baseDirectory());
        try {
            try {
                fetchInto(staging);
            } catch (IOException | RuntimeException e) {
                binaries.await();   // no binaries at all is the first thing to say (exit 3), as before any copy
                throw e;
            }
            Duration fetched = timeline.elapsed();
            before.add(DrillStep.of("fetch base backup", Duration.ZERO, fetched, StepOutcome.PASS,
                "from " + source));
            PgBinaries found = binaries.await();
            String serverUser = binaries.user();
            PgClusterConfig withBinaries = config.toBuilder().binaries(found).build();
            Duration[] setUp = new Duration[1];
            PgCluster cluster;
            try {
                cluster = PgCluster.restore(withBinaries, dataDirectory -> {
                    setUp[0] = timeline.elapsed();
                    moveChildren(staging, dataDirectory);
                });
            } catch (PostgresException e) {
                if (e.getCause() instanceof PitrDrillException) {
                    throw (PitrDrillException) e.getCause();
                }
                throw e;
            }
            Duration setUpEnd = setUp[0];
            before.add(DrillStep.of("set up scratch cluster", fetched, setUpEnd.minus(fetched), StepOutcome.PASS,
                "PostgreSQL " + found.version() + " in " + found.binDirectory() + binaries.describe()
                    + "; scratch directory " + cluster.directory()));
            try {
                checkTargetAfterBackup(cluster.dataDirectory(), source);
            } catch (RuntimeException | IOException e) {
                cluster.close();
                throw e;
            }
            Duration adopted = timeline.elapsed();
            before.add(DrillStep.of("adopt copy", setUpEnd, adopted.minus(setUpEnd), StepOutcome.PASS,
                "moved into " + cluster.dataDirectory() + ", recovery settings written, files given to "
                    + serverUser));
            return new Prepared(cluster, fetched, setUpEnd, adopted);
        } catch (BaseBackupFiles.UnusableBackupException e) {
            throw new PitrDrillException(PitrDrillException.Reason.BAD_BASE_BACKUP,
                "PITR drill '" + name + "': " + e.getMessage(), e);
        } catch (dev.drkit.backup.BackupException e) {
            if (!(baseBackupTar instanceof StoredBaseBackup) || e.kind() != dev.drkit.core.DrkitException.Kind.DATA
                || e instanceof PitrDrillException) {
                throw e;
            }
            // a wrong key or a damaged backup: the stored backup cannot deliver the base backup
            throw new PitrDrillException(PitrDrillException.Reason.BAD_BASE_BACKUP, "PITR drill '" + name + "': "
                + source + " cannot be restored: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PitrDrillException(PitrDrillException.Reason.BAD_BASE_BACKUP, "PITR drill '" + name
                + "': cannot read the base backup " + source + ": " + e.getMessage(), e);
        } finally {
            LocalFiles.deleteTreeQuietly(staging, log, "PITR drill");
        }
    }

    /** A directory for the copy, beside where the scratch cluster's will be, so that moving it is a rename. */
    private Path staging(Path baseDirectory) {
        try {
            Files.createDirectories(baseDirectory);
            return Files.createTempDirectory(baseDirectory, "drkit-pitr-fetch-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new EnvironmentException("PITR drill '" + name + "': cannot create a directory under "
                + baseDirectory + ": " + e.getMessage(), Map.of("file", baseDirectory.toString()), e);
        }
    }

    private void fetchInto(Path directory) throws IOException {
        if (baseBackupDirectory != null) {
            if (!Files.isDirectory(baseBackupDirectory)) {
                // a wrong path, not a bad backup: as for pitr verify, the data was not judged
                throw new EnvironmentException("PITR drill '" + name + "': base backup " + baseBackupDirectory
                    + (Files.exists(baseBackupDirectory) ? " is not a directory" : " does not exist"),
                    Map.of("file", baseBackupDirectory.toString()), null);
            }
            BaseBackupFiles.copyDirectory(baseBackupDirectory, directory);
        } else {
            if (baseBackupTar instanceof StoredBaseBackup) {
                String notBase = ((StoredBaseBackup) baseBackupTar).notABaseBackup();
                if (notBase != null) {
                    throw new BaseBackupFiles.UnusableBackupException(notBase);
                }
            }
            InputStream opened;
            try {
                opened = Objects.requireNonNull(baseBackupTar).open();
            } catch (IOException e) {
                // a missing or unreadable file, not a bad backup: as for a base backup directory, nothing was judged
                throw new EnvironmentException("PITR drill '" + name + "': cannot open the base backup's tar stream: "
                    + e.getClass().getSimpleName() + " " + e.getMessage(), Map.of(), e);
            }
            try (InputStream in = opened) {
                BaseBackupFiles.extractTar(in, directory);
            }
        }
        if (!Files.isRegularFile(directory.resolve("backup_label"))) {
            throw new BaseBackupFiles.UnusableBackupException("base backup " + (baseBackupDirectory != null
                ? baseBackupDirectory : "tar stream") + " has no backup_label: it is not a base backup (a copy of a"
                + " stopped or running data directory cannot be recovered to a point in time)");
        }
        Files.writeString(directory.resolve("recovery.signal"), "", StandardCharsets.UTF_8);
    }

    private static void moveChildren(Path from, Path to) throws IOException {
        try (Stream<Path> children = Files.list(from)) {
            for (Path child : (Iterable<Path>) children::iterator) {
                Files.move(child, to.resolve(child.getFileName().toString()), StandardCopyOption.ATOMIC_MOVE);
            }
        }
    }

    /** Stops the server ({@code immediate}) and deletes its directory; never throws. What happened, for the report. */
    private String cleanUp(PgCluster cluster) {
        // The scratch copy is deleted next: a clean shutdown's restartpoint would only write what is discarded.
        String stop = "stopped (immediate)";
        try {
            cluster.stop(StopMode.IMMEDIATE);
        } catch (RuntimeException e) {
            log.debug("PITR drill '{}': immediate stop failed ({}); closing stops it", name, e.toString());
            stop = "immediate stop failed, stopped by closing";
        }
        cluster.close();
        return stop + (Files.exists(cluster.directory(), LinkOption.NOFOLLOW_LINKS)
            ? "; could not delete all of " + cluster.directory() : ", " + cluster.directory() + " deleted");
    }

    /** The binaries of the configuration, or those {@link PgBinaries#detect()} finds on another thread. */
    private static final class Binaries {
        private final FutureTask<PgBinaries> task;
        private final boolean given;
        /**
         * The server's operating-system user, looked up (with {@code getent}) on the same thread, which the
         * scratch cluster then finds remembered; this also loads {@link PgCluster} before it is needed.
         */
        private final FutureTask<String> user;
        private volatile long tookNanos;

        private Binaries(@Nullable PgBinaries known) {
            this.given = known != null;
            this.task = new FutureTask<>(() -> {
                if (known != null) {
                    return known;
                }
                long started = System.nanoTime();
                PgBinaries found = PgBinaries.detect();
                tookNanos = System.nanoTime() - started;
                return found;
            });
            this.user = new FutureTask<>(() -> PgCluster.serverUser().orElse("this JVM's user"));
        }

        static Binaries find(PgClusterConfig config) {
            Binaries binaries = new Binaries(config.binaries().orElse(null));
            if (binaries.given) {
                binaries.task.run();
                binaries.user.run();
            } else {
                Thread thread = new Thread(() -> {
                    binaries.task.run();
                    binaries.user.run();
                }, "drkit-pitr-binaries");
                thread.setDaemon(true);
                thread.start();
            }
            return binaries;
        }

        PgBinaries await() {
            return get(task);
        }

        String user() {
            return get(user);
        }

        private static <T> T get(FutureTask<T> task) {
            try {
                return task.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException) {
                    throw (RuntimeException) e.getCause();
                }
                if (e.getCause() instanceof Error) {
                    throw (Error) e.getCause();
                }
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PitrDrillException(PitrDrillException.Reason.TIMED_OUT, "PITR drill interrupted", e);
            }
        }

        String describe() {
            return given ? " (given)" : " (found in " + tookNanos / 1_000_000 + " ms while the base backup was fetched)";
        }
    }

    private void checkTargetAfterBackup(Path dataDirectory, String source) throws IOException {
        Map<String, String> label = BackupTimes.label(dataDirectory).orElse(Map.of());
        Optional<Instant> started = BackupTimes.time(label.get("START TIME"));
        String startWal = label.getOrDefault("START WAL LOCATION", "");
        Optional<Instant> stopped = archive == null ? Optional.empty() : BackupTimes.stopTime(archive, startWal);
        Optional<Instant> bound = stopped.isPresent() ? stopped : started;
        if (bound.isEmpty()) {
            // an ambiguous time zone abbreviation in the label: no claim either way, replay will tell
            log.warn("PITR drill '{}': the base backup {} has no start or stop time that can be read without guessing"
                + " its time zone (START TIME '{}'); whether target time {} is after it is not checked before"
                + " replay", name, source, label.getOrDefault("START TIME", ""), targetTime);
        }
        if (bound.isPresent() && targetTime.isBefore(bound.get())) {
            throw new PitrDrillException(PitrDrillException.Reason.TARGET_BEFORE_BACKUP_END, "PITR drill '" + name
                + "': target time " + targetTime + " is before the base backup " + source
                + (stopped.isPresent() ? " ended (" + stopped.get() + ")" : " started (" + started.get() + ")")
                + "; recover to a later time or use an older base backup", null);
        }
    }

    private ReplayPoint replay(DrillSteps steps, PgCluster cluster) {
        try {
            return steps.run("replay to target", () -> {
                try {
                    cluster.start();
                } catch (PostgresStartException e) {
                    throw fromLog(cluster, e);
                }
                return point(cluster, awaitPause(cluster));
            }, ReplayPoint::toString);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Waits for the server's "pausing at the end of recovery" log line, a cheap file read every
     * {@value #POLL_MILLIS} ms, and confirms it with {@code pg_get_wal_replay_pause_state()}; asks the server directly
     * every second as well, in case the log says it in other words. The same query reads the point reached
     * ({@link #POINT_COLUMNS}), so one {@code psql} does both.
     *
     * <p>It asks as the scratch cluster's superuser in the {@code postgres} database, not as the checks' role in
     * theirs: those may not exist at the target (a mistyped {@code --user}, a database made after it), and the
     * checks report that, where a poll that could never connect would wait out the whole timeout and blame replay.
     * Should the backup have neither (its superuser has another name, or {@code postgres} was dropped), the
     * checks' role and database, then {@code template1}, are tried; when none of them exists once the log says
     * replay paused, the drill stops at once, naming them.
     *
     * @return the point columns of the query that saw the pause
     */
    private String awaitPause(PgCluster cluster) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextAsk = System.nanoTime();
        long scanned = 0;
        boolean pausedInLog = false;
        List<String[]> logins = pollLogins(cluster);
        while (true) {
            long size = Text.sizeOf(cluster.logFile());
            boolean logSaysPaused = ServerLog.readFrom(cluster.logFile(), Math.max(0, scanned - 512))
                .contains(ServerLog.PAUSED);
            pausedInLog |= logSaysPaused;
            scanned = size;
            if (logSaysPaused || System.nanoTime() - nextAsk >= 0) {
                nextAsk = System.nanoTime() + 1_000_000_000L;
                String state = "";
                List<String> missing = new ArrayList<>();
                for (String[] login : cluster.isRunning() ? logins : List.<String[]>of()) {
                    try {
                        state = cluster.psql(login[0], login[1],
                            "SELECT pg_is_in_recovery(), pg_get_wal_replay_pause_state(), " + POINT_COLUMNS);
                        break;
                    } catch (PostgresException | IllegalStateException e) {
                        Optional<String> absent = missingRoleOrDatabase(e);
                        if (absent.isEmpty()) {
                            break;   // not accepting connections yet, or stopped: asked again later
                        }
                        missing.add(absent.get());
                    }
                }
                if (pausedInLog && missing.size() == logins.size()) {
                    throw new PitrDrillException(PitrDrillException.Reason.SERVER_FAILED, "PITR drill '" + name
                        + "': replay paused, but the scratch server cannot be asked where: " + String.join("; ",
                        missing) + " at the target; give a role and database of the backup that exist at "
                        + targetTime + " (--user, --database)", null);
                }
                if (state.startsWith(PAUSED_ROW)) {
                    return state.substring(PAUSED_ROW.length());
                }
                if (state.startsWith("f|")) {
                    throw new PitrDrillException(PitrDrillException.Reason.SERVER_FAILED, "PITR drill '" + name
                        + "': the scratch server left recovery instead of pausing at " + targetTime, null);
                }
            }
            if (!cluster.isRunning()) {
                throw fromLog(cluster, null);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new PitrDrillException(PitrDrillException.Reason.TIMED_OUT, "PITR drill '" + name
                    + "': replay did not pause at " + targetTime + " within " + timeout.toSeconds() + " s. Last lines of"
                    + " the server log:\n" + Text.indent(cluster.logTail(LOG_LINES)), null);
            }
            sleep();
        }
    }

    private ReplayPoint point(PgCluster cluster, String row) {
        String[] parts = row.split("\\|", -1);
        Instant lastCommit = parts.length > 0 && !parts[0].isEmpty() ? Instant.parse(parts[0]) : null;
        String lsn = parts.length > 1 ? parts[1] : "";
        String log = ServerLog.read(cluster.logFile());
        OptionalInt restored = ServerLog.lastRestoredTimeline(log);
        int tli = restored.isPresent() ? restored.getAsInt()
            : parts.length > 2 && !parts[2].isEmpty() ? Integer.parseInt(parts[2]) : 0;
        return new ReplayPoint(lastCommit, lsn, tli, ServerLog.stoppingLine(log).orElse(""));
    }

    /**
     * Who the pause poll connects as, in order: the scratch cluster's superuser to {@code postgres}, then the checks'
     * role and database, then each role to {@code template1}, without repeats.
     */
    private List<String[]> pollLogins(PgCluster cluster) {
        List<String[]> logins = new ArrayList<>();
        for (String[] login : List.of(new String[] {cluster.superuser(), DEFAULT_DATABASE},
            new String[] {user, database}, new String[] {cluster.superuser(), "template1"},
            new String[] {user, "template1"})) {
            if (logins.stream().noneMatch(l -> l[0].equals(login[0]) && l[1].equals(login[1]))) {
                logins.add(login);
            }
        }
        return logins;
    }

    /**
     * {@code role "x" does not exist} or {@code database "y" does not exist} if psql could not connect for that
     * reason (the server's FATAL on connecting, not an error of a query).
     */
    static Optional<String> missingRoleOrDatabase(RuntimeException e) {
        java.util.regex.Matcher m = MISSING_LOGIN.matcher(String.valueOf(e.getMessage()));
        return m.find() ? Optional.of(m.group(1) + " \"" + m.group(2) + "\" does not exist") : Optional.empty();
    }

    /**
     * Runs the checks in order. When their role or database does not exist at the target, the first check fails
     * saying so, and the others are skipped: each would fail the same way.
     */
    private void runChecks(DrillSteps steps, PgCluster cluster) {
        String cannotConnect = null;
        for (Check check : checks) {
            if (cannotConnect != null) {
                steps.skip("check " + check.name(), cannotConnect);
            } else {
                cannotConnect = runCheck(steps, cluster, check);
            }
        }
    }

    /** Runs one check; why the checks cannot connect at all, if that is why it failed, else {@code null}. */
    private @Nullable String runCheck(DrillSteps steps, PgCluster cluster, Check check) {
        String actual;
        try {
            // psql -c prints only the last statement's result
            actual = cluster.psql(user, database, "SET lock_timeout = '" + LOCK_TIMEOUT + "'; " + check.sql()).trim();
        } catch (PostgresException e) {
            Optional<String> absent = missingRoleOrDatabase(e);
            if (absent.isPresent()) {
                String why = "cannot connect as role \"" + user + "\" to database \"" + database + "\": "
                    + absent.get() + " at the target time " + targetTime + " (give --user and --database that"
                    + " exist then)";
                steps.check("check " + check.name(), false, why);
                return why;
            }
            boolean locked = e.getMessage() != null && e.getMessage().contains("lock timeout");
            steps.check("check " + check.name(), false, "query failed: " + e.getMessage() + (locked
                ? " (a transaction that was open at the target holds a lock the query needs)" : ""));
            return null;
        }
        String expected = check.expected().trim();
        boolean ok = actual.equals(expected);
        steps.check("check " + check.name(), ok, (ok ? "got " : "expected " + abbreviate(expected) + ", got ")
            + abbreviate(actual));

        return null;
    }

    private PitrDrillException fromLog(PgCluster cluster, @Nullable Throwable cause) {
        String log = ServerLog.read(cluster.logFile());
        String tail = Text.tail(log, LOG_LINES);
        String fatal = ServerLog.firstFatal(log).orElse("the server stopped");
        PitrDrillException.Reason reason;
        String what;
        if (log.contains(ServerLog.TARGET_NOT_REACHED)) {
            reason = PitrDrillException.Reason.TARGET_NOT_REACHED;
            what = "recovery ran out of WAL before the target time " + targetTime + " (the archive ends before it,"
                + " or a segment is missing on the way)";
        } else if (fatal.startsWith(ServerLog.RESTORE_FAILED)) {
            Optional<String> said = ServerLog.lastWalFetchError(log);
            reason = said.filter(line -> line.contains(ServerLog.WAL_FETCH_ENVIRONMENT_ERROR)).isPresent()
                ? PitrDrillException.Reason.RESTORE_COMMAND_UNAVAILABLE
                : PitrDrillException.Reason.RESTORE_COMMAND_FAILED;
            what = "the restore_command failed hard fetching WAL" + said.map(line -> " (\"" + Text.oneLine(line, 300)
                + "\")").orElse("") + ", and recovery stopped before the target time " + targetTime;
        } else if (log.contains(ServerLog.BEFORE_CONSISTENT)) {
            reason = PitrDrillException.Reason.TARGET_BEFORE_BACKUP_END;
            what = "the target time " + targetTime + " is before the base backup's end (its consistent point)";
        } else if (log.contains(ServerLog.WAL_ENDS_BEFORE_BACKUP_END)
            || log.contains(ServerLog.WAL_ENDS_BEFORE_CONSISTENT)) {
            reason = PitrDrillException.Reason.BACKUP_INCONSISTENT;
            what = "the WAL ends before the base backup is consistent (a segment of the backup's own range is"
                + " missing from the archive)";
        } else {
            reason = PitrDrillException.Reason.SERVER_FAILED;
            what = "the scratch server stopped during recovery";
        }
        return new PitrDrillException(reason, "PITR drill '" + name + "': " + what + ": PostgreSQL said \""
            + Text.oneLine(fatal, 300) + "\". Last lines of the server log:\n" + Text.indent(tail), cause);
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PitrDrillException(PitrDrillException.Reason.TIMED_OUT, "PITR drill interrupted", e);
        }
    }

    private static String abbreviate(String s) {
        String one = s.replace('\n', ' ');
        return "\"" + (one.length() <= 200 ? one : one.substring(0, 197) + "...") + "\"";
    }

    /**
     * Builds a {@link PitrDrill}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private @Nullable Path baseBackupDirectory;
        private @Nullable TarStream baseBackupTar;
        private @Nullable Path archive;
        private @Nullable String restoreCommand;
        private @Nullable Instant targetTime;
        private String targetTimeline = "latest";
        private final List<Check> checks = new ArrayList<>();
        private String user = DEFAULT_USER;
        private String database = DEFAULT_DATABASE;
        private Duration timeout = DEFAULT_TIMEOUT;
        private PgClusterConfig clusterConfig = PgClusterConfig.builder().name("pitr-drill").fsync(false)
            .startTimeout(DEFAULT_TIMEOUT).build();
        private String name = "pitr drill";

        private Builder() {
        }

        /**
         * A plain-format base backup directory ({@code pg_basebackup -Fp}); replaces a tar stream given before.
         *
         * @since 0.1
         */
        public Builder baseBackup(Path directory) {
            this.baseBackupDirectory = Objects.requireNonNull(directory, "directory").toAbsolutePath();
            this.baseBackupTar = null;
            return this;
        }

        /**
         * The tar stream of {@code pg_basebackup -D - -Ft -X fetch}, opened once per run; replaces a directory given
         * before.
         *
         * @since 0.1
         */
        public Builder baseBackupTar(TarStream stream) {
            this.baseBackupTar = Objects.requireNonNull(stream, "stream");
            this.baseBackupDirectory = null;
            return this;
        }

        /**
         * A base backup that drkit stored ({@code drkit pg backup --base-backup}, {@link PgLabels#KIND}
         * {@code basebackup}), decrypted by {@link BackupEngine#restore(String, DecryptionKey, java.io.OutputStream)}
         * straight into the drill's extraction, once per run, without a copy of the tar on disk. The engine checks
         * the backup's checksums at its end, and the drill fails if they do not match. A backup of another kind is a
         * {@link PitrDrillException} ({@link PitrDrillException.Reason#BAD_BASE_BACKUP}); a wrong key or damage is
         * the engine's {@link dev.drkit.backup.BackupException}. Replaces a directory or tar stream given before.
         *
         * @param engine the engine over the store that holds the backup (it may differ from the WAL store)
         * @param id     the backup's id
         * @param key    the key that opens it
         * @since 0.1
         */
        public Builder baseBackup(BackupEngine engine, String id, DecryptionKey key) {
            this.baseBackupTar = new StoredBaseBackup(engine, id, key);
            this.baseBackupDirectory = null;
            return this;
        }

        /**
         * A plain archive directory, as {@code archive_command = 'cp %p DIR/%f'} fills it; the restore command
         * copies from it. Also used to find when the base backup ended. Replaces a restore command given before.
         *
         * @since 0.1
         */
        public Builder archive(Path directory) {
            this.archive = Objects.requireNonNull(directory, "directory").toAbsolutePath();
            this.restoreCommand = null;
            return this;
        }

        /**
         * A {@code restore_command} of the caller's, such as {@code drkit wal-fetch --store ... %f %p}; it must exit
         * non-zero when a file is not in the archive. Replaces an archive directory given before.
         *
         * @throws IllegalArgumentException if it is blank, spans lines, or has no {@code %f} or no {@code %p}
         * @since 0.1
         */
        public Builder restoreCommand(String command) {
            Checks.notBlank(command, "restoreCommand");
            Checks.argument(command.indexOf('\n') < 0 && command.indexOf('\r') < 0 && command.indexOf('\0') < 0,
                "restoreCommand must be one line, but was \"%s\"", command.replace('\n', ' '));
            Checks.argument(command.contains("%f") && command.contains("%p"),
                "restoreCommand must use %%f and %%p, but was \"%s\"", command);
            this.restoreCommand = command;
            this.archive = null;
            return this;
        }

        /**
         * The time to recover to: replay stops before the first commit after it.
         *
         * @since 0.1
         */
        public Builder targetTime(Instant time) {
            this.targetTime = Objects.requireNonNull(time, "time");
            return this;
        }

        /**
         * {@code recovery_target_timeline}: {@code latest} (the default), {@code current} or a timeline number.
         *
         * @throws IllegalArgumentException for anything else
         * @since 0.1
         */
        public Builder targetTimeline(String timeline) {
            Objects.requireNonNull(timeline, "timeline");
            Checks.argument(TIMELINE.matcher(timeline).matches(),
                "targetTimeline must be latest, current or a timeline number, but was \"%s\"", timeline);
            this.targetTimeline = timeline;
            return this;
        }

        /**
         * Adds a check: {@code sql}'s output must equal {@code expected} (see {@link Check}).
         *
         * @since 0.1
         */
        public Builder check(String name, String sql, String expected) {
            checks.add(new Check(name, sql, expected));
            return this;
        }

        /**
         * Adds a check that {@code table} (optionally schema-qualified) has exactly {@code rows} rows at the target.
         *
         * @throws IllegalArgumentException if {@code table} is not one or two plain identifiers, or rows is negative
         * @since 0.1
         */
        public Builder expectRowCount(String table, long rows) {
            Objects.requireNonNull(table, "table");
            String[] parts = table.split("\\.", -1);
            Checks.argument(parts.length <= 2 && java.util.Arrays.stream(parts).allMatch(p -> IDENTIFIER.matcher(p)
                .matches()), "table must be a name such as orders or public.orders, but was \"%s\"", table);
            Checks.argument(rows >= 0, "rows must not be negative, but was %s", rows);
            String quoted = String.join(".", java.util.Arrays.stream(parts).map(p -> "\"" + p + "\"").toList());
            return check("rows in " + table, "SELECT count(*) FROM " + quoted, Long.toString(rows));
        }

        /**
         * The role the checks connect as. Default {@value #DEFAULT_USER}.
         *
         * @throws IllegalArgumentException if it is not a plain role name
         * @since 0.1
         */
        public Builder user(String user) {
            Objects.requireNonNull(user, "user");
            Checks.argument(IDENTIFIER.matcher(user).matches(), "user must be a role name, but was \"%s\"", user);
            this.user = user;
            return this;
        }

        /**
         * The database the checks run in. Default {@value #DEFAULT_DATABASE}.
         *
         * @throws IllegalArgumentException if it is not a plain database name
         * @since 0.1
         */
        public Builder database(String database) {
            Objects.requireNonNull(database, "database");
            Checks.argument(IDENTIFIER.matcher(database).matches(), "database must be a database name, but was \"%s\"",
                database);
            this.database = database;
            return this;
        }

        /**
         * How long replay may take to pause at the target. Default 30 minutes, at most {@link #MAX_TIMEOUT} (7 days).
         *
         * @throws IllegalArgumentException unless positive and at most {@link #MAX_TIMEOUT}
         * @since 0.1
         */
        public Builder timeout(Duration timeout) {
            Checks.positive(timeout, "timeout");
            Checks.argument(timeout.compareTo(MAX_TIMEOUT) <= 0, "timeout must be at most %s days, but was %s",
                MAX_TIMEOUT.toDays(), timeout);
            this.timeout = timeout;
            this.clusterConfig = clusterConfig.toBuilder().startTimeout(timeout).build();
            return this;
        }

        /**
         * The scratch cluster's configuration: binaries, base directory, operating-system user, extra settings.
         * Default: a cluster named {@code pitr-drill} with {@code fsync=off} in {@code java.io.tmpdir}.
         *
         * @since 0.1
         */
        public Builder cluster(PgClusterConfig config) {
            this.clusterConfig = Objects.requireNonNull(config, "config").toBuilder().startTimeout(timeout).build();
            return this;
        }

        /**
         * The drill's name in its report. Default {@code "pitr drill"}.
         *
         * @since 0.1
         */
        public Builder name(String name) {
            this.name = Checks.notBlank(name, "name");
            return this;
        }

        /**
         * @throws IllegalStateException if no base backup, no WAL source or no target time was given
         * @since 0.1
         */
        public PitrDrill build() {
            Checks.state(baseBackupDirectory != null || baseBackupTar != null, "a PITR drill needs a base backup");
            Checks.state(archive != null || restoreCommand != null,
                "a PITR drill needs an archive directory or a restore command");
            Checks.state(targetTime != null, "a PITR drill needs a target time");
            return new PitrDrill(this);
        }
    }
}
