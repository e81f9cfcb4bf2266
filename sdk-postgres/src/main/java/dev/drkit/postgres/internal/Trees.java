package dev.drkit.postgres.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
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
     * Deletes {@code root} and everything under it, without following links. Never throws.
     *
     * @return whether nothing is left
     */
    public static boolean deleteQuietly(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        try {
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
        } catch (IOException e) {
            // fall through to the check
        }
        return !Files.exists(root, LinkOption.NOFOLLOW_LINKS);
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
     * reach into the copy meanwhile. Nothing is created through a link on the target side.
     *
     * @throws IOException                   if reading or writing fails
     * @throws UnsupportedOperationException if the cluster has tablespaces (links in pg_tblspc)
     */
    public static void copyDataDirectory(Path source, Path target, RunAs runAs) throws IOException {
        Path src = source.toAbsolutePath().normalize();
        Path dst = target.toAbsolutePath().normalize();
        try (var tablespaces = Files.list(src.resolve("pg_tblspc"))) {
            if (tablespaces.findAny().isPresent()) {
                throw new UnsupportedOperationException("copying a data directory with tablespaces is not supported");
            }
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
                // createDirectory, not createDirectories: an entry already there, a link say, is an error.
                Files.createDirectory(out, DIRECTORY_0700);
                if (!rel.toString().isEmpty()) {
                    runAs.chown(out);
                }
                if (rel.getNameCount() == 1 && EMPTIED_DIRECTORIES.contains(rel.toString())) {
                    if (rel.toString().equals("pg_wal")) {
                        Path status = out.resolve("archive_status");
                        Files.createDirectory(status, DIRECTORY_0700);
                        runAs.chown(status);
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
                // CREATE_NEW and NOFOLLOW_LINKS: never written through an entry that is already there.
                try (in; OutputStream copy = Channels.newOutputStream(Files.newByteChannel(out, Set.of(
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), FILE_0600))) {
                    in.transferTo(copy);
                }
                runAs.chown(out);
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
