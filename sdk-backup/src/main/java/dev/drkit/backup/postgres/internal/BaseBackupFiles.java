package dev.drkit.backup.postgres.internal;

import dev.drkit.backup.internal.SafePaths;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.jspecify.annotations.Nullable;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;

/**
 * Puts a base backup's files into a scratch data directory: a copy of a plain-format directory
 * ({@code pg_basebackup -Fp}), or the extraction of the tar stream {@code pg_basebackup -D - -Ft} writes.
 * Both refuse what a drill must never follow: symbolic links (a tablespace link would lead the scratch server
 * into the real tablespace), hard links, devices, absolute or {@code ..} paths, an entry twice. Stateless.
 */
public final class BaseBackupFiles {

    /** Files a base backup may hold that a scratch copy must not start with. */
    static final Set<String> LEFT_OUT = Set.of("postmaster.pid", "postmaster.opts", "standby.signal",
        "recovery.signal");

    /** The longest name of one file or directory most file systems take, in bytes (NAME_MAX): {@value}. */
    static final int MAX_NAME_BYTES = 255;

    private BaseBackupFiles() {
    }

    /** A base backup that cannot be used: the message says why. */
    public static final class UnusableBackupException extends IOException {
        private static final long serialVersionUID = 1L;

        public UnusableBackupException(String message) {
            super(message);
        }
    }

    /**
     * The target directory could not be written (a full disk, a failing one, a read-only mount): not the backup's
     * fault. Entries that the tar itself makes impossible to write (a path that is a file and a directory, an entry
     * twice, a name too long) are {@link UnusableBackupException}s instead, found before anything is written.
     */
    public static final class TargetWriteException extends IOException {
        private static final long serialVersionUID = 1L;

        TargetWriteException(String message, IOException cause) {
            super(message, cause);
        }
    }

    /**
     * Copies the plain-format base backup {@code source} into the existing, empty directory {@code target}.
     *
     * @throws UnusableBackupException if the backup holds a symbolic link or a special file
     */
    public static void copyDirectory(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path to = target.resolve(source.relativize(dir).toString());
                if (!dir.equals(source)) {
                    Files.createDirectory(to);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String relative = source.relativize(file).toString();
                if (attrs.isSymbolicLink()) {
                    throw new UnusableBackupException("base backup " + source + " holds the symbolic link " + relative
                        + " (a tablespace or a linked pg_wal): a drill copies only plain files and directories");
                }
                if (!attrs.isRegularFile()) {
                    throw new UnusableBackupException("base backup " + source + " holds the special file " + relative);
                }
                if (!LEFT_OUT.contains(relative)) {
                    Files.copy(file, target.resolve(relative), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Extracts the tar stream {@code in} (as {@code pg_basebackup -D - -Ft} writes it) into the existing, empty
     * directory {@code target}, and reads {@code in} to its end.
     *
     * @return the number of files extracted
     * @throws UnusableBackupException if an entry's path or type is refused
     * @throws TargetWriteException    if {@code target} cannot be written (a full disk)
     */
    public static long extractTar(InputStream in, Path target) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(in, "UTF-8");
        long files = 0;
        TarArchiveEntry entry;
        while ((entry = nextEntry(tar)) != null) {
            String name = entry.getName();
            while (name.startsWith("./")) {
                name = name.substring(2);
            }
            if (entry.isDirectory() && name.endsWith("/")) {
                name = name.substring(0, name.length() - 1);
            }
            if (name.isEmpty() && entry.isDirectory()) {
                continue;
            }
            String problem = SafePaths.problem(name);
            if (problem != null) {
                throw new UnusableBackupException("base backup tar entry path " + problem + ": \""
                    + SafePaths.printable(name) + "\"");
            }
            for (String component : name.split("/")) {
                if (component.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                    throw new UnusableBackupException("base backup tar entry path has a component longer than "
                        + MAX_NAME_BYTES + " bytes: \"" + SafePaths.printable(name) + "\"");
                }
            }
            Path to = target.resolve(name);
            if (!to.normalize().startsWith(target)) {
                throw new UnusableBackupException("base backup tar entry leaves the data directory: \""
                    + SafePaths.printable(name) + "\"");
            }
            if (entry.isDirectory()) {
                // No links are ever created here, so no parent on the way can lead outside the target.
                createDirectories(target, to, name);
            } else if (entry.isFile() && !entry.isLink() && !entry.isSymbolicLink() && !entry.isCharacterDevice()
                && !entry.isBlockDevice() && !entry.isFIFO()) {
                createDirectories(target, to.getParent(), name);
                if (LEFT_OUT.contains(name)) {
                    continue;
                }
                if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
                    throw new UnusableBackupException("base backup tar holds \"" + SafePaths.printable(name)
                        + "\" twice");
                }
                OutputStream file;
                try {
                    file = Files.newOutputStream(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    throw cannotWrite(name, e);
                }
                // what the tar stream throws stays as it is; what the file throws is the target's failure
                try (OutputStream out = new TargetOutputStream(file, name)) {
                    tar.transferTo(out);
                }
                files++;
            } else {
                throw new UnusableBackupException("base backup tar entry \"" + SafePaths.printable(name) + "\" is a "
                    + (entry.isSymbolicLink() ? "symbolic link (a tablespace?)" : entry.isLink() ? "hard link"
                    : "special file") + ": a drill extracts only plain files and directories");
            }
        }
        in.transferTo(OutputStream.nullOutputStream());
        return files;
    }

    /**
     * Creates {@code directory} (under {@code target}) and its parents for entry {@code name}, refusing a path on
     * which the tar already put a file.
     */
    private static void createDirectories(Path target, Path directory, String name) throws IOException {
        for (Path at = directory; !at.equals(target); at = at.getParent()) {
            if (Files.exists(at, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
                throw new UnusableBackupException("base backup tar holds \"" + SafePaths.printable(
                    target.relativize(at).toString()) + "\" both as a file and as a directory (entry \""
                    + SafePaths.printable(name) + "\")");
            }
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw cannotWrite(name, e);
        }
    }

    private static TargetWriteException cannotWrite(String name, IOException e) {
        return new TargetWriteException("cannot write \"" + SafePaths.printable(name) + "\" into the extraction ("
            + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")", e);
    }

    /** A file being extracted: its failures are the target's ({@link TargetWriteException}). */
    private static final class TargetOutputStream extends FilterOutputStream {
        private final String name;

        TargetOutputStream(OutputStream out, String name) {
            super(out);
            this.name = name;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw cannotWrite(name, e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw cannotWrite(name, e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } catch (IOException e) {
                throw cannotWrite(name, e);
            }
        }
    }

    private static @Nullable TarArchiveEntry nextEntry(TarArchiveInputStream tar) throws IOException {
        try {
            return tar.getNextEntry();
        } catch (IllegalArgumentException e) {
            throw new UnusableBackupException("base backup tar stream is damaged: " + e.getMessage());
        }
    }
}
