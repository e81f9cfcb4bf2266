package dev.drkit.backup.internal.store;

import org.slf4j.Logger;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * File operations the filesystem store needs: private files and directories made with their modes from the
 * start (never a window in which they are readable by others), fsync of directories, and removal of a tree that
 * never follows a symbolic link out of it (also used for the scratch trees of restores and drills). Internal: no
 * compatibility guarantees.
 */
public final class LocalFiles {

    private static final FileAttribute<?>[] NONE = new FileAttribute<?>[0];
    /** Read, write and search for the owner alone: a private directory's mode, and what one needs to be emptied. */
    private static final Set<PosixFilePermission> OWNER_ALL = PosixFilePermissions.fromString("rwx------");

    private LocalFiles() {
    }

    /** Whether the file system of {@code path} has POSIX permissions. */
    public static boolean isPosix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** Creates a directory readable only by its owner (0700 where the file system has POSIX modes). */
    public static void createPrivateDirectory(Path dir) throws IOException {
        Files.createDirectory(dir, isPosix(dir)
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ALL)}
            : NONE);
    }

    /** Creates a new file readable only by its owner (0600 where the file system has POSIX modes), for writing. */
    public static FileChannel createPrivateFile(Path file) throws IOException {
        return FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            privateFileModes(file));
    }

    /** The attributes that make a new file 0600, or none on file systems without POSIX modes. */
    public static FileAttribute<?>[] privateFileModes(Path file) {
        return isPosix(file)
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
            : NONE;
    }

    /** Forces a regular file's contents and metadata to stable storage (fsync); a link in its place is refused. */
    public static void fsyncFile(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            channel.force(true);
        }
    }

    /**
     * Flushes a directory's entries to stable storage, so that a file created or renamed in it survives a power
     * loss. A no-op where the platform cannot open a directory (Windows).
     */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (isPosix(dir)) {
                throw e;
            }
        }
    }

    /**
     * Removes {@code path} and, if it is a directory, everything in it, without following symbolic links: a link
     * is removed, never what it points to. A directory its owner cannot read, write or search (a restored 0500, 0600
     * or 0200 directory) is made 0700 first, so that it can be emptied. Returns the bytes of the regular files removed.
     * A path that does not exist frees nothing.
     */
    public static long deleteTree(Path path) throws IOException {
        long[] freed = {0};
        BasicFileAttributes top;
        try {
            top = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return 0;
        }
        if (!top.isDirectory()) {
            freed[0] += top.isRegularFile() ? top.size() : 0;
            Files.deleteIfExists(path);
            return freed[0];
        }
        // walkFileTree does not follow links unless told to: a link inside the tree is visited as a file
        boolean posix = isPosix(path);
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                // a restored directory may lack read, write or search for its owner (0500, 0600, 0200): each is needed
                // to list it, stat its entries and remove them
                if (posix && !(Files.isReadable(dir) && Files.isWritable(dir) && Files.isExecutable(dir))) {
                    Files.setPosixFilePermissions(dir, OWNER_ALL);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    freed[0] += attrs.size();
                }
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException failure) throws IOException {
                // a directory its owner may not read (0300, 0000) cannot even be opened, so it never reaches
                // preVisitDirectory: made 0700, it is deleted afresh (once: a second refusal is thrown)
                if (posix && failure instanceof AccessDeniedException
                    && Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)
                    && !Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).containsAll(OWNER_ALL)) {
                    Files.setPosixFilePermissions(file, OWNER_ALL);
                    freed[0] += deleteTree(file);
                    return FileVisitResult.CONTINUE;
                }
                throw failure;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
        return freed[0];
    }

    /**
     * {@link #deleteTree} at best effort, for scratch trees: a failure is logged to {@code log} as
     * {@code "<who>: could not remove <path>: <reason>"}, never thrown, so that it cannot hide the failure that
     * led to the clean-up.
     */
    public static void deleteTreeQuietly(Path path, Logger log, String who) {
        try {
            deleteTree(path);
        } catch (IOException | RuntimeException e) {
            log.warn("{}: could not remove {}: {}", who, path, e.toString());
        }
    }
}
