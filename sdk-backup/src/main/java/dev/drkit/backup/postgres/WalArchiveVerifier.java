package dev.drkit.backup.postgres;

import dev.drkit.backup.internal.store.LocalFiles;
import dev.drkit.backup.postgres.wal.BaseBackup;
import dev.drkit.backup.postgres.wal.Lsn;
import dev.drkit.backup.postgres.wal.SegmentName;
import dev.drkit.backup.postgres.wal.TimelineHistory;
import dev.drkit.backup.postgres.wal.WalRecords;
import dev.drkit.backup.postgres.wal.WalWalker;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Verifies a PostgreSQL WAL archive (a directory of segment files, as {@code archive_command = 'cp %p DIR/%f'}
 * makes it) together with a plain-format base backup, by walking the WAL records: from the backup's start through
 * its end (consistency) and on to the newest segment, choosing each segment's timeline from the history files as
 * recovery does. It reports every fault by file and LSN, whether a target time is reachable, and the honest RPO:
 * now minus the newest commit in the verified chain.
 *
 * <p>What is checked, beyond the files' names: every segment present and exactly the segment size; each segment's
 * long header (system identifier equal to the base backup's, segment and block size); every page header (magic
 * for PostgreSQL 15, page address equal to the expected LSN, timeline never going down and equal to the one the
 * history expects there); record headers, previous-record links and CRC-32C; that each new timeline begins with an
 * end-of-recovery record where its history says; history files missing or newer than the primary's timeline, and
 * parent timelines that went on after a child branched off (a drill or a split brain writing into the archive);
 * and, with the manifest, every base backup file. Faults are results, not exceptions: {@link #verify()} throws only
 * when something cannot be read at all.
 *
 * <p>With a {@linkplain Builder#stateFile(Path) state file}, the walk resumes where the last run stopped, so a run
 * reads only new WAL (segment presence and sizes are still checked from the backup's start on every run; if a
 * segment the saved walk read is gone, the run walks from the start). The
 * verifier writes nothing but that file, never into the archive, so a read-only archive verifies; a state file that
 * cannot be written is a warning in the report, not a failure.
 *
 * <pre>{@code
 * ArchiveReport report = WalArchiveVerifier.builder()
 *     .archive(Path.of("/var/lib/pgarchive"))
 *     .baseBackup(Path.of("/backups/base-2026-11-23"))
 *     .stateFile(Path.of("/var/lib/drkit/wal-verify.state"))
 *     .rpoTarget(Duration.ofMinutes(5))
 *     .build()
 *     .verify();
 * if (!report.ok()) { alert(report.toText()); }
 * }</pre>
 *
 * <p>Instances are immutable and may be shared; each {@link #verify()} call reads the files afresh. Two runs must
 * not share a state file at the same time.
 *
 * @since 0.1
 */
public final class WalArchiveVerifier {

    private static final int DEFAULT_SEGMENT_SIZE = 16 << 20;
    private static final int DEFAULT_BLOCK_SIZE = 8192;

    private final @Nullable Path archive;
    private final @Nullable WalArchive walArchive;
    private final @Nullable Path baseBackup;
    private final @Nullable StoredBaseBackup storedBaseBackup;
    private final @Nullable Path stateFile;
    private final Clock clock;
    private final @Nullable Instant targetTime;
    private final @Nullable Duration rpoTarget;
    private final @Nullable Duration archiveTimeout;
    private final int primaryTimeline;
    private final boolean checkBackupFiles;

    private WalArchiveVerifier(Builder b) {
        this.archive = b.archive;
        this.walArchive = b.walArchive;
        this.baseBackup = b.baseBackup;
        this.storedBaseBackup = b.storedBaseBackup;
        this.stateFile = b.stateFile;
        this.clock = b.clock;
        this.targetTime = b.targetTime;
        this.rpoTarget = b.rpoTarget;
        this.archiveTimeout = b.archiveTimeout;
        this.primaryTimeline = b.primaryTimeline;
        this.checkBackupFiles = b.checkBackupFiles;
    }

    /**
     * A builder; {@link Builder#archive(Path)} is required.
     *
     * @since 0.1
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Walks the archive and returns what it found.
     *
     * @throws WalArchiveException                     if the archive directory, the base backup or a segment cannot be
     *                                                 read at all
     * @throws dev.drkit.backup.BackupDecryptionException if the key of a {@linkplain Builder#archive(WalArchive) WAL
     *                                                 store} does not open its files
     * @throws dev.drkit.backup.BackupIoException         if a WAL store cannot be read
     * @throws dev.drkit.backup.BackupException           if a {@linkplain Builder#baseBackup(dev.drkit.backup.BackupEngine,
     *                                                 String, dev.drkit.backup.DecryptionKey) stored base backup} cannot
     *                                                 be restored: a wrong key, damage, an unreadable store
     * @since 0.1
     */
    public ArchiveReport verify() {
        if (walArchive != null) {
            return verifyStore(walArchive);
        }
        Path dir = Objects.requireNonNull(archive, "archive");
        try {
            return new Run(dir, dir.toString(), List.of(), null).execute();
        } catch (IOException e) {
            throw new WalArchiveException("cannot read the WAL archive " + dir + ": " + e, dir.toString(), e);
        }
    }

    /**
     * drkit's own store, walked as a plain archive in a private temporary directory that is removed afterwards.
     * History and {@code .backup} files are fetched (decrypted and checked against what was recorded at push) at
     * once; each segment starts as a sparse placeholder of its recorded size and is fetched only when the walk
     * reaches it, then emptied again, so disk use stays at about one segment and a run that resumes from a state
     * file downloads only the WAL it walks (and the first bytes of one segment, for its header). A run that walks
     * from the start also fetches and checks the segments the walk did not need. A file that fails its checks is a
     * {@code STORED_OBJECT} fault, and the walk stops there; a key that does not open the files throws.
     */
    private ArchiveReport verifyStore(WalArchive store) {
        String location = store.store().location();
        Path dir = null;
        try {
            dir = Files.createTempDirectory("drkit-wal-verify-",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            List<ArchiveFault> fetchFaults = new ArrayList<>();
            for (String name : store.list()) {
                try {
                    // the segment size is not known yet: list() reads it from the first segment's header
                    if (SegmentName.isSegment(name)) {
                        Optional<Long> size = store.recordedBytes(name);
                        if (size.isPresent()) {
                            placeholder(dir.resolve(name), size.get());
                        }
                    } else {
                        store.fetch(name, dir.resolve(name));
                    }
                } catch (NoSuchWalFileException gone) {
                    // removed while we listed: nothing to check
                } catch (dev.drkit.backup.BackupVerificationException e) {
                    fetchFaults.add(ArchiveFault.of(ArchiveFault.Kind.STORED_OBJECT, name, -1, e.getMessage()));
                }
            }
            return new Run(dir, location, fetchFaults, store).execute();
        } catch (IOException e) {
            throw new WalArchiveException("cannot verify the WAL archive " + location + ": " + e, location, e);
        } finally {
            if (dir != null) {
                LocalFiles.deleteTreeQuietly(dir, org.slf4j.LoggerFactory.getLogger(WalArchiveVerifier.class),
                    "WAL archive verification");
            }
        }
    }

    /** A sparse file of {@code size} bytes: it takes no disk space and answers {@code Files.size} as the real one. */
    private static void placeholder(Path file, long size) throws IOException {
        Files.deleteIfExists(file);
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
    }

    /** The archive directory, unless a {@link WalArchive} store is verified. */
    public Optional<Path> archive() {
        return Optional.ofNullable(archive);
    }

    /** drkit's WAL store being verified, if this verifier reads one instead of a directory. */
    public Optional<WalArchive> walArchive() {
        return Optional.ofNullable(walArchive);
    }

    /** The base backup directory, if one is checked. */
    public Optional<Path> baseBackup() {
        return Optional.ofNullable(baseBackup);
    }

    /** The state file of incremental runs, if one is used. */
    public Optional<Path> stateFile() {
        return Optional.ofNullable(stateFile);
    }

    /** The recovery target time asked about, if any. */
    public Optional<Instant> targetTime() {
        return Optional.ofNullable(targetTime);
    }

    /** The RPO the archive must meet, if any. */
    public Optional<Duration> rpoTarget() {
        return Optional.ofNullable(rpoTarget);
    }

    /** The server's {@code archive_timeout}, if known (zero means off). */
    public Optional<Duration> archiveTimeout() {
        return Optional.ofNullable(archiveTimeout);
    }

    /** The primary's current timeline, if known; 0 if not. */
    public int primaryTimeline() {
        return primaryTimeline;
    }

    /** One verification run: all mutable state lives here. */
    private final class Run implements WalWalker.Sink {
        final Path archive;
        final String location;
        final List<ArchiveFault> faults = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();
        final TreeMap<Integer, TreeMap<Long, Path>> segments = new TreeMap<>();
        final TreeMap<Integer, TimelineHistory> histories = new TreeMap<>();
        int segmentSize = DEFAULT_SEGMENT_SIZE;
        int blockSize = DEFAULT_BLOCK_SIZE;
        TimelineHistory history = TimelineHistory.first();
        String currentFile = "";
        // what the walk learns
        WalkState walk = new WalkState();
        boolean walkFailed;
        long failedAt = -1;
        int checkedTimelineStarts;

        /** The store whose segments are placeholders in {@link #archive} until fetched, or null for a directory. */
        final @Nullable WalArchive store;
        final java.util.Set<Path> fetched = new java.util.HashSet<>();

        Run(Path archive, String location, List<ArchiveFault> earlierFaults, @Nullable WalArchive store) {
            this.archive = archive;
            this.location = location;
            this.store = store;
            faults.addAll(earlierFaults);
        }

        ArchiveReport execute() throws IOException {
            Instant now = clock.instant();
            long started = System.nanoTime();
            BaseBackup backup = readBaseBackup();
            // the base backup's files are checked on another thread while the WAL is walked
            FutureTask<List<String>> fileCheck = null;
            if (backup != null && checkBackupFiles && backup.directory().isPresent()) {
                fileCheck = new FutureTask<>(backup::checkFiles);
                Thread checker = new Thread(fileCheck, "drkit-base-backup-check");
                checker.setDaemon(true);
                checker.start();
            }
            list();
            readHistories();
            long sysid = backup != null ? backup.systemIdentifier() : firstSegmentSystemIdentifier();
            int startTimeline = backup != null ? backup.startTimeline() : lowestTimeline();
            int target = chooseTargetTimeline(startTimeline);
            history = target == 1 ? TimelineHistory.first() : histories.get(target);
            checkTimelines(startTimeline);
            if (backup != null) {
                for (String problem : backup.problems()) {
                    faults.add(ArchiveFault.of(ArchiveFault.Kind.BASE_BACKUP, "base backup: " + problem));
                }
            }

            long start = backup != null ? backup.startLsn() : firstWalkableLsn();
            long backupEnd = backup != null ? backup.endLsn() : -1;
            if (backup == null && start < 0) {
                // Nothing proves anything here: an archive_command that never ran, or the wrong path.
                faults.add(ArchiveFault.of(ArchiveFault.Kind.MISSING_SEGMENT, "the archive holds no WAL segment:"
                    + " there is nothing to verify or to recover from"));
            }
            WalkState saved = readState(sysid, start);
            if (saved != null && !walkedSegmentsPresent(saved)) {
                saved = null;
            }
            boolean resumed = saved != null;
            if (saved != null) {
                walk = saved;
            } else {
                walk = new WalkState();
                walk.resume = start;
                walk.prev = -1;
                walk.firstLsn = start;
            }
            long lastSegno = lastSegment(start);
            checkPresence(start, lastSegno);

            WalWalker walker = new WalWalker(this, segmentSize, blockSize, sysid);
            walker.start(walk.resume, walk.prev);
            runStart = walk.resume;
            walker.lastPageTimeline(walk.pageTimeline);
            this.backupEnd = backupEnd;
            this.backupStartLsn = start;
            WalkState good = walk.copy();
            long segno = Long.divideUnsigned(walk.resume, segmentSize);
            long segmentsRead = 0;
            if (start >= 0) {
                for (; segno <= lastSegno && lastSegno >= 0; segno++) {
                    int tli = history.timelineAt((segno + 1) * segmentSize - 1);
                    Path file = segments.getOrDefault(tli, new TreeMap<>()).get(segno);
                    if (file == null || Files.size(file) != segmentSize) {
                        break; // reported by checkPresence
                    }
                    currentFile = file.getFileName().toString();
                    if (store != null) {
                        ArchiveFault fault = fetchInPlace(store, file, segno * segmentSize);
                        if (fault != null) {
                            faults.add(fault);
                            walkFailed = true;
                            failedAt = segno * segmentSize;
                            break;
                        }
                    }
                    segmentsRead++;
                    WalWalker.Outcome outcome;
                    try {
                        outcome = walker.walkSegment(file, segno, this::checkPageTimeline);
                    } finally {
                        release(file);
                    }
                    if (walkFailed || outcome == WalWalker.Outcome.FAILED) {
                        break;
                    }
                    if (outcome == WalWalker.Outcome.END_OF_WAL) {
                        faults.add(ArchiveFault.of(ArchiveFault.Kind.WAL_ENDS_EARLY, currentFile, walker.position(),
                            "WAL ends at " + Lsn.format(walker.position()) + " inside " + currentFile
                                + " (zero bytes where the next record should start, and no switch record): the"
                                + " segment was archived before it was complete, or part of it was zeroed"));
                        break;
                    }
                    if (backupEnd >= 0 && Long.compareUnsigned(walker.insideRecord() ? walker.recordStart()
                        : walker.position(), backupEnd) >= 0) {
                        walk.consistent = true;   // every record before the backup's end is verified
                    }
                    walk.resume = walker.insideRecord() ? walker.recordStart() : walker.position();
                    walk.prev = walker.insideRecord() ? pendingPrev(walker) : walker.previousRecord();
                    walk.pageTimeline = walker.lastPageTimeline();
                    walk.walkedTo = walker.position();
                    good = walk.copy();
                }
            }
            // the continuous verified chain ends where the walk stopped: at a fault, or before a record it could not finish
            long walkedTo;
            if (walkFailed && failedAt >= 0) {
                walkedTo = walker.insideRecord() ? Math.min(failedAt, walker.recordStart()) : failedAt;
            } else if (segmentsRead > 0) {
                walkedTo = walker.insideRecord() ? walker.recordStart() : walker.position();
            } else {
                walkedTo = Math.max(good.walkedTo, good.resume);
            }
            if (store != null && !resumed) {
                checkUnwalkedSegments(store);
            }
            if (fileCheck != null) {
                for (String problem : awaitFileCheck(fileCheck)) {
                    faults.add(ArchiveFault.of(ArchiveFault.Kind.BASE_BACKUP, "base backup: " + problem));
                }
            }
            if (backupEnd >= 0 && !walk.consistent) {
                faults.add(ArchiveFault.of(ArchiveFault.Kind.BACKUP_END_NOT_REACHED, currentFile, walkedTo,
                    "the verified WAL reaches " + Lsn.format(walkedTo) + " but the base backup needs WAL through "
                        + Lsn.format(backupEnd) + " to become consistent: a restore from it cannot start"));
            }

            Instant newest = walk.consistent && walk.newestAfterConsistency != Long.MIN_VALUE
                ? WalRecords.toInstant(walk.newestAfterConsistency) : null;
            Instant earliest = null;
            boolean startUnknown = backup != null && backup.startTime().isEmpty();
            if (startUnknown) {
                warnings.add("the base backup's START TIME cannot be read without guessing its time zone"
                    + " (backup_label gives it in log_timezone, and only UTC, numeric offsets and abbreviations that"
                    + " stand for one offset are read): the earliest reachable target is unknown; with log_timezone"
                    + " = 'UTC' the next base backup's is known");
            }
            if (walk.consistent && !startUnknown) {
                earliest = backup != null ? backup.startTime().orElse(null) : null;
                if (walk.newestBeforeConsistency != Long.MIN_VALUE) {
                    Instant before = WalRecords.toInstant(walk.newestBeforeConsistency);
                    earliest = earliest == null || before.isAfter(earliest) ? before : earliest;
                }
            }
            Duration rpo = null;
            long newestCommit = Math.max(walk.newestAfterConsistency, walk.newestBeforeConsistency);
            if (newestCommit != Long.MIN_VALUE && (walk.consistent || backup == null)) {
                rpo = Duration.between(WalRecords.toInstant(newestCommit), now);
                if (rpo.isNegative()) {
                    warnings.add("the newest commit in the archive is " + rpo.negated().toMillis()
                        + " ms in the future of this machine's clock");
                    rpo = Duration.ZERO;
                }
            }
            checkRpo(rpo);
            PitrVerdict verdict = null;
            if (targetTime != null) {
                verdict = verdict(targetTime, backup, earliest, newest);
                if (!verdict.reachable()) {
                    faults.add(ArchiveFault.of(ArchiveFault.Kind.TARGET_UNREACHABLE, "recovery target "
                        + targetTime + " is not reachable: " + verdict.reason()));
                }
            }
            if (stateFile != null && start >= 0) {
                writeState(sysid, start, good);
            }
            List<VerifiedRange> ranges = ranges(good.firstLsn, walkedTo);
            return new ArchiveReport(now, location, baseBackup != null ? baseBackup.toString()
                : storedBaseBackup != null ? storedBaseBackup.describe() : null, sysid,
                history.timeline(), start, backupEnd, walk.consistent, walkedTo, ranges, faults, warnings, earliest,
                newest, rpo, verdict, segmentsRead, walker.bytesRead(), resumed,
                Duration.ofNanos(System.nanoTime() - started));
        }

        long backupEnd = -1;
        long backupStartLsn = -1;
        long runStart = -1;

        /**
         * Fetches a store's segment over its placeholder, checked against what was recorded at push; null when it
         * passed, else the fault.
         */
        private @Nullable ArchiveFault fetchInPlace(WalArchive from, Path file, long at) {
            String name = file.getFileName().toString();
            try {
                from.fetch(name, file);
                fetched.add(file);
                return null;
            } catch (NoSuchWalFileException gone) {
                return ArchiveFault.of(ArchiveFault.Kind.MISSING_SEGMENT, name, at, name
                    + " was removed from the archive while it was being verified");
            } catch (dev.drkit.backup.BackupVerificationException e) {
                return ArchiveFault.of(ArchiveFault.Kind.STORED_OBJECT, name, at, e.getMessage());
            }
        }

        /** Empties a fetched segment again, keeping its size: disk use stays at about one segment. */
        private void release(Path file) throws IOException {
            if (store != null) {
                placeholder(file, Files.size(file));
            }
        }

        /** A walk from the start checks every stored segment, also those outside the chain it walked. */
        private void checkUnwalkedSegments(WalArchive from) throws IOException {
            List<Path> unwalked = new ArrayList<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(archive)) {
                for (Path file : files) {
                    if (!fetched.contains(file)
                        && SegmentName.parseSegment(file.getFileName().toString(), segmentSize).isPresent()) {
                        unwalked.add(file);
                    }
                }
            }
            unwalked.sort(null);
            for (Path file : unwalked) {
                ArchiveFault fault = fetchInPlace(from, file, -1);
                if (fault == null) {
                    release(file);
                } else if (fault.kind() == ArchiveFault.Kind.STORED_OBJECT) {
                    // a segment removed since the listing has nothing left to check; a damaged one is a fault
                    faults.add(fault);
                }
            }
        }

        /**
         * The first bytes of a segment: from the file, or decrypted from the store without fetching it whole (a
         * store's segment file is a placeholder except while the walk reads it).
         */
        private byte @Nullable [] head(Path file, int n) throws IOException {
            if (store == null) {
                return readHead(file, n);
            }
            try {
                return store.head(file.getFileName().toString(), n);
            } catch (NoSuchWalFileException | dev.drkit.backup.BackupVerificationException e) {
                return null; // the walk, or the check of every segment, reports it if it matters
            }
        }

        private long pendingPrev(WalWalker walker) {
            // the record being read began after the last complete one, which is its previous record
            return walker.previousRecord();
        }

        // ---------------------------------------------------------------- listing

        private @Nullable BaseBackup readBaseBackup() throws IOException {
            if (storedBaseBackup != null) {
                return readStoredBaseBackup(storedBaseBackup);
            }
            if (baseBackup == null) {
                return null;
            }
            try {
                return BaseBackup.read(baseBackup, false);
            } catch (BaseBackup.UnreadableBackupException e) {
                throw new WalArchiveException(e.getMessage(), baseBackup.toString(), e);
            }
        }

        /**
         * Streams a stored base backup's tar through {@link BaseBackup#readTar}: nothing staged on disk, its files
         * checked against its manifest as they pass, and the engine's own checks judged at the stream's end.
         */
        private BaseBackup readStoredBaseBackup(StoredBaseBackup stored) throws IOException {
            String notBase = stored.notABaseBackup();
            if (notBase != null) {
                throw new WalArchiveException(notBase, stored.describe(), null);
            }
            try (InputStream in = stored.open()) {
                return BaseBackup.readTar(in, stored.describe(), checkBackupFiles);
            } catch (BaseBackup.UnreadableBackupException e) {
                throw new WalArchiveException(e.getMessage(), stored.describe(), e);
            } catch (dev.drkit.backup.BackupException e) {
                throw new WalArchiveException(stored.describe() + " cannot be restored: " + e.getMessage(),
                    stored.describe(), e.kind(), e);
            }
        }

        private List<String> awaitFileCheck(FutureTask<List<String>> check) throws IOException {
            try {
                return check.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while checking the base backup's files", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException) {
                    throw (IOException) cause;
                }
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                throw new IOException("checking the base backup's files failed", cause);
            }
        }

        private void list() throws IOException {
            if (!Files.isDirectory(archive)) {
                throw new WalArchiveException("WAL archive " + archive + " is not a directory", archive.toString(),
                    null);
            }
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(archive)) {
                dir.forEach(files::add);
            }
            files.sort(null);
            // the segment size, from the first segment's long header
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.length() == 24 && SegmentName.isSegment(name)
                    && Files.size(file) >= 40) {
                    byte[] head = head(file, 40);
                    if (head == null || head.length < 40) {
                        continue;
                    }
                    ByteBuffer le = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
                    int size = le.getInt(32);
                    int block = le.getInt(36);
                    if (WalWalker.isValidSegmentSize(size) && block >= 1024 && block <= 65536
                        && Integer.bitCount(block) == 1) {
                        segmentSize = size;
                        blockSize = block;
                    }
                    break;
                }
            }
            for (Path file : files) {
                String name = file.getFileName().toString();
                Optional<SegmentName.Segment> segment = SegmentName.parseSegment(name, segmentSize);
                if (segment.isPresent() && !segment.get().partial()) {
                    segments.computeIfAbsent(segment.get().timeline(), t -> new TreeMap<>())
                        .put(segment.get().segno(), file);
                }
            }
        }

        private void readHistories() throws IOException {
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(archive, "*.history")) {
                for (Path file : dir) {
                    String name = file.getFileName().toString();
                    Optional<Integer> tli = SegmentName.parseHistory(name);
                    if (tli.isEmpty()) {
                        continue;
                    }
                    try {
                        if (Files.size(file) > TimelineHistory.MAX_BYTES) {
                            throw new TimelineHistory.InvalidHistoryException("is larger than a history file can be");
                        }
                        histories.put(tli.get(), TimelineHistory.parse(tli.get(), Files.readAllBytes(file)));
                    } catch (TimelineHistory.InvalidHistoryException e) {
                        faults.add(ArchiveFault.of(ArchiveFault.Kind.HISTORY_INVALID, name, -1,
                            name + " " + e.getMessage()));
                    }
                }
            }
            // each history must extend its parent's
            for (TimelineHistory h : histories.values()) {
                TimelineHistory parent = histories.get(h.parent());
                if (parent != null && !h.entries().subList(0, h.entries().size() - 1).equals(parent.entries())) {
                    String name = SegmentName.history(h.timeline());
                    faults.add(ArchiveFault.of(ArchiveFault.Kind.HISTORY_INVALID, name, -1, name
                        + " disagrees with " + SegmentName.history(parent.timeline())
                        + " about the timelines before " + parent.timeline()
                        + ": one of them was edited or comes from another cluster"));
                }
            }
        }

        private long firstSegmentSystemIdentifier() throws IOException {
            for (TreeMap<Long, Path> byTli : segments.values()) {
                for (Path file : byTli.values()) {
                    byte[] head = Files.size(file) >= 40 ? head(file, 40) : null;
                    if (head != null && head.length >= 40) {
                        return ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong(24);
                    }
                }
            }
            return 0;
        }

        private int lowestTimeline() {
            return segments.isEmpty() ? 1 : segments.firstKey();
        }

        private long firstWalkableLsn() {
            TreeMap<Long, Path> first = segments.get(lowestTimeline());
            return first == null ? -1 : first.firstKey() * segmentSize;
        }

        /** As recovery's findNewestTimeLine: probe history files upwards from the backup's timeline. */
        private int chooseTargetTimeline(int startTimeline) {
            int target = Math.max(1, startTimeline);
            while (histories.containsKey(target + 1)) {
                target++;
            }
            if (target > 1 && !histories.containsKey(target)) {
                // the backup's own timeline lacks a history file: follow timeline 1's view
                return 1;
            }
            return target;
        }

        private void checkTimelines(int startTimeline) {
            // segments of a timeline without its history file
            for (Map.Entry<Integer, TreeMap<Long, Path>> e : segments.entrySet()) {
                int tli = e.getKey();
                if (tli > 1 && !histories.containsKey(tli)) {
                    String first = e.getValue().firstEntry().getValue().getFileName().toString();
                    faults.add(ArchiveFault.of(ArchiveFault.Kind.HISTORY_MISSING, SegmentName.history(tli),
                        e.getValue().firstKey() * segmentSize, e.getValue().size() + " segment(s) of timeline " + tli
                            + " are archived (first " + first + ") but " + SegmentName.history(tli)
                            + " is not: recovery cannot follow timeline " + tli + " and stays on timeline "
                            + history.timeline()));
                }
            }
            for (int tli : histories.keySet()) {
                if (tli > history.timeline() && !segments.containsKey(tli) && !histories.containsKey(tli - 1)) {
                    faults.add(ArchiveFault.of(ArchiveFault.Kind.HISTORY_MISSING, SegmentName.history(tli - 1), -1,
                        SegmentName.history(tli) + " is archived but " + SegmentName.history(tli - 1)
                            + " is not: recovery to 'latest' stops probing at timeline " + history.timeline()));
                }
            }
            if (!history.contains(startTimeline)) {
                faults.add(ArchiveFault.of(ArchiveFault.Kind.TIMELINE, "the base backup is on timeline "
                    + startTimeline + ", which is not on the way to timeline " + history.timeline()));
            }
            if (primaryTimeline > 0) {
                for (int tli : histories.keySet()) {
                    if (tli > primaryTimeline) {
                        String name = SegmentName.history(tli);
                        faults.add(ArchiveFault.of(ArchiveFault.Kind.FOREIGN_TIMELINE, name, -1, name
                            + " is newer than the primary's timeline " + primaryTimeline
                            + ": a drill or a stray promoted standby archived into this archive, and recovery to"
                            + " 'latest' would follow it"));
                    }
                }
            }
            // a parent timeline that went on after a child branched off
            for (TimelineHistory h : histories.values()) {
                TreeMap<Long, Path> parentSegments = segments.get(h.parent());
                if (parentSegments == null || parentSegments.isEmpty()) {
                    continue;
                }
                long lastBeforeSwitch = Long.divideUnsigned(h.begin() - 1, segmentSize);
                long parentLast = parentSegments.lastKey();
                if (parentLast > lastBeforeSwitch) {
                    String name = SegmentName.history(h.timeline());
                    String beyond = parentSegments.get(parentLast).getFileName().toString();
                    faults.add(ArchiveFault.of(ArchiveFault.Kind.FOREIGN_TIMELINE, beyond, parentLast * segmentSize,
                        "timeline " + h.parent() + " went on to " + beyond + " after timeline " + h.timeline()
                            + " branched off it at " + Lsn.format(h.begin()) + " (" + name + "): a drill or a"
                            + " promoted standby wrote timeline " + h.timeline() + " while timeline " + h.parent()
                            + " was live; recovery to 'latest' follows timeline " + history.timeline()
                            + " and loses the other"));
                }
            }
        }

        /** The highest segment number of the archive on the way to the target timeline, or -1. */
        private long lastSegment(long start) {
            if (start < 0) {
                return -1;
            }
            long last = -1;
            for (Map.Entry<Integer, TreeMap<Long, Path>> e : segments.entrySet()) {
                for (long segno : e.getValue().keySet()) {
                    if (segno > last && history.timelineAt((segno + 1) * segmentSize - 1) == e.getKey()) {
                        last = segno;
                    }
                }
            }
            return last;
        }

        private void checkPresence(long start, long lastSegno) throws IOException {
            if (start < 0) {
                return;
            }
            long first = Long.divideUnsigned(start, segmentSize);
            if (lastSegno < first) {
                int tli = history.timelineAt(start);
                String name = SegmentName.of(tli, first, segmentSize);
                faults.add(ArchiveFault.of(ArchiveFault.Kind.MISSING_SEGMENT, name, start, name
                    + " is missing: the base backup's WAL starts there at " + Lsn.format(start)));
                return;
            }
            for (long segno = first; segno <= lastSegno; segno++) {
                long segStart = segno * segmentSize;
                int tli = history.timelineAt(segStart + segmentSize - 1);
                String name = SegmentName.of(tli, segno, segmentSize);
                Path file = segments.getOrDefault(tli, new TreeMap<>()).get(segno);
                if (file == null) {
                    String other = "";
                    for (Map.Entry<Integer, TreeMap<Long, Path>> e : segments.entrySet()) {
                        if (e.getKey() != tli && e.getValue().containsKey(segno)) {
                            other = "; " + SegmentName.of(e.getKey(), segno, segmentSize) + " of timeline " + e.getKey()
                                + " is there, but timeline " + tli + " is the one recovery needs here";
                        }
                    }
                    long begin = history.beginOf(tli);
                    if (!other.isEmpty() && tli > 1 && Long.compareUnsigned(begin, segStart) >= 0
                        && Long.compareUnsigned(begin, segStart + segmentSize) < 0) {
                        other += " (" + SegmentName.history(tli) + " says timeline " + tli + " began at "
                            + Lsn.format(begin) + ", inside this segment: if that is wrong, the history file was"
                            + " edited)";
                    }
                    faults.add(ArchiveFault.of(ArchiveFault.Kind.MISSING_SEGMENT, name, segStart, name
                        + " is missing (WAL " + Lsn.format(segStart) + ".." + Lsn.format(segStart + segmentSize)
                        + "), and later segments exist: recovery stops at this gap" + other));
                } else {
                    long size = Files.size(file);
                    if (size != segmentSize) {
                        faults.add(ArchiveFault.of(ArchiveFault.Kind.SEGMENT_SIZE, name, segStart + Math.min(size,
                            segmentSize), name + " is " + size + " bytes, a segment is " + segmentSize
                            + (size < segmentSize ? " (truncated: WAL after " + Lsn.format(segStart + size)
                            + " is lost)" : "")));
                    }
                }
            }
        }

        // ---------------------------------------------------------------- the walk

        private @Nullable String checkPageTimeline(long pageAddress, int pageTli) {
            int expected = history.timelineAt(pageAddress);
            if (pageTli == expected) {
                return null;
            }
            if (!history.contains(pageTli)) {
                return "page at " + Lsn.format(pageAddress) + " in " + currentFile + " is on timeline "
                    + Integer.toUnsignedString(pageTli) + ", which is not on the way to timeline "
                    + history.timeline() + " (" + SegmentName.history(history.timeline()) + ")";
            }
            long begin = history.beginOf(expected);
            if (pageTli < expected) {
                return "page at " + Lsn.format(pageAddress) + " in " + currentFile + " is on timeline " + pageTli
                    + ", but " + SegmentName.history(expected) + " says timeline " + expected + " began at "
                    + Lsn.format(begin) + ": the history file was edited, or the segment is from another timeline";
            }
            return "page at " + Lsn.format(pageAddress) + " in " + currentFile + " is on timeline " + pageTli
                + ", but the history says timeline " + pageTli + " began only at "
                + Lsn.format(history.beginOf(pageTli)) + ": the history file was edited";
        }

        @Override
        public void record(WalWalker.Record r) {
            // a new timeline must begin with an end-of-recovery (or checkpoint) record where its history says
            List<TimelineHistory.Entry> entries = history.entries();
            while (checkedTimelineStarts < entries.size()
                && Long.compareUnsigned(r.lsn(), entries.get(checkedTimelineStarts).switchPoint()) >= 0) {
                TimelineHistory.Entry switched = entries.get(checkedTimelineStarts);
                int child = checkedTimelineStarts + 1 < entries.size()
                    ? entries.get(checkedTimelineStarts + 1).timeline() : history.timeline();
                checkedTimelineStarts++;
                if (Long.compareUnsigned(runStart, switched.switchPoint()) > 0) {
                    continue; // switched before the walk started
                }
                boolean near = r.lsn() - switched.switchPoint() <= 40;
                OptionalLong tlis = WalRecords.endOfRecoveryTimelines(r);
                boolean matches = near && WalRecords.startsTimeline(r) && (tlis.isEmpty()
                    || ((tlis.getAsLong() >>> 32) == child && (tlis.getAsLong() & 0xFFFF_FFFFL) == switched.timeline()));
                if (!matches) {
                    String name = SegmentName.history(child);
                    faults.add(ArchiveFault.of(ArchiveFault.Kind.HISTORY_INVALID, name, switched.switchPoint(), name
                        + " says timeline " + child + " began at " + Lsn.format(switched.switchPoint())
                        + ", but the WAL there (" + currentFile + ", record at " + Lsn.format(r.lsn())
                        + ") does not begin a timeline: the history file was edited or belongs elsewhere"));
                    walkFailed = true;
                    failedAt = r.lsn();
                }
            }
            OptionalLong time = WalRecords.xactTime(r);
            if (time.isPresent()) {
                long t = time.getAsLong();
                boolean after = backupEnd >= 0 ? Long.compareUnsigned(r.lsn(), backupEnd) >= 0 : walk.consistent;
                if (after) {
                    walk.newestAfterConsistency = Math.max(walk.newestAfterConsistency, t);
                } else {
                    walk.newestBeforeConsistency = Math.max(walk.newestBeforeConsistency, t);
                }
            }
            if (!walk.consistent) {
                if (backupEnd >= 0) {
                    if (Long.compareUnsigned(r.end(), backupEnd) >= 0) {
                        walk.consistent = true;
                    }
                } else {
                    OptionalLong backupStart = WalRecords.backupEndStart(r);
                    if (backupStart.isPresent() && backupStart.getAsLong() == backupStartLsn) {
                        walk.consistent = true;
                        backupEnd = r.end();
                    }
                }
            }
        }

        @Override
        public void problem(WalWalker.Problem problem, long lsn, String message) {
            ArchiveFault.Kind kind;
            switch (problem) {
                case PAGE_HEADER:
                    kind = ArchiveFault.Kind.PAGE_HEADER;
                    break;
                case SYSTEM_IDENTIFIER:
                    kind = ArchiveFault.Kind.SYSTEM_IDENTIFIER;
                    break;
                case TIMELINE:
                    kind = ArchiveFault.Kind.TIMELINE;
                    break;
                case RECORD_HEADER:
                    kind = ArchiveFault.Kind.RECORD_HEADER;
                    break;
                case PREV_LINK:
                    kind = ArchiveFault.Kind.PREV_LINK;
                    break;
                case RECORD_CRC:
                    kind = ArchiveFault.Kind.RECORD_CRC;
                    break;
                case SHORT_SEGMENT:
                    kind = ArchiveFault.Kind.SEGMENT_SIZE;
                    break;
                default:
                    kind = ArchiveFault.Kind.CONTINUATION;
                    break;
            }
            faults.add(ArchiveFault.of(kind, currentFile, lsn, currentFile + ": " + message));
            if (!walkFailed) {
                failedAt = lsn;
            }
            walkFailed = true;
        }

        // ---------------------------------------------------------------- verdict and RPO

        private PitrVerdict verdict(Instant target, @Nullable BaseBackup backup, @Nullable Instant earliest,
                                    @Nullable Instant newest) {
            Optional<Instant> e = Optional.ofNullable(earliest);
            Optional<Instant> n = Optional.ofNullable(newest);
            if (backup == null) {
                return new PitrVerdict(target, false, "no base backup was given, so no restore can start", e, n);
            }
            if (!walk.consistent) {
                return new PitrVerdict(target, false, "the verified WAL does not reach the base backup's end ("
                    + (backupEnd >= 0 ? Lsn.format(backupEnd) : "unknown") + "), so a restore never becomes"
                    + " consistent", e, n);
            }
            if (earliest == null) {
                return new PitrVerdict(target, false, "the base backup's start time is unknown, so whether the target"
                    + " is after the backup cannot be told", e, n);
            }
            if (target.isBefore(earliest)) {
                return new PitrVerdict(target, false, "it is before the base backup (the earliest reachable target is "
                    + earliest + "); an older base backup is needed", e, n);
            }
            if (newest == null || !newest.isAfter(target)) {
                return new PitrVerdict(target, false, "the verified archive has no commit or abort after it (the newest"
                    + " is " + (newest == null ? "none" : newest.toString()) + "): recovery would end before the"
                    + " target", e, n);
            }
            return new PitrVerdict(target, true, "the verified chain reaches consistency and has a commit or abort"
                + " after it", e, n);
        }

        private void checkRpo(@Nullable Duration rpo) {
            if (rpoTarget == null) {
                return;
            }
            if (archiveTimeout != null) {
                if (archiveTimeout.isZero()) {
                    warnings.add("archive_timeout is off: under light load a segment can wait indefinitely before it"
                        + " is archived, so an RPO of " + ArchiveReport.human(rpoTarget) + " cannot be guaranteed");
                } else if (archiveTimeout.compareTo(rpoTarget) > 0) {
                    warnings.add("archive_timeout " + ArchiveReport.human(archiveTimeout) + " cannot meet an RPO of "
                        + ArchiveReport.human(rpoTarget) + ": under light load a commit can wait that long before"
                        + " its segment is archived");
                }
            }
            if (rpo != null && rpo.compareTo(rpoTarget) > 0) {
                faults.add(ArchiveFault.of(ArchiveFault.Kind.RPO_EXCEEDED, "RPO is " + ArchiveReport.human(rpo)
                    + " (newest verified commit " + ArchiveReport.human(rpo) + " ago), more than the target "
                    + ArchiveReport.human(rpoTarget)));
            } else if (rpo == null) {
                faults.add(ArchiveFault.of(ArchiveFault.Kind.RPO_EXCEEDED, "RPO cannot be measured: the verified"
                    + " chain has no commit after the base backup became consistent"));
            }
        }

        private List<VerifiedRange> ranges(long from, long to) {
            List<VerifiedRange> ranges = new ArrayList<>();
            if (from < 0 || Long.compareUnsigned(to, from) <= 0) {
                return ranges;
            }
            long begin = 0;
            List<TimelineHistory.Entry> entries = new ArrayList<>(history.entries());
            entries.add(new TimelineHistory.Entry(history.timeline(), Long.MAX_VALUE));
            for (TimelineHistory.Entry e : entries) {
                long end = e.switchPoint();
                long s = Math.max(begin, from);
                long t = Math.min(end, to);
                if (Long.compareUnsigned(s, t) < 0) {
                    ranges.add(new VerifiedRange(e.timeline(), s, t));
                }
                begin = end;
            }
            return ranges;
        }

        // ---------------------------------------------------------------- state

        private @Nullable WalkState readState(long sysid, long start) {
            if (stateFile == null || start < 0 || !Files.exists(stateFile)) {
                return null;
            }
            try {
                WalkState s = WalkState.read(stateFile);
                if (s.systemIdentifier != sysid || s.firstLsn != start || s.segmentSize != segmentSize
                    || Long.compareUnsigned(s.resume, start) < 0) {
                    warnings.add("state file " + stateFile + " is for another archive or base backup; walked from the"
                        + " start");
                    return null;
                }
                if (!s.timelines.equals(timelinesUpTo(s.resume))) {
                    warnings.add("the timeline history changed since the last run; walked from the start");
                    return null;
                }
                return s;
            } catch (IOException | RuntimeException e) {
                warnings.add("state file " + stateFile + " is unreadable (" + e.getMessage() + "); walked from the start");
                return null;
            }
        }

        /**
         * Whether every segment the saved walk read is still in the archive at its size. If one is gone (pruned, or
         * the newest removed), the saved position, commit times and consistency describe WAL that no longer exists,
         * and presence is checked only up to the newest segment left: walk from the start instead, so the result is
         * the one a run without the state file gives.
         */
        private boolean walkedSegmentsPresent(WalkState s) throws IOException {
            long end = Math.max(s.walkedTo, s.resume);
            if (Long.compareUnsigned(end, s.firstLsn) <= 0) {
                return true;
            }
            long last = Long.divideUnsigned(end - 1, segmentSize);
            for (long segno = Long.divideUnsigned(s.firstLsn, segmentSize); segno <= last; segno++) {
                int tli = history.timelineAt((segno + 1) * segmentSize - 1);
                Path file = segments.getOrDefault(tli, new TreeMap<>()).get(segno);
                if (file == null || Files.size(file) != segmentSize) {
                    warnings.add(SegmentName.of(tli, segno, segmentSize) + ", which an earlier run verified, is "
                        + (file == null ? "no longer in the archive" : "no longer " + segmentSize + " bytes")
                        + "; walked from the start");
                    return false;
                }
            }
            return true;
        }

        /**
         * Saves the walk's position; if it cannot be saved (a read-only directory, a path that is a directory), the
         * run's result stands and a warning says the next run walks from the start.
         */
        private void writeState(long sysid, long start, WalkState s) {
            s.systemIdentifier = sysid;
            s.firstLsn = start;
            s.segmentSize = segmentSize;
            s.timelines = timelinesUpTo(s.resume);
            try {
                s.write(stateFile);
            } catch (IOException | RuntimeException e) {
                warnings.add("state file " + stateFile + " cannot be written (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + "): this run's result stands, but the next run walks from the start");
            }
        }

        /** The timeline switches up to {@code lsn} and the timeline there: what a resumed walk relies on. */
        private String timelinesUpTo(long lsn) {
            StringBuilder out = new StringBuilder();
            for (TimelineHistory.Entry e : history.entries()) {
                if (Long.compareUnsigned(e.switchPoint(), lsn) <= 0) {
                    out.append(e.timeline()).append('@').append(Lsn.format(e.switchPoint())).append(' ');
                }
            }
            return out.append(history.timelineAt(lsn)).toString();
        }
    }

    private static byte[] readHead(Path file, int n) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        }
    }

    /**
     * Builds a {@link WalArchiveVerifier}.
     *
     * @since 0.1
     */
    public static final class Builder {
        private @Nullable Path archive;
        private @Nullable WalArchive walArchive;
        private @Nullable Path baseBackup;
        private @Nullable StoredBaseBackup storedBaseBackup;
        private @Nullable Path stateFile;
        private Clock clock = Clock.systemUTC();
        private @Nullable Instant targetTime;
        private @Nullable Duration rpoTarget;
        private @Nullable Duration archiveTimeout;
        private int primaryTimeline;
        private boolean checkBackupFiles = true;

        private Builder() {
        }

        /** The archive directory: segment files, {@code .history}, {@code .backup} and {@code .partial} files. Required. */
        public Builder archive(Path directory) {
            this.archive = Objects.requireNonNull(directory, "archive");
            this.walArchive = null;
            return this;
        }

        /**
         * drkit's own encrypted WAL store instead of a directory; it must have a
         * {@linkplain WalArchive.Builder#decryptionKey decryption key}. Each file is fetched and checked against what
         * was recorded at push, into a private temporary directory that is removed afterwards (memory stays bounded;
         * the directory needs as much disk as the archive's plaintext).
         */
        public Builder archive(WalArchive store) {
            this.walArchive = Objects.requireNonNull(store, "archive");
            this.archive = null;
            return this;
        }

        /**
         * The plain-format base backup ({@code pg_basebackup -Fp}) whose WAL the walk starts from. Without one the
         * walk starts at the oldest segment and no recovery target can be reachable.
         */
        public Builder baseBackup(Path directory) {
            this.baseBackup = Objects.requireNonNull(directory, "baseBackup");
            this.storedBaseBackup = null;
            return this;
        }

        /**
         * A base backup that drkit stored ({@code drkit pg backup --base-backup}, {@link PgLabels#KIND}
         * {@code basebackup}) instead of a directory: its tar is decrypted and read as a stream when {@link #verify()}
         * runs, nothing written to disk; {@code backup_label}, {@code backup_manifest} and {@code pg_control} come from
         * it, and every file is checked against the manifest (size, and the CRC-32C pg_basebackup records by
         * default). A backup of another kind is a {@link WalArchiveException}; a wrong key or a damaged backup the
         * engine's {@link dev.drkit.backup.BackupException}. Replaces a directory given before.
         *
         * @param engine the engine over the store that holds the backup (it may differ from the WAL store)
         * @param id     the backup's id
         * @param key    the key that opens it
         * @since 0.1
         */
        public Builder baseBackup(dev.drkit.backup.BackupEngine engine, String id, dev.drkit.backup.DecryptionKey key) {
            this.storedBaseBackup = new StoredBaseBackup(engine, id, key);
            this.baseBackup = null;
            return this;
        }

        /**
         * Where to keep the walk's position between runs, so the next run reads only new WAL. Written (to a temporary
         * file beside it, then renamed) after each run; if that fails, the report carries a warning and the run's
         * result stands.
         */
        public Builder stateFile(Path file) {
            this.stateFile = Objects.requireNonNull(file, "stateFile");
            return this;
        }

        /** The clock the RPO is measured against. Default: the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** A recovery target time to give a verdict on. */
        public Builder targetTime(Instant target) {
            this.targetTime = Objects.requireNonNull(target, "targetTime");
            return this;
        }

        /**
         * The RPO the archive must meet: a larger measured RPO is a fault.
         *
         * @throws IllegalArgumentException unless positive
         */
        public Builder rpoTarget(Duration rpo) {
            Objects.requireNonNull(rpo, "rpoTarget");
            if (rpo.isNegative() || rpo.isZero()) {
                throw new IllegalArgumentException("rpoTarget must be positive, but was " + rpo);
            }
            this.rpoTarget = rpo;
            return this;
        }

        /**
         * The server's {@code archive_timeout} (zero if off), to warn when it cannot meet the RPO target.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder archiveTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "archiveTimeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("archiveTimeout must not be negative, but was " + timeout);
            }
            this.archiveTimeout = timeout;
            return this;
        }

        /**
         * The primary's current timeline: any history file newer than it is a fault (a drill's or a stray
         * standby's timeline in the archive).
         *
         * @throws IllegalArgumentException unless positive
         */
        public Builder primaryTimeline(int timeline) {
            if (timeline <= 0) {
                throw new IllegalArgumentException("primaryTimeline must be positive, but was " + timeline);
            }
            this.primaryTimeline = timeline;
            return this;
        }

        /** Whether to check every base backup file against its manifest (default true). */
        public Builder checkBaseBackupFiles(boolean check) {
            this.checkBackupFiles = check;
            return this;
        }

        /**
         * @throws NullPointerException if neither an archive directory nor a WAL store was given
         */
        public WalArchiveVerifier build() {
            if (archive == null && walArchive == null) {
                throw new NullPointerException("archive directory or store is required");
            }
            return new WalArchiveVerifier(this);
        }
    }
}
