package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupIoException;
import dev.drkit.backup.postgres.wal.SegmentName;
import dev.drkit.core.DrkitException;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

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
 * <p>A file appears in the spool under its WAL name only once it is complete and checked: {@link WalArchive#fetch}
 * writes a temporary file beside it, verifies the size and SHA-256 recorded at push and the OpenPGP integrity code,
 * and renames it. A segment that cannot be fetched ahead (missing from the archive, damaged) is simply not spooled:
 * recovery asks for it in turn and {@code wal-fetch} reports it then. The spool holds decrypted WAL, as
 * {@code pg_wal} does: it is created 0700, belongs to the server's user, and one spool serves one server.
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

    private static final Logger log = LoggerFactory.getLogger(WalReadAhead.class);
    /** A temporary file {@link WalArchive#fetch} writes: {@code .NAME.drkit-RANDOM}. */
    private static final String TEMP_MARK = ".drkit-";
    private static final long MIN_SEGMENT = 1L << 20;
    private static final long MAX_SEGMENT = 1L << 30;

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
        } catch (IOException e) {
            throw new BackupIoException("WAL read-ahead spool " + dir + " cannot be used: " + e.getMessage(),
                Map.of("spool", dir.toString()), e);
        }
        return new WalReadAhead(dir);
    }

    /** The spool directory. */
    public Path directory() {
        return directory;
    }

    /**
     * The {@code restore_command} that answers from the spool in the shell and otherwise runs {@code walFetchCommand}:
     * <pre>
     * { test -f SPOOL/%f &amp;&amp; mv -f SPOOL/%f %p; } 2&gt;/dev/null || WAL_FETCH_COMMAND
     * </pre>
     * A file that is not spooled, or a move that fails, falls through to the fetch, which writes {@code %p} whole.
     *
     * @param spool           the spool directory
     * @param walFetchCommand the {@code drkit wal-fetch --spool SPOOL ... %f %p} command, as it would stand alone
     */
    public static String restoreCommand(Path spool, String walFetchCommand) {
        Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(walFetchCommand, "walFetchCommand");
        String file = WalSpool.percent(WalSpool.shellQuote(spool.toAbsolutePath().toString())) + "/%f";
        return "{ test -f " + file + " && mv -f " + file + " %p; } 2>/dev/null || " + walFetchCommand;
    }

    /**
     * Moves the spooled {@code walFileName} to {@code destination}, replacing what is there.
     *
     * @return whether the spool held it
     * @throws IllegalArgumentException if the name is not a WAL file name
     * @throws BackupIoException        if it is spooled but cannot be moved
     */
    public boolean take(String walFileName, Path destination) {
        checkName(walFileName);
        Objects.requireNonNull(destination, "destination");
        Path spooled = directory.resolve(walFileName);
        Path target = destination.toAbsolutePath();
        try {
            try {
                Files.move(spooled, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // another file system: copy beside the target, then rename there, so the target is never partial
                Path temp = target.resolveSibling("." + target.getFileName() + TEMP_MARK + "spool");
                Files.copy(spooled, temp, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Files.delete(spooled);
            }
            log.debug("WAL read-ahead spool {}: {} taken to {}", directory, walFileName, target);
            return true;
        } catch (NoSuchFileException e) {
            if (Files.exists(spooled, LinkOption.NOFOLLOW_LINKS)) {
                throw failure("cannot move " + walFileName + " to " + target, e);
            }
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
        Objects.requireNonNull(archive, "archive");
        checkName(walFileName);
        if (segmentBytes < MIN_SEGMENT || segmentBytes > MAX_SEGMENT || Long.bitCount(segmentBytes) != 1) {
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
                List<Future<Boolean>> results = new ArrayList<>();
                for (String name : batch) {
                    results.add(pool.submit(() -> fetchOne(archive, name)));
                }
                boolean ended = false;
                for (int i = 0; i < batch.size(); i++) {
                    if (await(results.get(i))) {
                        fetched.add(batch.get(i));
                    } else {
                        ended = true;
                    }
                }
                if (ended) {
                    break;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        if (!fetched.isEmpty()) {
            log.debug("WAL read-ahead spool {}: fetched {} segments after {}", directory, fetched.size(), walFileName);
        }
        return List.copyOf(fetched);
    }

    /** The WAL files in the spool, in ascending order. */
    public List<String> spooled() {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (WalArchive.isWalFileName(name)) {
                    names.add(name);
                }
            }
        } catch (IOException e) {
            throw failure("cannot be listed", e);
        }
        names.sort(null);
        return List.copyOf(names);
    }

    /** Whether the fetch ended well; false (after a log line for a failure) when the file is missing or failed. */
    private boolean fetchOne(WalArchive archive, String name) {
        try {
            archive.fetch(name, directory.resolve(name));
            return true;
        } catch (NoSuchWalFileException e) {
            return false;
        } catch (DrkitException | IllegalStateException e) {
            log.warn("WAL read-ahead spool {}: {} not fetched ahead ({}); it is fetched again when recovery asks"
                + " for it", directory, name, e.getMessage());
            return false;
        }
    }

    private static boolean await(Future<Boolean> result) {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            log.warn("WAL read-ahead: a fetch ahead failed: {}", e.getCause().toString());
            return false;
        }
    }

    /**
     * Removes spooled files at or before {@code asked} and temporary files older than a minute (a fetch killed
     * midway); returns the WAL files left.
     */
    private List<String> prune(String asked) {
        List<String> left = new ArrayList<>();
        long staleBefore = System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(1);
        for (Path entry : entries()) {
            String name = entry.getFileName().toString();
            try {
                if (WalArchive.isWalFileName(name)) {
                    if (name.compareTo(asked) <= 0) {
                        Files.deleteIfExists(entry);
                    } else {
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
