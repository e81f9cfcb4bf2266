package dev.drkit.backup.store;

import dev.drkit.backup.internal.store.DurableFileOutputStream;
import dev.drkit.backup.internal.store.FileWriterLock;
import dev.drkit.backup.internal.store.LocalFiles;
import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.Text;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A {@link BackupStore} in a local directory: {@code <root>/<backupId>/<object>}.
 *
 * <p>A backup is written into {@code <root>/.tmp-<backupId>-<random>/}; each object is forced to disk (fsync)
 * when its stream is closed; {@link PendingBackup#commit()} then forces the directory, renames it to
 * {@code <root>/<backupId>} in one atomic step and forces the root. A backup is therefore either complete and
 * listed, or not listed at all, whatever the moment a crash or {@code kill -9} hits. A commit is refused while an
 * object failed to be written (its create, a write or the fsync at its close threw). Files are created 0600 and
 * directories 0700 (with those modes from the start, on file systems with POSIX modes).
 *
 * <p>The writer lock is an OS lock on {@code <root>/.lock}, which the OS releases when the holder dies, even by
 * {@code kill -9}; the holder records its pid and start time there, and a writer that waited for longer than the
 * lock timeout gets a {@link StoreLockedException} naming it. Under the lock, {@link #begin} removes what
 * interrupted writers left: {@code .tmp-*} and {@code .deleting-*} directories made by this store.
 * {@link #delete} first renames the backup to {@code .deleting-<backupId>-<random>} (so it disappears at once)
 * and then removes it, without following symbolic links out of the store.
 *
 * <p>Entries that are not drkit's (a {@code notes.txt}, {@code lost+found}, a directory without objects) are
 * ignored by {@link #list()} and never deleted. Instances are thread-safe; writers in one process and in
 * several processes exclude each other alike.
 *
 * <p>{@linkplain #openReadOnly(Path) Opened read-only}, a store writes nothing at all into its directory (not even
 * the lock file), so a read-only mount of a backup, or a directory this process may read but not write, can be
 * listed and read; {@link #begin} and {@link #delete} are then refused.
 *
 * <pre>{@code
 * try (BackupStore store = FileSystemStore.builder(Path.of("/var/backups/vault"))
 *         .lockTimeout(Duration.ofMinutes(1))
 *         .build()) {
 *     List<String> ids = store.list();
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class FileSystemStore implements BackupStore {

    /** The default for {@link Builder#lockTimeout(Duration)}: 30 seconds. */
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(FileSystemStore.class);

    static final String LOCK_FILE = ".lock";
    private static final String TMP_PREFIX = ".tmp-";
    private static final String DELETING_PREFIX = ".deleting-";
    private static final Pattern LEFTOVER = Pattern.compile(
        "\\.(tmp|deleting)-[A-Za-z0-9][A-Za-z0-9._-]{0,127}-[0-9a-f]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;
    private final Duration lockTimeout;
    private final boolean readOnly;
    private final String location;
    private final Set<String> reportedForeign = ConcurrentHashMap.newKeySet();
    private final Set<String> reportedUnreadable = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private FileSystemStore(Builder builder, Path root) {
        this.root = root;
        this.lockTimeout = builder.lockTimeout;
        this.readOnly = builder.readOnly;
        this.location = root.toString();
    }

    /**
     * Opens the store in {@code root} with the default settings, creating the directory (0700) if it is missing.
     *
     * @throws StoreUnavailableException if {@code root} is not a directory, cannot be created or is not writable
     */
    public static FileSystemStore open(Path root) {
        return builder(root).build();
    }

    /**
     * Opens the store in {@code root} for reading only: {@link #list}, {@link #objects}, {@link #size} and
     * {@link #open} work, nothing is created or written in the directory, and {@link #begin} and {@link #delete}
     * throw {@link StoreUnavailableException}. For a read-only mount, or a directory this process cannot write.
     *
     * @throws StoreUnavailableException if {@code root} does not exist, is not a directory or cannot be read
     * @since 0.1
     */
    public static FileSystemStore openReadOnly(Path root) {
        return builder(root).readOnly(true).build();
    }

    /** A builder for a store in {@code root}. */
    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** The store's directory, as a real path (symbolic links resolved). */
    public Path root() {
        return root;
    }

    /** How long {@link #begin} and {@link #delete} wait for the writer lock. */
    public Duration lockTimeout() {
        return lockTimeout;
    }

    /** Whether the store was opened for reading only ({@link #openReadOnly}). */
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public List<String> list() throws IOException {
        ensureOpen();
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                boolean backup;
                try {
                    backup = isBackupDirectory(entry);
                } catch (IOException e) {
                    // one directory that cannot be read (its mode, EIO) must not hide every other backup
                    reportUnreadable(name, e);
                    continue;
                }
                if (backup) {
                    ids.add(name);
                } else if (!name.equals(LOCK_FILE) && !LEFTOVER.matcher(name).matches()) {
                    reportForeign(name);
                }
            }
        }
        ids.sort(null);
        return List.copyOf(ids);
    }

    @Override
    public List<String> objects(String backupId) throws IOException {
        ensureOpen();
        StoreNames.check(backupId, "backup id");
        List<String> names = objectNames(root.resolve(backupId));
        if (names.isEmpty()) {
            throw noSuchBackup(backupId);
        }
        return names;
    }

    /** Stops at the first backup found, instead of listing them all. */
    @Override
    public boolean isEmpty() throws IOException {
        ensureOpen();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                try {
                    if (isBackupDirectory(entry)) {
                        return false;
                    }
                } catch (IOException e) {
                    // as list() does: a directory that cannot be read is not counted
                    reportUnreadable(entry.getFileName().toString(), e);
                }
            }
        }
        return true;
    }

    /** Forces the backup's objects, its directory and the root (its entry there) to disk. */
    @Override
    public void forceToDisk(String backupId) throws IOException {
        ensureOpen();
        StoreNames.check(backupId, "backup id");
        Path directory = root.resolve(backupId);
        List<String> names = objectNames(directory);
        if (names.isEmpty()) {
            throw noSuchBackup(backupId);
        }
        for (String name : names) {
            // read-only suffices for fsync on Linux, and a read-only store may hold files it cannot write
            try (FileChannel channel = FileChannel.open(directory.resolve(name), StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS)) {
                channel.force(true);
            }
        }
        LocalFiles.fsyncDirectory(directory);
        LocalFiles.fsyncDirectory(root);
    }

    @Override
    public long size(String backupId, String objectName) throws IOException {
        return objectAttributes(backupId, objectName).size();
    }

    @Override
    public InputStream open(String backupId, String objectName) throws IOException {
        objectAttributes(backupId, objectName);
        try {
            return Files.newInputStream(root.resolve(backupId).resolve(objectName), LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw noSuchObject(backupId, objectName);
        }
    }

    @Override
    public PendingBackup begin(String backupId) throws IOException {
        ensureOpen();
        StoreNames.check(backupId, "backup id");
        ensureWritable("write backup " + backupId);
        FileWriterLock lock = lock(backupId, "writing backup " + backupId);
        try {
            removeLeftovers();
            if (Files.exists(root.resolve(backupId), LinkOption.NOFOLLOW_LINKS)) {
                throw alreadyExists(backupId);
            }
            Path staging = root.resolve(TMP_PREFIX + backupId + "-" + randomSuffix());
            LocalFiles.createPrivateDirectory(staging);
            return new Pending(backupId, staging, lock);
        } catch (IOException | RuntimeException | Error e) {
            closeAfter(lock, e);
            throw e;
        }
    }

    @Override
    public long delete(String backupId) throws IOException {
        ensureOpen();
        StoreNames.check(backupId, "backup id");
        ensureWritable("delete backup " + backupId);
        try (FileWriterLock ignored = lock(backupId, "deleting backup " + backupId)) {
            Path dir = root.resolve(backupId);
            if (!isBackupDirectory(dir)) {
                throw noSuchBackup(backupId);
            }
            Path doomed = root.resolve(DELETING_PREFIX + backupId + "-" + randomSuffix());
            // the rename is the moment the backup disappears; a crash after it leaves a .deleting-* directory,
            // which the next writer removes
            Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
            LocalFiles.fsyncDirectory(root);
            long freed = LocalFiles.deleteTree(doomed);
            LocalFiles.fsyncDirectory(root);
            log.info("File store {}: deleted backup {}, {} bytes freed", location, backupId, freed);
            return freed;
        }
    }

    /** Marks the store closed; pending backups already begun can still be committed or closed. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "FileSystemStore[" + location + "]";
    }

    private FileWriterLock lock(String backupId, String operation) throws IOException {
        return FileWriterLock.acquire(root.resolve(LOCK_FILE), lockTimeout, location, backupId, operation);
    }

    /** Removes what interrupted writers and deletions left. Called only under the writer lock. */
    private void removeLeftovers() throws IOException {
        List<Path> leftovers = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root,
            entry -> LEFTOVER.matcher(entry.getFileName().toString()).matches())) {
            entries.forEach(leftovers::add);
        }
        for (Path leftover : leftovers) {
            if (Files.isDirectory(leftover, LinkOption.NOFOLLOW_LINKS)) {
                // at best effort: a leftover that cannot be removed (an immutable file, a mount point, EIO) is
                // never listed, and must not stop every later writer
                try {
                    long bytes = LocalFiles.deleteTree(leftover);
                    log.info("File store {}: removed {} left by an interrupted writer ({} bytes)", location,
                        leftover.getFileName(), bytes);
                } catch (IOException e) {
                    log.warn("File store {}: could not remove {} left by an interrupted writer ({}); it is never"
                        + " listed, and the next writer tries again", location, leftover.getFileName(), e.toString());
                }
            }
        }
        if (!leftovers.isEmpty()) {
            LocalFiles.fsyncDirectory(root);
        }
    }

    /** A directory (not a link) with a valid id for a name and at least one object. */
    private boolean isBackupDirectory(Path dir) throws IOException {
        return StoreNames.isValid(dir.getFileName().toString()) && !objectNames(dir).isEmpty();
    }

    /** The valid names of the regular files (not links) in {@code dir}, sorted; empty if it is not a directory. */
    private List<String> objectNames(Path dir) throws IOException {
        if (!isDirectory(dir)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (StoreNames.isValid(name) && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    names.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            // deleted while we looked: not a backup any more
            return List.of();
        }
        names.sort(null);
        return names;
    }

    private BasicFileAttributes objectAttributes(String backupId, String objectName) throws IOException {
        ensureOpen();
        StoreNames.check(backupId, "backup id");
        StoreNames.check(objectName, "object name");
        Path dir = root.resolve(backupId);
        if (!isDirectory(dir)) {
            throw noSuchBackup(backupId);
        }
        try {
            BasicFileAttributes attributes = Files.readAttributes(dir.resolve(objectName), BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile()) {
                throw noSuchObject(backupId, objectName);
            }
            return attributes;
        } catch (NoSuchFileException e) {
            throw noSuchObject(backupId, objectName);
        }
    }

    /**
     * Whether {@code dir} is a directory (not a link to one); false only when nothing is there. Any other failure
     * (EIO, ESTALE on NFS, EACCES) is thrown: {@code Files.isDirectory} would answer false, and a backup or WAL
     * file that could not be read would read as one that does not exist (for {@code wal-fetch}, exit 4, which ends a
     * recovery early).
     */
    private static boolean isDirectory(Path dir) throws IOException {
        try {
            return Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isDirectory();
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /**
     * Logs a directory that could not be read while listing: at WARN the first time, then at DEBUG. It is not
     * listed (whether it holds a backup cannot be told); {@link #objects}, {@link #size} and {@link #open} of its id
     * still throw the read failure, never "no such backup".
     */
    private void reportUnreadable(String name, IOException e) {
        String shown = Text.oneLine(name, 100);
        if (reportedUnreadable.add(name)) {
            log.warn("File store {}: could not read {}, which is not listed: {}", location, shown, e.toString());
        } else {
            log.debug("File store {}: could not read {}, which is not listed: {}", location, shown, e.toString());
        }
    }

    private void reportForeign(String name) {
        String shown = Text.oneLine(name, 100);
        if (reportedForeign.add(name)) {
            log.info("File store {}: ignoring {}, which is not a drkit backup; it is left alone", location, shown);
        } else {
            log.debug("File store {}: ignoring {}, which is not a drkit backup", location, shown);
        }
    }

    private void ensureOpen() {
        Checks.state(!closed, "File store %s is closed", location);
    }

    private void ensureWritable(String operation) {
        if (readOnly) {
            throw new StoreUnavailableException("File store " + location + " was opened read-only: cannot "
                + operation, Map.of("store", location), null);
        }
    }

    private static String randomSuffix() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private Map<String, String> context(String backupId) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("store", location);
        context.put("backup", backupId);
        return context;
    }

    private NoSuchBackupException noSuchBackup(String backupId) {
        return new NoSuchBackupException("File store " + location + ": no complete backup " + backupId,
            context(backupId));
    }

    private NoSuchBackupException noSuchObject(String backupId, String objectName) {
        Map<String, String> context = context(backupId);
        context.put("object", objectName);
        return new NoSuchBackupException("File store " + location + ": backup " + backupId + " has no object "
            + objectName, context);
    }

    private BackupAlreadyExistsException alreadyExists(String backupId) {
        return new BackupAlreadyExistsException("File store " + location + ": backup " + backupId
            + " already exists (or something else has that name)", context(backupId));
    }

    /** Releases the lock after {@code failure}; a failure to release joins it as suppressed, never replaces it. */
    private static void closeAfter(FileWriterLock lock, Throwable failure) {
        try {
            lock.close();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** Removes a staging directory after {@code failure}, which a failure to remove joins as suppressed. */
    private static void deleteAfter(Path staging, Throwable failure) {
        try {
            LocalFiles.deleteTree(staging);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** A backup being written into its staging directory, under the writer lock. */
    private final class Pending implements PendingBackup {

        private final String backupId;
        private final Path staging;
        private final FileWriterLock lock;
        private final Set<String> created = new LinkedHashSet<>();
        /** The objects whose every write and whose close (fsync) succeeded: the only ones a commit may publish. */
        private final Set<String> complete = new HashSet<>();
        /** Why an object failed: its create, a write or its close threw. */
        private final Map<String, Throwable> failed = new HashMap<>();
        private @Nullable OutputStream openStream;
        private boolean finished;

        Pending(String backupId, Path staging, FileWriterLock lock) {
            this.backupId = backupId;
            this.staging = staging;
            this.lock = lock;
        }

        @Override
        public String backupId() {
            return backupId;
        }

        @Override
        public OutputStream create(String objectName) throws IOException {
            StoreNames.check(objectName, "object name");
            Checks.state(!finished, "Backup %s was already committed or closed", backupId);
            Checks.state(openStream == null, "Backup %s: close the stream of the previous object first", backupId);
            Checks.argument(!created.contains(objectName), "Backup %s already has an object named %s",
                backupId, objectName);
            created.add(objectName);
            FileChannel channel;
            try {
                channel = LocalFiles.createPrivateFile(staging.resolve(objectName));
            } catch (IOException | RuntimeException e) {
                failed.put(objectName, e);
                throw e;
            }
            OutputStream stream = new ObjectStream(objectName, new DurableFileOutputStream(channel));
            openStream = stream;
            return stream;
        }

        @Override
        public void commit() throws IOException {
            Checks.state(!finished, "Backup %s was already committed or closed", backupId);
            Checks.state(openStream == null, "Backup %s: close the stream of the last object before committing",
                backupId);
            Checks.state(!created.isEmpty(), "Backup %s has no object; write at least one before committing",
                backupId);
            ensureEveryObjectComplete();
            finished = true;
            boolean renamed = false;
            try {
                LocalFiles.fsyncDirectory(staging);
                Path target = root.resolve(backupId);
                // rename(2) would silently replace an empty directory of that name; no drkit writer can create
                // one while we hold the lock, but something else might have
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw alreadyExists(backupId);
                }
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                renamed = true;
                LocalFiles.fsyncDirectory(root);
                log.debug("File store {}: committed backup {} ({} objects)", location, backupId, created.size());
            } catch (IOException | RuntimeException | Error e) {
                // the failure is the report: what the cleanup meets joins it, suppressed
                if (!renamed) {
                    deleteAfter(staging, e);
                }
                closeAfter(lock, e);
                throw e;
            }
            releaseAfterCommit();
        }

        /**
         * Refuses to commit when an object was not written whole (its create, a write or its close threw): the
         * rename would publish it truncated or not forced to disk. Nothing is published; {@link #close()} discards.
         */
        private void ensureEveryObjectComplete() {
            for (String name : created) {
                if (!complete.contains(name)) {
                    Throwable cause = failed.get(name);
                    throw new IllegalStateException("Backup " + backupId + " cannot be committed: its object " + name
                        + " was not written completely" + (cause == null ? "" : " (" + cause.getClass().getSimpleName()
                        + ": " + Text.oneLine(String.valueOf(cause.getMessage()), 200) + ")")
                        + "; close the pending backup to discard it", cause);
                }
            }
        }

        /**
         * Releases the lock of a committed backup. The backup is complete and listed, so a failure here is logged,
         * not thrown: closing the lock file's descriptor, which happens whatever else fails, drops the OS lock.
         */
        private void releaseAfterCommit() {
            try {
                lock.close();
            } catch (IOException | RuntimeException e) {
                log.warn("File store {}: committed backup {}, but releasing the writer lock failed: {}", location,
                    backupId, e.toString());
            }
        }

        @Override
        public void close() throws IOException {
            if (finished) {
                return;
            }
            finished = true;
            try {
                OutputStream stream = openStream;
                if (stream != null) {
                    try {
                        stream.close();
                    } catch (IOException ignored) {
                        // the object is being discarded anyway
                    }
                }
                LocalFiles.deleteTree(staging);
                log.debug("File store {}: discarded backup {} before commit", location, backupId);
            } catch (IOException | RuntimeException | Error e) {
                closeAfter(lock, e);
                throw e;
            }
            lock.close();
        }

        /**
         * One object's stream. Remembers whether every write and the close (which forces the file to disk)
         * succeeded: a write that threw may have left a hole or a truncated file, even if later writes and the
         * close succeed (the stream's buffer is dropped with the failed write).
         */
        private final class ObjectStream extends OutputStream {

            private final String name;
            private final DurableFileOutputStream file;
            private boolean closed;

            ObjectStream(String name, DurableFileOutputStream file) {
                this.name = name;
                this.file = file;
            }

            @Override
            public void write(int b) throws IOException {
                try {
                    file.write(b);
                } catch (IOException | RuntimeException | Error e) {
                    failed.putIfAbsent(name, e);
                    throw e;
                }
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                // a bad argument writes nothing: the object is not damaged by it
                Objects.checkFromIndexSize(offset, length, bytes.length);
                try {
                    file.write(bytes, offset, length);
                } catch (IOException | RuntimeException | Error e) {
                    failed.putIfAbsent(name, e);
                    throw e;
                }
            }

            @Override
            public void flush() throws IOException {
                try {
                    file.flush();
                } catch (IOException | RuntimeException | Error e) {
                    failed.putIfAbsent(name, e);
                    throw e;
                }
            }

            @Override
            public void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    file.close();
                    if (!failed.containsKey(name)) {
                        complete.add(name);
                    }
                } catch (IOException | RuntimeException | Error e) {
                    failed.putIfAbsent(name, e);
                    throw e;
                } finally {
                    openStream = null;
                }
            }
        }
    }

    /**
     * Settings for a {@link FileSystemStore}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final Path root;
        private Duration lockTimeout = DEFAULT_LOCK_TIMEOUT;
        private boolean readOnly;

        private Builder(Path root) {
            this.root = Objects.requireNonNull(root, "root");
        }

        /**
         * How long {@link FileSystemStore#begin} and {@link FileSystemStore#delete} wait for another writer to
         * finish; default {@link #DEFAULT_LOCK_TIMEOUT}. Zero means: try once.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder lockTimeout(Duration lockTimeout) {
            this.lockTimeout = Checks.notNegative(lockTimeout, "lockTimeout");
            return this;
        }

        /**
         * Whether to open the store for reading only ({@link FileSystemStore#openReadOnly}); default false.
         *
         * @since 0.1
         */
        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        /**
         * Opens the store, creating its directory (0700) if it is missing, unless it is opened read-only: then the
         * directory must exist and nothing is written in it.
         *
         * @throws StoreUnavailableException if the root is not a directory, cannot be created or is not writable
         *                                   (read-only: does not exist or cannot be read)
         */
        public FileSystemStore build() {
            Path absolute = root.toAbsolutePath().normalize();
            Map<String, String> context = Map.of("store", absolute.toString());
            if (readOnly) {
                return buildReadOnly(absolute, context);
            }
            try {
                if (!Files.exists(absolute)) {
                    Path parent = absolute.getParent();
                    if (parent != null) {
                        Files.createDirectories(parent);
                    }
                    try {
                        LocalFiles.createPrivateDirectory(absolute);
                    } catch (FileAlreadyExistsException raced) {
                        // created by someone else meanwhile: checked below like any existing root
                    }
                }
                if (!Files.isDirectory(absolute)) {
                    throw new StoreUnavailableException("File store " + absolute + " is not a directory", context,
                        null);
                }
                Path real = absolute.toRealPath();
                if (!Files.isWritable(real) || !Files.isReadable(real) || !Files.isExecutable(real)) {
                    throw new StoreUnavailableException("File store " + real + " is not a directory this process "
                        + "can read and write", context, null);
                }
                probeWritable(real, context);
                return new FileSystemStore(this, real);
            } catch (IOException e) {
                throw new StoreUnavailableException("File store " + absolute + " cannot be opened: "
                    + e.getClass().getSimpleName() + " " + Text.oneLine(String.valueOf(e.getMessage()), 200),
                    context, e);
            }
        }

        private FileSystemStore buildReadOnly(Path absolute, Map<String, String> context) {
            try {
                if (!Files.isDirectory(absolute)) {
                    throw new StoreUnavailableException("File store " + absolute + (Files.exists(absolute)
                        ? " is not a directory" : " does not exist"), context, null);
                }
                Path real = absolute.toRealPath();
                if (!Files.isReadable(real) || !Files.isExecutable(real)) {
                    throw new StoreUnavailableException("File store " + real + " is not a directory this process "
                        + "can read", context, null);
                }
                return new FileSystemStore(this, real);
            } catch (IOException e) {
                throw new StoreUnavailableException("File store " + absolute + " cannot be opened: "
                    + e.getClass().getSimpleName() + " " + Text.oneLine(String.valueOf(e.getMessage()), 200),
                    context, e);
            }
        }

        /** Opens the lock file, which also proves the root writable where access checks cannot tell. */
        private static void probeWritable(Path real, Map<String, String> context) throws IOException {
            Path lockFile = real.resolve(LOCK_FILE);
            if (Files.isSymbolicLink(lockFile) || (Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS))) {
                throw new StoreUnavailableException("File store " + real + ": " + lockFile
                    + " is not a regular file", context, null);
            }
            if (!Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.newByteChannel(lockFile, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        LocalFiles.privateFileModes(lockFile)).close();
                } catch (FileAlreadyExistsException raced) {
                    // another writer made it first
                }
            }
        }
    }
}
