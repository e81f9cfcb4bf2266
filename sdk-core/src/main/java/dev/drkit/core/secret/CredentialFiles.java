package dev.drkit.core.secret;

import dev.drkit.core.EnvironmentException;
import dev.drkit.core.internal.ExitCleanup;
import dev.drkit.core.internal.Procfs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private directory (0700) of credential files (0600) for child processes: the {@code PGPASSFILE} and
 * {@code .my.cnf} pattern, where a tool reads its password from a file named in its environment instead of
 * from argv or an environment variable that {@code ps} and {@code /proc} would show.
 *
 * <p>Everything is removed (files overwritten first, then deleted) on {@link #close()}, and by a shutdown
 * hook if the JVM exits first, so a failed child does not leave a password behind. Thread-safe.
 *
 * <p>When the files are for another user (a root JVM running PostgreSQL as {@code postgres}), only the files are
 * given to that user; the directory stays this process's, 0711, so that user can open its files by name but can
 * neither list the directory nor put anything (a symbolic link, say) in place of a file that this process then
 * writes, overwrites or removes. Files are never opened through a symbolic link.
 *
 * <p>A JVM killed with SIGKILL (or a machine that crashed) runs no hook, so the directory's name says whose it
 * is: {@code drkit-<purpose>-p<pid>s<start>n<pidns>h<host>-<random>}, with the creating process's pid, its start
 * time in clock ticks since boot ({@code /proc/<pid>/stat}, so a later process that reuses the pid is not taken for
 * it), its pid namespace and its machine. Each {@link #create} then sweeps its parent directory: a directory with
 * such a name, owned by this user, not a symbolic link, whose process is gone (in this pid namespace, on this
 * machine) is overwritten and removed as {@link #close()} would, without following links, and logged at INFO (its
 * path, never its content). A live process's directory, another user's, another namespace's or machine's, or one of
 * another name is never touched. Where {@code /proc} cannot be read, names carry no owner and nothing is swept.
 *
 * <pre>{@code
 * try (CredentialFiles files = CredentialFiles.create("pg_dump");
 *      Secret line = Secret.ofString(PgPass.line(host, port, user), "pgpass")) {
 *     Path pgpass = files.write("pgpass", line);
 *     processBuilder.environment().put("PGPASSFILE", pgpass.toString());
 *     ...
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class CredentialFiles implements AutoCloseable {

    private static final Set<PosixFilePermission> DIR_0700 = PosixFilePermissions.fromString("rwx------");
    /** For files of another user: that user may pass through to them, not list or change the entries. */
    private static final Set<PosixFilePermission> DIR_0711 = PosixFilePermissions.fromString("rwx--x--x");
    private static final Set<PosixFilePermission> FILE_0600 = PosixFilePermissions.fromString("rw-------");

    private static final Logger log = LoggerFactory.getLogger(CredentialFiles.class);
    /** {@code drkit-<purpose>-p<pid>s<start>n<pid namespace>h<host>-<random>}: a directory's creating process. */
    private static final Pattern OWNED_NAME = Pattern.compile(
        "drkit-[A-Za-z0-9_.-]{1,40}-(" + Procfs.Owner.TAG_REGEX + ")-[0-9]{1,20}");
    /** This process, as directory names name it; empty where /proc cannot tell. */
    private static final Optional<Procfs.Owner> THIS_PROCESS = Procfs.Owner.self();

    private final Path directory;
    private final Optional<UserPrincipal> owner;
    /** Copy-on-write, so the exit hook can read it without the lock a live thread may hold. */
    private final List<Path> files = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private CredentialFiles(Path directory, Optional<UserPrincipal> owner) {
        this.directory = directory;
        this.owner = owner;
    }

    /**
     * A new private directory under the system temp directory.
     *
     * @param purpose a short, non-secret word that becomes part of the directory name
     * @throws EnvironmentException if the directory cannot be created
     */
    public static CredentialFiles create(String purpose) {
        return create(purpose, Path.of(System.getProperty("java.io.tmpdir")), null);
    }

    /**
     * A new private directory under {@code parent}, whose files belong to {@code ownerName} when that is
     * given: the user a child process runs as, when it is not the JVM's user (PostgreSQL refuses to run as
     * root, so a root JVM runs it as another user, and that user must be able to read the file).
     *
     * @throws EnvironmentException if the directory cannot be created or the owner cannot be set
     */
    public static CredentialFiles create(String purpose, Path parent, String ownerName) {
        Objects.requireNonNull(purpose, "purpose");
        Objects.requireNonNull(parent, "parent");
        if (!purpose.matches("[A-Za-z0-9_.-]{1,40}")) {
            throw new IllegalArgumentException("purpose must be 1 to 40 letters, digits, '.', '_' or '-', but was \"" + purpose + "\"");
        }
        Path dir;
        try {
            String tag = THIS_PROCESS.map(p -> p.tag() + "-").orElse("");
            dir = Files.createTempDirectory(parent, "drkit-" + purpose + "-" + tag,
                PosixFilePermissions.asFileAttribute(DIR_0700));
        } catch (IOException e) {
            throw new EnvironmentException("Cannot create a private directory for credential files under " + parent
                + ": " + e.getMessage(), Map.of("file", parent.toString()), e);
        }
        Optional<UserPrincipal> owner = Optional.empty();
        try {
            if (ownerName != null) {
                owner = Optional.of(dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(ownerName));
                Files.setPosixFilePermissions(dir, DIR_0711);
            }
        } catch (IOException | RuntimeException e) {
            // The directory is still empty: remove it, or every failed call would leave one behind.
            deleteQuietly(dir);
            if (e instanceof RuntimeException) {
                throw (RuntimeException) e;
            }
            throw new EnvironmentException("Cannot give a private directory for credential files under " + parent
                + " to user \"" + ownerName + "\": " + e.getMessage(), Map.of("file", parent.toString()), e);
        }
        CredentialFiles files = new CredentialFiles(dir, owner);
        ExitCleanup.register(files, files::cleanUpAtExit);
        sweepLeftovers(parent, dir);
        return files;
    }

    /**
     * Removes the directories under {@code parent} that were made by a process of this user that is gone: left by a
     * JVM killed with SIGKILL or a machine that crashed. Best effort: never throws, and keeps whatever it is unsure of.
     */
    private static void sweepLeftovers(Path parent, Path own) {
        if (THIS_PROCESS.isEmpty()) {
            return;
        }
        try {
            Object uid = Files.getAttribute(own, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, "drkit-*")) {
                for (Path entry : entries) {
                    if (!entry.equals(own)) {
                        sweepIfLeftOver(entry, uid);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("CredentialFiles: no sweep of {} for leftovers: {}", parent, e.toString());
        }
    }

    private static void sweepIfLeftOver(Path entry, Object uid) {
        Matcher name = OWNED_NAME.matcher(entry.getFileName().toString());
        Optional<Procfs.Owner> owner = name.matches() ? Procfs.Owner.parse(name.group(1)) : Optional.empty();
        if (owner.isEmpty()) {
            return; // not drkit's, or from before owners were named
        }
        long pid = owner.get().pid();
        try {
            BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isDirectory() || attributes.isSymbolicLink()
                || !uid.equals(Files.getAttribute(entry, "unix:uid", LinkOption.NOFOLLOW_LINKS))) {
                return;
            }
        } catch (IOException | RuntimeException e) {
            return;
        }
        if (owner.get().liveness() != Procfs.Liveness.GONE) {
            return; // alive, from another pid namespace, or unknowable
        }
        // whatever is left is tried again by the next sweep
        int files = wipeTree(entry);
        if (Files.notExists(entry, LinkOption.NOFOLLOW_LINKS)) {
            log.info("CredentialFiles: removed {} ({} files) left behind by process {}, which is gone", entry,
                files, pid);
        } else {
            log.warn("CredentialFiles: cannot remove all of {}, left behind by process {}, which is gone", entry, pid);
        }
    }

    /** The 0700 directory. */
    public Path directory() {
        return directory;
    }

    /**
     * Writes {@code content} to a new 0600 file called {@code name} in this directory.
     *
     * @return the file's path, to hand to the child (for example as {@code PGPASSFILE})
     * @throws IllegalArgumentException if {@code name} is not a plain file name
     * @throws EnvironmentException     if the file cannot be written (it is removed again)
     */
    public synchronized Path write(String name, Secret content) {
        Objects.requireNonNull(content, "content");
        if (closed) {
            throw new IllegalStateException("CredentialFiles " + directory + " is closed");
        }
        if (!name.matches("[A-Za-z0-9_.-]{1,64}") || name.startsWith(".") && name.replace(".", "").isEmpty()) {
            throw new IllegalArgumentException("name must be a plain file name, but was \"" + name + "\"");
        }
        Path file = directory.resolve(name);
        byte[] bytes = content.revealBytes();
        try {
            // One channel creates and writes the file (never through a link), and the owner changes only after
            // the content is in: the other user never holds a file it could swap before it was written.
            try (FileChannel channel = FileChannel.open(file, Set.<OpenOption>of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC, LinkOption.NOFOLLOW_LINKS),
                    PosixFilePermissions.asFileAttribute(FILE_0600))) {
                files.add(file);
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
            if (owner.isPresent()) {
                Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setOwner(owner.get());
            }
            return file;
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException("a credential file named \"" + name + "\" already exists in " + directory);
        } catch (IOException e) {
            wipeAndDelete(file);
            throw new EnvironmentException("Cannot write credential file " + file + ": " + e.getClass().getSimpleName(),
                Map.of("file", file.toString()), e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        return closed;
    }

    /** Overwrites and deletes every file, then the directory. Idempotent; never throws. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        removeAll();
        ExitCleanup.unregister(this);
    }

    /**
     * The exit hook's action: the same removal as {@link #close()} but without its lock, which a thread that
     * called {@code System.exit} (or that the JVM stopped mid-write) may hold for ever.
     */
    private void cleanUpAtExit() {
        closed = true;
        removeAll();
    }

    private void removeAll() {
        files.forEach(CredentialFiles::wipeAndDelete);
        // A child may have left files of its own (a lock, a copy, a directory of them): they are credentials too.
        wipeTree(directory);
    }

    /**
     * Overwrites and deletes every file under {@code root}, then its directories and {@code root}, without following
     * links (a link inside is removed itself, never what it points to); returns how many files it met. Never throws.
     */
    private static int wipeTree(Path root) {
        int[] files = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    wipeAndDelete(file);
                    files[0]++;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    deleteQuietly(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | RuntimeException e) {
            // the directory is gone already, or what is left cannot be removed
        }
        return files[0];
    }

    private static void deleteQuietly(Path directory) {
        try {
            Files.deleteIfExists(directory);
        } catch (IOException ignored) {
            // nothing more can be done; the directory is 0700 and empty where deletion succeeded
        }
    }

    @Override
    public String toString() {
        return "CredentialFiles[" + directory + ", files=" + files.size() + (closed ? ", closed]" : "]");
    }

    private static void wipeAndDelete(Path file) {
        try {
            if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.SYNC,
                        LinkOption.NOFOLLOW_LINKS)) {
                    ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(channel.size(), 1 << 20));
                    while (zeros.hasRemaining()) {
                        channel.write(zeros);
                    }
                }
            }
            Files.deleteIfExists(file);
        } catch (IOException | UnsupportedOperationException ignored) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException alsoIgnored) {
                // best effort: close() must not throw
            }
        }
    }
}
