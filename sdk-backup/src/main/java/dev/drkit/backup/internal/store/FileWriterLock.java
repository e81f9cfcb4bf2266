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
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
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
 * The semaphores are keyed by the file's identity ({@link BasicFileAttributes#fileKey()}: device and inode), not
 * its path, so that two paths to one file (a hard link, a bind mount) share one. Whoever waits reads the holder's
 * record through its own descriptor, never by opening the file again. Other code of this process that might read
 * files must leave a lock file alone: {@link #isLockFile(Object)} tells it one (the archiver skips it).
 * Thread-safe. Internal: no compatibility guarantees.
 */
public final class FileWriterLock implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(50);
    /** By file key (device and inode), or by real path where the file system has none. */
    private static final Map<Object, JvmSlot> SLOTS = new ConcurrentHashMap<>();
    /**
     * The identities of the lock files this process has open now (from before the open to after the close). An
     * inode number is reused once its file is gone, so only an open file's identity says it is a lock file.
     */
    private static final Set<Object> OPEN = ConcurrentHashMap.newKeySet();
    /** Descriptors that could not be closed safely (see {@link #closeUnder}); kept reachable, never closed. */
    private static final Set<FileChannel> KEPT_OPEN = ConcurrentHashMap.newKeySet();

    private static final class JvmSlot {
        final Semaphore permit = new Semaphore(1);
        volatile @Nullable String holder;
    }

    private final JvmSlot slot;
    private final Object identity;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean released;

    private FileWriterLock(JvmSlot slot, Object identity, FileChannel channel, FileLock lock) {
        this.slot = slot;
        this.identity = identity;
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
        Object identity = identity(lockFile);
        JvmSlot slot = SLOTS.computeIfAbsent(identity, k -> new JvmSlot());
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
        OPEN.add(identity);
        try {
            channel = open(lockFile);
            Object opened = identity(lockFile);
            if (!identity.equals(opened)) {
                // replaced between the look-up and the open: this slot is not that file's
                closeUnder(opened, channel);
                channel = null;
                throw new FileSystemException(lockFile.toString(), null, "the writer lock file was replaced while it"
                    + " was being opened; try again");
            }
            FileLock lock;
            while ((lock = tryLock(channel)) == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw locked(location, backupId, lockFile, timeout, describeHolder(channel));
                }
                Thread.sleep(Math.max(1, Math.min(POLL.toMillis(), TimeUnit.NANOSECONDS.toMillis(left))));
            }
            String record = record(operation);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(record.getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            slot.holder = record;
            return new FileWriterLock(slot, identity, channel, lock);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(channel);
            OPEN.remove(identity);
            slot.permit.release();
            throw new InterruptedIOException("interrupted while waiting for the writer lock " + lockFile);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            OPEN.remove(identity);
            slot.permit.release();
            throw e;
        }
    }

    /**
     * Whether the file with this {@linkplain BasicFileAttributes#fileKey() key} is a writer lock file this process
     * has open, and so may hold now: reading it (opening and closing a descriptor of it) would drop the lock.
     */
    public static boolean isLockFile(@Nullable Object fileKey) {
        return fileKey != null && OPEN.contains(fileKey);
    }

    /**
     * The identity of the lock file, which is created (0600) if it is missing: its file key, or where the file system
     * has none its real path. Creating it opens and closes a descriptor of a new file, on which no lock of this
     * process can be; a file that exists is only looked at (stat), never opened.
     */
    private static Object identity(Path lockFile) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                Object key = Files.readAttributes(lockFile, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .fileKey();
                return key != null ? key : lockFile.toRealPath(LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                if (attempt > 0) {
                    throw e;
                }
                try {
                    Files.newByteChannel(lockFile, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        LocalFiles.privateFileModes(lockFile)).close();
                } catch (FileAlreadyExistsException raced) {
                    // created by another writer meanwhile
                }
            }
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
            OPEN.remove(identity);
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

    /** The holder's record, read through this writer's own descriptor: opening the file again could drop a lock. */
    private static String describeHolder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(1024);
            while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
                // read on: a record is a single short line
            }
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
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

    /**
     * Closes a descriptor of the file {@code identity}, which this thread's slot is not: only while holding that
     * file's slot, so that no lock another thread of this process holds on it is dropped; else it is kept open.
     */
    private static void closeUnder(Object identity, FileChannel channel) {
        JvmSlot other = SLOTS.computeIfAbsent(identity, k -> new JvmSlot());
        if (other.permit.tryAcquire()) {
            try {
                closeQuietly(channel);
            } finally {
                other.permit.release();
            }
        } else {
            KEPT_OPEN.add(channel);
        }
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
