package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupIoException;
import dev.drkit.backup.postgres.wal.SegmentName;
import dev.drkit.backup.postgres.wal.WalWalker;
import dev.drkit.core.DrkitException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A spool of WAL segments fetched ahead of recovery, so that {@code restore_command} can answer for them in the
 * shell without starting a JVM (what pgBackRest's asynchronous archive-get does with its spool).
 *
 * <p>Recovery asks for one WAL file per {@code restore_command} run, and then, in order, for the segments after it.
 * Each run of {@code drkit wal-fetch} starts a JVM (most of a second without a warm class-data archive), which over
 * hundreds of segments would dominate the time a restore takes. So a run that serves a segment also fetches up to
 * N segments after it on the same timeline into this directory; the {@linkplain #restoreCommand shell part} of the
 * next runs moves each one into place, and only the run after the spool is used up starts a JVM again.
 *
 * <p><b>What is trusted.</b> A segment appears in the spool under its WAL name only once it is complete and checked:
 * {@link WalArchive#fetch} writes a temporary file beside it, verifies the size and SHA-256 recorded at push and the
 * OpenPGP integrity code, and renames it. Beside it goes {@code NAME.record}, a copy of the store's record of the file
 * ({@value WalArchive#META_OBJECT}: its size and SHA-256). A spooled file is served only while the store still
 * holds that very record: the shell part compares the copy with the record in a directory store ({@code cmp}), and
 * {@link #take} does the same through the archive. So a file left in the spool by the restore of another cluster,
 * or from a store deleted and made again at the same place, is never served; it falls through to the fetch. With a
 * store that is not a directory (S3), the shell cannot read the record, so {@link #restoreCommand} has no shell part
 * and every file is served by a {@code wal-fetch} run, which takes it from the spool after the same check.
 *
 * <p><b>A host that restarted.</b> Spooled files are not forced to disk (that would cost each segment a write it
 * never needs: recovery moves it away and deletes it within seconds), so after a crash of the host a spooled name
 * may hold zeros or a part of its data. The spool therefore serves only files written since the host last started:
 * {@value #BOOT_MARK} in the spool holds the kernel's boot id ({@code /proc/sys/kernel/random/boot_id}) that its
 * files were written under, the shell part compares it with the running kernel's, and so does {@link #take}. The
 * first fetch ahead after a restart removes every file spooled before it and writes the new boot id. Where the boot
 * id cannot be read (not Linux), nothing is fetched ahead.
 *
 * <p>A segment that cannot be fetched ahead (missing from the archive, damaged) is simply not spooled: recovery
 * asks for it in turn and {@code wal-fetch} reports it then. Fetching ahead stops starting new fetches after
 * {@link #DEFAULT_TIME_LIMIT} (recovery waits for the run meanwhile) and when the spool's file system would keep less
 * than {@link #MIN_FREE_BYTES} free. The spool holds decrypted WAL, as {@code pg_wal} does: it must be a directory
 * of the JVM's user, closed to others (created 0700); one spool serves one server.
 *
 * <p>Files do not pile up: fetching ahead first removes spooled files that sort at or before the one recovery asked
 * for (recovery does not go back) and leftovers of fetches that were killed, so the spool holds at most N segments.
 * Thread-safe.
 *
 * @since 0.1
 */
public final class WalReadAhead {

    /** Segments fetched ahead per run unless told otherwise: 16 (256 MiB of 16 MiB segments). */
    public static final int DEFAULT_SEGMENTS = 16;
    /** The most segments one run may fetch ahead. */
    public static final int MAX_SEGMENTS = 1024;
    /** After this, fetching ahead starts nothing new and waits for what runs: 30 s. */
    public static final Duration DEFAULT_TIME_LIMIT = Duration.ofSeconds(30);
    /** Fetching ahead stops before the spool's file system would keep less than this free: 1 GiB. */
    public static final long MIN_FREE_BYTES = 1L << 30;
    /** The suffix of a spooled file's copy of the store's record: {@code NAME.record}. */
    public static final String RECORD_SUFFIX = ".record";

    /** The file in the spool that holds the boot id its files were written under. */
    static final String BOOT_MARK = ".boot";
    /** The running kernel's boot id: a new random value at each start of the host. */
    static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    private static final Logger log = LoggerFactory.getLogger(WalReadAhead.class);
    /** A temporary file {@link WalArchive#fetch} writes: {@code .NAME.drkit-RANDOM}. */
    private static final String TEMP_MARK = ".drkit-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path directory;

    private WalReadAhead(Path directory) {
        this.directory = directory;
    }

    /**
     * Opens the spool in {@code directory}, creating it (mode 0700) if it does not exist.
     *
     * @throws BackupIoException if it cannot be created, or is not a directory (a link to one is refused)
     */
    public static WalReadAhead open(Path directory) {
        Objects.requireNonNull(directory, "directory");
        Path dir = directory.toAbsolutePath();
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            } else if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("not a directory");
            }
            // whoever else may write here could plant a file the shell part would hand to recovery
            PosixFileAttributes attributes = Files.readAttributes(dir, PosixFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
            UserPrincipal me = ownerOfNewFiles(dir);
            if (!attributes.owner().equals(me)) {
                throw new IOException("it belongs to " + attributes.owner().getName() + ", not to "
                    + me.getName());
            }
            if (attributes.permissions().contains(PosixFilePermission.GROUP_WRITE)
                || attributes.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new IOException("others may write into it (mode "
                    + PosixFilePermissions.toString(attributes.permissions()) + ")");
            }
        } catch (IOException e) {
            throw new BackupIoException("WAL read-ahead spool " + dir + " cannot be used: " + e.getMessage(),
                Map.of("spool", dir.toString()), e);
        }
        return new WalReadAhead(dir);
    }

    /** Who owns what this process creates in {@code dir} (no user name lookup, which may fail in a container). */
    private static UserPrincipal ownerOfNewFiles(Path dir) throws IOException {
        Path probe = Files.createTempFile(dir, ".owner", TEMP_MARK + "probe");
        try {
            return Files.getOwner(probe, LinkOption.NOFOLLOW_LINKS);
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /** The spool directory. */
    public Path directory() {
        return directory;
    }

    /**
     * The {@code restore_command} that answers from the spool in the shell and otherwise runs {@code walFetchCommand}:
     * <pre>
     * { test -f SPOOL/%f &amp;&amp; test ! -h SPOOL/%f &amp;&amp; cmp -s SPOOL/%f.record STORE/%f/wal.json
     *     &amp;&amp; read -r drkit_boot &lt; /proc/sys/kernel/random/boot_id &amp;&amp; read -r drkit_spool_boot &lt; SPOOL/.boot
     *     &amp;&amp; test "$drkit_boot" = "$drkit_spool_boot"
     *     &amp;&amp; mv -f SPOOL/%f %p &amp;&amp; rm -f SPOOL/%f.record; } 2&gt;/dev/null || WAL_FETCH_COMMAND
     * </pre>
     * (on one line). A file that is not spooled, whose record is not the store's, that was spooled before the host
     * last started, or that cannot be moved falls through to the fetch, which writes {@code %p} whole. Without a directory store there is no shell part: the
     * command is {@code walFetchCommand} itself, which takes spooled files after the same check.
     *
     * @param spool           the spool directory
     * @param fileStore       the root of a directory store ({@code FileSystemStore}) whose records the shell part
     *                        compares; {@code null} for other stores
     * @param walFetchCommand the {@code drkit wal-fetch --spool SPOOL ... %f %p} command, as it would stand alone
     */
    public static String restoreCommand(Path spool, @Nullable Path fileStore, String walFetchCommand) {
        Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(walFetchCommand, "walFetchCommand");
        if (fileStore == null) {
            return walFetchCommand;
        }
        String directory = WalSpool.percent(WalSpool.shellQuote(spool.toAbsolutePath().toString()));
        String file = directory + "/%f";
        String record = WalSpool.percent(WalSpool.shellQuote(fileStore.toAbsolutePath().toString())) + "/%f/"
            + WalArchive.META_OBJECT;
        return "{ test -f " + file + " && test ! -h " + file + " && cmp -s " + file + RECORD_SUFFIX + " " + record
            // read and test, not cmp: a /proc file reports size 0, which cmp takes for a difference
            + " && read -r drkit_boot < " + BOOT_ID + " && read -r drkit_spool_boot < " + directory + "/" + BOOT_MARK
            + " && test \"$drkit_boot\" = \"$drkit_spool_boot\" && mv -f " + file + " %p && rm -f " + file
            + RECORD_SUFFIX + "; } 2>/dev/null || " + walFetchCommand;
    }

    /**
     * Moves the spooled {@code walFileName} to {@code destination}, replacing what is there, if the spool holds it
     * and {@code archive} still holds the record it was fetched with, and it was spooled since the host last started.
     * A spooled file whose record is no longer the archive's, or that was spooled before the host restarted, is
     * removed.
     *
     * @return whether the spool held it and it was moved
     * @throws IllegalArgumentException if the name is not a WAL file name
     * @throws BackupIoException        if the archive's record cannot be read, or the file cannot be moved
     */
    public boolean take(WalArchive archive, String walFileName, Path destination) {
        Objects.requireNonNull(archive, "archive");
        checkName(walFileName);
        Objects.requireNonNull(destination, "destination");
        Path spooled = directory.resolve(walFileName);
        Path target = destination.toAbsolutePath();
        try {
            if (!Files.isRegularFile(spooled, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            if (!spooledSinceThisBoot()) {
                log.info("WAL read-ahead spool {}: {} was spooled before the host restarted (it may not have reached"
                    + " the disk whole); removed", directory, walFileName);
                remove(walFileName);
                return false;
            }
            Optional<byte[]> record = archive.recordBytes(walFileName);
            byte[] copy = readIfPresent(directory.resolve(walFileName + RECORD_SUFFIX));
            if (record.isEmpty() || copy == null || !Arrays.equals(record.get(), copy)) {
                log.info("WAL read-ahead spool {}: {} was fetched from another record than the store holds now;"
                    + " removed", directory, walFileName);
                remove(walFileName);
                return false;
            }
            try {
                Files.move(spooled, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // another file system: copy beside the target, then rename there, so the target is never partial
                // a name the next fetch to this target removes, should this copy be killed midway
                Path temp = WalArchive.temporaryFile(target);
                try {
                    Files.copy(spooled, temp, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    // a copy whose rename failed must not stay beside the target, taking a segment's room (the
                    // JDK's copy removes one cut short itself)
                    Files.deleteIfExists(temp);
                }
                Files.delete(spooled);
            }
            Files.deleteIfExists(directory.resolve(walFileName + RECORD_SUFFIX));
            log.debug("WAL read-ahead spool {}: {} taken to {}", directory, walFileName, target);
            return true;
        } catch (NoSuchFileException e) {
            // taken meanwhile by the shell part of a concurrent run
            return false;
        } catch (IOException e) {
            throw failure("cannot move " + walFileName + " to " + target, e);
        }
    }

    /**
     * Fetches into the spool up to {@code count} segments that follow {@code walFileName} on its timeline, skipping
     * those already spooled, {@code threads} at a time in order, and stops after the first the archive does not
     * have. First removes spooled files that sort at or before {@code walFileName}. Nothing happens for a file that
     * is not a whole segment ({@code .history}, {@code .partial}, {@code .backup}). A segment that fails to fetch is
     * logged and left out, never thrown: recovery asks for it later and its own fetch reports it.
     *
     * @param archive      the archive, with its decryption key
     * @param walFileName  the file recovery asked for
     * @param segmentBytes the cluster's WAL segment size (the size of a segment file: a power of two from 1 MiB
     *                     to 1 GiB)
     * @param count        how many segments at most, 0 to {@value #MAX_SEGMENTS}
     * @param threads      how many fetches at once, 1 to 64
     * @return the names fetched into the spool by this call, in order
     * @throws IllegalArgumentException if an argument is out of range
     * @throws BackupIoException        if the spool cannot be listed
     */
    public List<String> fetchAhead(WalArchive archive, String walFileName, long segmentBytes, int count,
                                   int threads) {
        return fetchAhead(archive, walFileName, segmentBytes, count, threads, DEFAULT_TIME_LIMIT);
    }

    /**
     * {@link #fetchAhead(WalArchive, String, long, int, int)} that starts no new fetch after {@code timeLimit} and
     * then waits at most what is left of it for those that run; one still running then is interrupted and leaves
     * nothing in the spool.
     */
    public List<String> fetchAhead(WalArchive archive, String walFileName, long segmentBytes, int count,
                                   int threads, Duration timeLimit) {
        Objects.requireNonNull(archive, "archive");
        Objects.requireNonNull(timeLimit, "timeLimit");
        long deadline = System.nanoTime() + timeLimit.toNanos();
        checkName(walFileName);
        if (!isSegmentSize(segmentBytes)) {
            throw new IllegalArgumentException("segmentBytes must be a power of two from 1 MiB to 1 GiB, but was "
                + segmentBytes);
        }
        if (count < 0 || count > MAX_SEGMENTS) {
            throw new IllegalArgumentException("count must be between 0 and " + MAX_SEGMENTS + ", but was " + count);
        }
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("threads must be between 1 and 64, but was " + threads);
        }
        Optional<SegmentName.Segment> asked = SegmentName.parseSegment(walFileName, segmentBytes);
        if (asked.isEmpty() || asked.get().partial()) {
            return List.of();
        }
        if (!markThisBoot()) {
            return List.of();
        }
        List<String> present = prune(walFileName);
        List<String> wanted = new ArrayList<>();
        for (long segno = asked.get().segno() + 1; segno <= asked.get().segno() + count; segno++) {
            String name = SegmentName.of(asked.get().timeline(), segno, segmentBytes);
            if (!present.contains(name)) {
                wanted.add(name);
            }
        }
        if (wanted.isEmpty()) {
            return List.of();
        }
        List<String> fetched = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, wanted.size()), r -> {
            Thread thread = new Thread(r, "drkit-wal-read-ahead");
            thread.setDaemon(true);
            return thread;
        });
        try {
            for (int from = 0; from < wanted.size(); from += threads) {
                List<String> batch = wanted.subList(from, Math.min(wanted.size(), from + threads));
                if (System.nanoTime() - deadline >= 0) {
                    log.info("WAL read-ahead spool {}: time limit reached; {} segments not fetched ahead", directory,
                        wanted.size() - from);
                    break;
                }
                long free = Files.getFileStore(directory).getUsableSpace();
                if (free - (long) batch.size() * segmentBytes < MIN_FREE_BYTES) {
                    log.warn("WAL read-ahead spool {}: {} bytes free; fetching ahead stops to keep {} free", directory,
                        free, MIN_FREE_BYTES);
                    break;
                }
                List<Future<Boolean>> results = new ArrayList<>();
                for (String name : batch) {
                    results.add(pool.submit(() -> fetchOne(archive, name)));
                }
                boolean ended = false;
                for (int i = 0; i < batch.size(); i++) {
                    if (await(results.get(i), deadline)) {
                        fetched.add(batch.get(i));
                    } else {
                        ended = true;
                    }
                }
                if (ended) {
                    break;
                }
            }
        } catch (IOException e) {
            throw failure("cannot tell the free space", e);
        } finally {
            pool.shutdownNow();
        }
        if (!fetched.isEmpty()) {
            log.debug("WAL read-ahead spool {}: fetched {} segments after {}", directory, fetched.size(), walFileName);
        }
        return List.copyOf(fetched);
    }

    /** Whether {@code bytes} is a WAL segment size PostgreSQL allows: a power of two from 1 MiB to 1 GiB. */
    public static boolean isSegmentSize(long bytes) {
        return WalWalker.isValidSegmentSize(bytes);
    }

    /** The WAL files in the spool, in ascending order. */
    public List<String> spooled() {
        List<String> names = new ArrayList<>();
        for (Path entry : entries()) {
            String name = entry.getFileName().toString();
            if (WalArchive.isWalFileName(name)) {
                names.add(name);
            }
        }
        names.sort(null);
        return List.copyOf(names);
    }

    /** Whether the fetch ended well; false (after a log line for a failure) when the file is missing or failed. */
    private boolean fetchOne(WalArchive archive, String name) {
        try {
            Optional<byte[]> before = archive.recordBytes(name);
            if (before.isEmpty()) {
                return false;
            }
            // the record's copy first: a file without one is never served
            Path record = directory.resolve(name + RECORD_SUFFIX);
            WalSpool.replaceAtomically(record, directory.resolve("." + name + RECORD_SUFFIX + TEMP_MARK
                + Long.toHexString(RANDOM.nextLong())), before.get());
            archive.fetch(name, directory.resolve(name));
            Optional<byte[]> after = archive.recordBytes(name);
            if (after.isEmpty() || !Arrays.equals(before.get(), after.get())) {
                remove(name);
                log.warn("WAL read-ahead spool {}: the store's record of {} changed while it was fetched ahead;"
                    + " not spooled", directory, name);
                return false;
            }
            return true;
        } catch (IOException e) {
            remove(name);
            log.warn("WAL read-ahead spool {}: {} not fetched ahead ({}); it is fetched again when recovery asks"
                + " for it", directory, name, e.getMessage());
            return false;
        } catch (NoSuchWalFileException e) {
            remove(name);
            return false;
        } catch (DrkitException | IllegalStateException e) {
            remove(name);
            log.warn("WAL read-ahead spool {}: {} not fetched ahead ({}); it is fetched again when recovery asks"
                + " for it", directory, name, e.getMessage());
            return false;
        }
    }

    private boolean await(Future<Boolean> result, long deadline) {
        try {
            return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (TimeoutException e) {
            result.cancel(true);
            log.info("WAL read-ahead spool {}: time limit reached while fetching ahead", directory);
            return false;
        } catch (ExecutionException e) {
            log.warn("WAL read-ahead spool {}: a fetch ahead failed: {}", directory, e.getCause().toString());
            return false;
        }
    }

    /** Removes a spooled file and its record's copy, quietly: what is left is never served without both. */
    private void remove(String name) {
        for (Path path : List.of(directory.resolve(name), directory.resolve(name + RECORD_SUFFIX))) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                log.warn("WAL read-ahead spool {}: cannot remove {}: {}", directory, path.getFileName(),
                    e.getMessage());
            }
        }
    }

    /** Whether the spool's files were written since the host last started; false where that cannot be told. */
    private boolean spooledSinceThisBoot() throws IOException {
        byte[] boot = currentBootId();
        return boot != null && Arrays.equals(boot, readIfPresent(directory.resolve(BOOT_MARK)));
    }

    /**
     * Makes the spool this boot's: when its files were written under another boot id (or none), removes every
     * spooled file and then records the running kernel's. False (after a log line) when the spool cannot be used for
     * this boot: the boot id cannot be read, or a file from before cannot be removed.
     */
    private boolean markThisBoot() {
        try {
            byte[] boot = currentBootId();
            if (boot == null) {
                log.info("WAL read-ahead spool {}: {} cannot be read, so files spooled before a crash of the host could"
                    + " not be told apart; nothing is fetched ahead", directory, BOOT_ID);
                return false;
            }
            if (Arrays.equals(boot, readIfPresent(directory.resolve(BOOT_MARK)))) {
                return true;
            }
            for (Path entry : entries()) {
                if (WalArchive.isWalFileName(walNameOf(entry.getFileName().toString()))) {
                    Files.deleteIfExists(entry);
                }
            }
            WalSpool.replaceAtomically(directory.resolve(BOOT_MARK), directory.resolve(BOOT_MARK + TEMP_MARK
                + Long.toHexString(RANDOM.nextLong())), boot);
            return true;
        } catch (IOException e) {
            log.warn("WAL read-ahead spool {}: cannot remove the files spooled before the host restarted, or record"
                + " this boot: {}; nothing is fetched ahead", directory, e.getMessage());
            return false;
        }
    }

    /** The running kernel's boot id, or null where there is none to read. */
    private static byte @Nullable [] currentBootId() {
        try {
            byte[] boot = Files.readAllBytes(BOOT_ID);
            return boot.length > 0 ? boot : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static byte @Nullable [] readIfPresent(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The WAL file a spooled file is, or the record of: {@code NAME} for {@code NAME.record}. */
    private static String walNameOf(String spooledName) {
        return spooledName.endsWith(RECORD_SUFFIX)
            ? spooledName.substring(0, spooledName.length() - RECORD_SUFFIX.length()) : spooledName;
    }

    /**
     * Removes spooled files at or before {@code asked}, of another timeline (recovery moves to newer timelines only,
     * and fetches ahead on the one asked for, so a file of a newer timeline was left by an earlier recovery and would
     * stay for ever), and temporary files older than a minute (a fetch killed midway); returns the WAL files left.
     */
    private List<String> prune(String asked) {
        List<String> left = new ArrayList<>();
        long staleBefore = System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(1);
        String timeline = asked.substring(0, 8);
        for (Path entry : entries()) {
            String name = entry.getFileName().toString();
            try {
                String walName = walNameOf(name);
                if (WalArchive.isWalFileName(walName)) {
                    if (walName.compareTo(asked) <= 0 || !walName.startsWith(timeline)) {
                        Files.deleteIfExists(entry);
                    } else if (walName.equals(name)) {
                        left.add(name);
                    }
                } else if (name.startsWith(".") && name.contains(TEMP_MARK)
                    && Files.getLastModifiedTime(entry, LinkOption.NOFOLLOW_LINKS).toMillis() < staleBefore) {
                    Files.deleteIfExists(entry);
                }
            } catch (IOException e) {
                log.warn("WAL read-ahead spool {}: cannot remove {}: {}", directory, name, e.getMessage());
            }
        }
        return left;
    }

    private List<Path> entries() {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            stream.forEach(entries::add);
        } catch (IOException e) {
            throw failure("cannot be listed", e);
        }
        return entries;
    }

    private BackupIoException failure(String what, IOException e) {
        return new BackupIoException("WAL read-ahead spool " + directory + ": " + what + ": " + e.getMessage(),
            Map.of("spool", directory.toString()), e);
    }

    private static void checkName(String walFileName) {
        Objects.requireNonNull(walFileName, "walFileName");
        if (!WalArchive.isWalFileName(walFileName)) {
            throw new IllegalArgumentException("not a WAL file name (a segment, .partial, .history or .backup file)");
        }
    }
}
