package dev.drkit.backup.internal.store;

import dev.drkit.backup.store.StoreLockedException;
import dev.drkit.core.internal.Text;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A store's writer lock: an OS lock ({@link FileChannel#tryLock()}) on a lock file, which the OS releases when
 * the holding process dies, even by {@code kill -9}. The holder writes its pid, its start time and what it is
 * doing into the file, for the message of whoever waits.
 *
 * <p>POSIX record locks belong to a process, and closing any descriptor of the file drops all of that process's
 * locks on it. So within one JVM a semaphore per lock file admits one thread at a time, and only that thread ever
 * opens the lock file: no other descriptor of it is opened and closed in this process while the lock is held.
 * Thread-safe. Internal: no compatibility guarantees.
 */
public final class FileWriterLock implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(50);
    private static final Map<Path, JvmSlot> SLOTS = new ConcurrentHashMap<>();

    private static final class JvmSlot {
        final Semaphore permit = new Semaphore(1);
        volatile @Nullable String holder;
    }

    private final JvmSlot slot;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean released;

    private FileWriterLock(JvmSlot slot, FileChannel channel, FileLock lock) {
        this.slot = slot;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock on {@code lockFile}, polling until {@code timeout} has passed.
     *
     * @param location  the store's location, for the message
     * @param backupId  the backup the caller means to write or delete, for messages
     * @param operation what the caller does, recorded for whoever waits ("writing backup x")
     * @throws StoreLockedException if another writer, in this process or another, held it for the whole timeout
     */
    public static FileWriterLock acquire(Path lockFile, Duration timeout, String location, String backupId,
                                         String operation) throws IOException {
        Objects.requireNonNull(operation, "operation");
        long deadline = System.nanoTime() + timeout.toNanos();
        JvmSlot slot = SLOTS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new JvmSlot());
        try {
            if (!slot.permit.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                String holder = slot.holder;
                throw locked(location, backupId, lockFile, timeout,
                    holder == null ? "another thread of this process" : holder + " (this process)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the writer lock " + lockFile);
        }
        FileChannel channel = null;
        try {
            channel = open(lockFile);
            FileLock lock;
            while ((lock = tryLock(channel)) == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw locked(location, backupId, lockFile, timeout, describeHolder(lockFile));
                }
                Thread.sleep(Math.max(1, Math.min(POLL.toMillis(), TimeUnit.NANOSECONDS.toMillis(left))));
            }
            String record = record(operation);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(record.getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            slot.holder = record;
            return new FileWriterLock(slot, channel, lock);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(channel);
            slot.permit.release();
            throw new InterruptedIOException("interrupted while waiting for the writer lock " + lockFile);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            slot.permit.release();
            throw e;
        }
    }

    /**
     * Opens (or creates) the lock file, never through a symbolic link: the lock file is truncated and written, and
     * a link planted in a store directory others can write to would have a file elsewhere overwritten.
     */
    private static FileChannel open(Path lockFile) throws IOException {
        try {
            return FileChannel.open(lockFile, Set.<OpenOption>of(StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                LocalFiles.privateFileModes(lockFile));
        } catch (FileSystemException e) {
            if (Files.isSymbolicLink(lockFile)) {
                throw new FileSystemException(lockFile.toString(), null, "the writer lock file is a symbolic link;"
                    + " it is never written through one (remove the link)");
            }
            throw e;
        }
    }

    /** Releases the lock; idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (released) {
            return;
        }
        released = true;
        slot.holder = null;
        // try-with-resources: a failure to close the channel joins a failed release as suppressed, not replacing it
        try (channel) {
            lock.release();
        } finally {
            slot.permit.release();
        }
    }

    private static @Nullable FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // the semaphore makes this unreachable; treat it as held, to be safe
            return null;
        }
    }

    private static String record(String operation) {
        ProcessHandle self = ProcessHandle.current();
        String started = self.info().startInstant().map(i -> i.truncatedTo(ChronoUnit.SECONDS).toString())
            .orElse("unknown");
        return "pid " + self.pid() + " (started " + started + "), " + operation + " since "
            + Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    private static String describeHolder(Path lockFile) {
        try {
            // another process holds the lock: this process holds none, so opening the file here drops nothing
            String text = new String(Files.readAllBytes(lockFile), StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "a process that has not recorded itself yet" : Text.oneLine(text, 200);
        } catch (IOException e) {
            return "a process that could not be identified";
        }
    }

    private static StoreLockedException locked(String location, String backupId, Path lockFile, Duration timeout,
                                               String holder) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("store", location);
        context.put("backup", backupId);
        context.put("lock", lockFile.toString());
        context.put("holder", holder);
        return new StoreLockedException("Store " + location + ": could not take the writer lock " + lockFile
            + " for backup " + backupId + " within " + timeout.toMillis() + " ms; it is held by " + holder,
            context);
    }

    private static void closeQuietly(@Nullable FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already failing; the first failure is the report
            }
        }
    }
}
