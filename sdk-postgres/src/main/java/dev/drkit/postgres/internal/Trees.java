package dev.drkit.postgres.internal;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Directory trees: deleting them, and copying a running cluster's data directory for a base backup. */
public final class Trees {

    /** Top-level files of a data directory that a base backup leaves out. */
    static final Set<String> EXCLUDED_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
        "tablespace_map", "backup_label.old", "tablespace_map.old", "standby.signal", "recovery.signal",
        "current_logfiles", "backup_manifest");

    /** Top-level directories whose contents a base backup leaves out (the directories themselves are kept). */
    static final Set<String> EMPTIED_DIRECTORIES = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
        "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");

    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_0700 =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> FILE_0600 =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private Trees() {
    }

    /**
     * Deletes {@code root} and everything under it, without following links: a link is deleted, never what it
     * points to. Never throws. On Linux the tree is walked relative to open directories, so a user who can rename
     * entries in it meanwhile (the server's user, when the JVM is root) cannot redirect the deletion outside it;
     * links in {@code root}'s parent path are followed.
     *
     * @return whether nothing is left
     */
    public static boolean deleteQuietly(Path root) {
        Path path = root.toAbsolutePath().normalize();
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        Path parent = path.getParent();
        if (parent == null) {
            return false; // a file system's root is never deleted
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(parent)) {
            if (stream instanceof SecureDirectoryStream<Path> secure) {
                deleteEntry(secure, path.getFileName());
            } else {
                // Not Linux: no SecureDirectoryStream, so walk by path, which a concurrent rename can redirect.
                deleteByPath(path);
            }
        } catch (IOException e) {
            // fall through to the check
        }
        return !Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    /** Deletes {@code name} in {@code dir}, and first what it holds if it is a directory; best effort. */
    private static void deleteEntry(SecureDirectoryStream<Path> dir, Path name) {
        try {
            BasicFileAttributes attrs = attributes(dir, name);
            if (attrs == null) {
                return;
            }
            if (!attrs.isDirectory()) {
                dir.deleteFile(name); // unlinkat: a link goes, what it points to stays
                return;
            }
            // O_NOFOLLOW: if a link took the directory's place since the stat, this fails instead of following it.
            try (SecureDirectoryStream<Path> child = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                List<Path> names = new ArrayList<>();
                child.forEach(entry -> names.add(entry.getFileName()));
                for (Path entry : names) {
                    deleteEntry(child, entry);
                }
            }
            dir.deleteDirectory(name);
        } catch (IOException | DirectoryIteratorException e) {
            // best effort; the caller checks what is left
        }
    }

    private static void deleteByPath(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                deleteOne(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                deleteOne(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) {
                deleteOne(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteOne(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // best effort; the caller checks what is left
        }
    }

    /**
     * Copies the data directory of a running cluster that is in backup mode ({@code pg_backup_start}) to
     * {@code target}, leaving out what the PostgreSQL documentation says a base backup should leave out
     * (postmaster.pid and .opts, the contents of pg_wal, pg_replslot and the other runtime directories,
     * pgsql_tmp, pg_internal.init, signal files). Files that vanish while copying are skipped: the WAL replayed
     * from the backup's start repairs whatever changed. Directories become 0700 and files 0600, owned by
     * {@code runAs}'s user, except {@code target} itself: it must not exist, is created 0700 for this JVM's user,
     * and is left to the caller to give away once it has finished writing there, so the server's user cannot
     * reach into the copy meanwhile. Nothing is created through a link on the target side. On Linux the source is
     * read relative to open directories, never through a link, so a user who can rename entries in it meanwhile
     * (the server's user, when the JVM is root) cannot make this read a file outside it: an entry swapped for a
     * link is skipped. Links in {@code source}'s parent path are followed; {@code source} itself must not be one.
     *
     * @throws IOException                   if reading or writing fails, or (on Linux) {@code source} is a link
     * @throws UnsupportedOperationException if the cluster has tablespaces (links in pg_tblspc)
     */
    public static void copyDataDirectory(Path source, Path target, RunAs runAs) throws IOException {
        Path src = source.toAbsolutePath().normalize();
        Path dst = target.toAbsolutePath().normalize();
        try (DirectoryStream<Path> parent = Files.newDirectoryStream(src.getParent())) {
            if (!(parent instanceof SecureDirectoryStream<Path> secure)) {
                // Not Linux: no SecureDirectoryStream, so walk by path, which a concurrent rename can redirect.
                copyByPath(src, dst, runAs);
                return;
            }
            try (SecureDirectoryStream<Path> from = secure.newDirectoryStream(src.getFileName(),
                LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> tablespaces = from.newDirectoryStream(
                    src.getFileSystem().getPath("pg_tblspc"), LinkOption.NOFOLLOW_LINKS)) {
                    refuseTablespaces(tablespaces);
                } catch (NoSuchFileException e) {
                    // no pg_tblspc: nothing to check
                }
                Files.createDirectory(dst, DIRECTORY_0700);
                copyEntries(from, dst, true, runAs);
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
    }

    /**
     * Copies what {@code from} holds into the new directory {@code to}, opening every entry relative to
     * {@code from} and never through a link.
     *
     * @param top whether {@code from} is the data directory itself, where the exclusions apply
     */
    private static void copyEntries(SecureDirectoryStream<Path> from, Path to, boolean top, RunAs runAs)
        throws IOException {
        for (Path entry : from) {
            Path name = entry.getFileName();
            String fileName = name.toString();
            BasicFileAttributes attrs = attributes(from, name);
            if (attrs == null) {
                continue; // gone since it was listed
            }
            Path out = to.resolve(name);
            if (attrs.isDirectory() && !fileName.startsWith("pgsql_tmp")) {
                if (top && EMPTIED_DIRECTORIES.contains(fileName)) {
                    createDirectory(out, runAs);
                    if (fileName.equals("pg_wal")) {
                        createDirectory(out.resolve("archive_status"), runAs);
                    }
                    continue;
                }
                SecureDirectoryStream<Path> child;
                try {
                    // O_NOFOLLOW: a link that took the directory's place since the stat makes this fail.
                    child = from.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    if (sameEntry(from, name, attrs)) {
                        throw e;
                    }
                    continue; // removed or replaced (by a link, say) since it was listed
                }
                try (child) {
                    createDirectory(out, runAs);
                    copyEntries(child, out, false, runAs);
                }
            } else if (attrs.isRegularFile() && !(top && EXCLUDED_FILES.contains(fileName))
                && !fileName.equals("pg_internal.init")) {
                InputStream in;
                try {
                    in = Channels.newInputStream(from.newByteChannel(name,
                        Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)));
                } catch (IOException e) {
                    if (sameEntry(from, name, attrs)) {
                        throw e;
                    }
                    continue; // dropped, truncated away or replaced while copying
                }
                copyFile(in, out, runAs);
            }
        }
    }

    /** Creates {@code directory} 0700 for {@code runAs}'s user; an entry already there, a link say, is an error. */
    private static void createDirectory(Path directory, RunAs runAs) throws IOException {
        Files.createDirectory(directory, DIRECTORY_0700);
        runAs.chown(directory);
    }

    /** Copies {@code in} to the new file {@code out}, 0600 for {@code runAs}'s user, and closes {@code in}. */
    private static void copyFile(InputStream in, Path out, RunAs runAs) throws IOException {
        // CREATE_NEW and NOFOLLOW_LINKS: never written through an entry that is already there.
        try (in; OutputStream copy = Channels.newOutputStream(Files.newByteChannel(out, Set.of(
            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), FILE_0600))) {
            in.transferTo(copy);
        }
        runAs.chown(out);
    }

    /** The attributes of {@code name} in {@code dir}, not following a link, or {@code null} if it is gone. */
    private static @Nullable BasicFileAttributes attributes(SecureDirectoryStream<Path> dir, Path name)
        throws IOException {
        try {
            return dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .readAttributes();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Whether {@code name} in {@code dir} is still the entry {@code before} describes. */
    private static boolean sameEntry(SecureDirectoryStream<Path> dir, Path name, BasicFileAttributes before)
        throws IOException {
        BasicFileAttributes now = attributes(dir, name);
        return now != null && Objects.equals(now.fileKey(), before.fileKey());
    }

    private static void refuseTablespaces(DirectoryStream<Path> tablespaces) {
        if (tablespaces.iterator().hasNext()) {
            throw new UnsupportedOperationException("copying a data directory with tablespaces is not supported");
        }
    }

    private static void copyByPath(Path src, Path dst, RunAs runAs) throws IOException {
        try (DirectoryStream<Path> tablespaces = Files.newDirectoryStream(src.resolve("pg_tblspc"))) {
            refuseTablespaces(tablespaces);
        } catch (NoSuchFileException e) {
            // no pg_tblspc: nothing to check
        }
        Files.walkFileTree(src, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path rel = src.relativize(dir);
                if (dir.getFileName().toString().startsWith("pgsql_tmp")) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Path out = dst.resolve(rel.toString());
                if (rel.toString().isEmpty()) {
                    Files.createDirectory(out, DIRECTORY_0700);
                    return FileVisitResult.CONTINUE;
                }
                createDirectory(out, runAs);
                if (rel.getNameCount() == 1 && EMPTIED_DIRECTORIES.contains(rel.toString())) {
                    if (rel.toString().equals("pg_wal")) {
                        createDirectory(out.resolve("archive_status"), runAs);
                    }
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path rel = src.relativize(file);
                String name = file.getFileName().toString();
                if (rel.getNameCount() == 1 && EXCLUDED_FILES.contains(name) || name.equals("pg_internal.init")
                    || attrs.isSymbolicLink() || !attrs.isRegularFile()) {
                    return FileVisitResult.CONTINUE;
                }
                Path out = dst.resolve(rel.toString());
                InputStream in;
                try {
                    in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    return FileVisitResult.CONTINUE; // dropped or truncated away while copying
                }
                copyFile(in, out, runAs);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }
        });
    }
}
