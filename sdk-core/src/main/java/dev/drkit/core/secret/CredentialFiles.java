package dev.drkit.core.secret;

import dev.drkit.core.EnvironmentException;
import dev.drkit.core.internal.ExitCleanup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
            dir = Files.createTempDirectory(parent, "drkit-" + purpose + "-",
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
        return files;
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
        try (var stray = Files.list(directory)) {
            // A child may have left files of its own (a lock, a copy): they are credentials too.
            stray.forEach(CredentialFiles::wipeAndDelete);
        } catch (IOException | UncheckedIOException ignored) {
            // the directory is gone already
        }
        deleteQuietly(directory);
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
