package dev.drkit.backup;

import dev.drkit.backup.internal.SafePaths;
import dev.drkit.backup.internal.store.FileSystemSync;
import dev.drkit.backup.internal.store.LocalFiles;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.jspecify.annotations.Nullable;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads the tar stream of a directory backup in step with the entries its (authenticated) manifest lists, in archive
 * order, checking each against the next, and optionally extracting it under a fresh directory. Neither side is held
 * whole: memory stays the same whatever the number of entries. Extraction is safe against hostile archives: paths
 * are relative without {@code ..}, every directory on the way must be a directory this extraction created (never a
 * symbolic link), and files are created new, never opened through a link. Durability, modes and times come in
 * {@link #finish}, after all checks passed. Not thread-safe.
 */
final class ArchiveReader {

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final BackupManifest manifest;
    private final InputStream plaintext;
    private final TarArchiveInputStream tar;
    private final @Nullable Path root;
    private final byte[] buffer = new byte[64 * 1024];
    private final Durability durability;
    private @Nullable String previous;
    private @Nullable String checkedParent;
    private int matched;
    private long files;

    /**
     * A restore of at least this many files makes them durable with one sync of their file system (see
     * {@link FileSystemSync}) where it can, instead of one fsync per file and directory.
     */
    static final int FILE_SYSTEM_SYNC_MIN_FILES = 256;

    /** Forces a file's or a directory's contents to stable storage; replaceable in tests, to see what is synced. */
    @FunctionalInterface
    interface Durability {
        Durability FSYNC = new Durability() {
            @Override
            public void sync(Path path, boolean directory) throws IOException {
                if (directory) {
                    LocalFiles.fsyncDirectory(path);
                } else {
                    LocalFiles.fsyncFile(path);
                }
            }

            @Override
            public boolean syncFileSystem(Path root) throws IOException {
                return FileSystemSync.system().sync(root);
            }
        };

        void sync(Path path, boolean directory) throws IOException;

        /**
         * Makes everything under {@code root} durable at once, if it can; {@code false} (the default) when the
         * caller must sync each file and directory.
         */
        default boolean syncFileSystem(Path root) throws IOException {
            return false;
        }
    }

    /**
     * The entries a manifest lists, handed out one at a time in archive order (depth first, a directory before its
     * contents), so that a list too large for the heap can be streamed from the store, once per call.
     */
    @FunctionalInterface
    interface Entries {
        void forEach(Visitor visitor) throws IOException;

        static Entries of(List<ManifestEntry> entries) {
            return visitor -> {
                for (ManifestEntry entry : entries) {
                    visitor.visit(entry);
                }
            };
        }
    }

    /** Takes one entry of {@link Entries}. */
    @FunctionalInterface
    interface Visitor {
        void visit(ManifestEntry entry) throws IOException;
    }

    private ArchiveReader(BackupManifest manifest, InputStream plaintext, @Nullable Path root,
                          Durability durability) {
        this.manifest = manifest;
        this.plaintext = plaintext;
        this.tar = new TarArchiveInputStream(new NonClosing(plaintext), "UTF-8");
        this.root = root;
        this.durability = durability;
    }

    /**
     * Checks (and, with a {@code root}, extracts) the tar stream {@code plaintext} against {@code entries}, the
     * manifest's, then reads it to its end.
     *
     * @param root an existing, empty directory to extract into, or {@code null} to check only
     */
    static ArchiveReader read(BackupManifest manifest, InputStream plaintext, @Nullable Path root, Entries entries)
        throws IOException {
        return read(manifest, plaintext, root, entries, Durability.FSYNC);
    }

    static ArchiveReader read(BackupManifest manifest, InputStream plaintext, @Nullable Path root, Entries entries,
                              Durability durability) throws IOException {
        ArchiveReader reader = new ArchiveReader(manifest, plaintext, root, durability);
        entries.forEach(reader::next);
        reader.end();
        return reader;
    }

    /** Reads the archive's next entry, which must be {@code listed}, the manifest's next. */
    private void next(ManifestEntry listed) throws IOException {
        TarArchiveEntry entry = tar.getNextEntry();
        if (entry == null) {
            throw fail("entry set", manifest.entryCount() + " entries", matched + " entries", "archive lacks "
                + (manifest.entryCount() - matched) + " entries the manifest lists, for example \""
                + SafePaths.printable(listed.path()) + "\"");
        }
        String name = checkedName(entry);
        if (!name.equals(listed.path())) {
            if (name.equals(previous)) {
                throw fail("entry set", null, SafePaths.printable(name), "archive holds entry \""
                    + SafePaths.printable(name) + "\" twice");
            }
            // the manifest's entries are in archive order: one that sorts before the listed one is not listed at all
            if (ManifestFormat.compareArchiveOrder(name, listed.path()) < 0) {
                throw unlisted(name);
            }
            throw fail("entry set", SafePaths.printable(listed.path()), SafePaths.printable(name), "archive lacks \""
                + SafePaths.printable(listed.path()) + "\", an entry the manifest lists (it holds \""
                + SafePaths.printable(name) + "\" in its place)");
        }
        previous = name;
        matched++;
        EntryType type = typeOf(entry);
        if (type != listed.type()) {
            throw fail("entry type", listed.type().name(), type == null ? "other" : type.name(), "entry \""
                + SafePaths.printable(name) + "\" is a " + (type == null ? "special file" : type.name()
                .toLowerCase(java.util.Locale.ROOT)) + " in the archive but a "
                + listed.type().name().toLowerCase(java.util.Locale.ROOT) + " in the manifest");
        }
        Path target = root == null ? null : place(name);
        switch (type) {
            case DIRECTORY:
                if (target != null) {
                    try {
                        Files.createDirectory(target, PosixFilePermissions.asFileAttribute(
                            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                                PosixFilePermission.OWNER_EXECUTE)));
                    } catch (IOException e) {
                        throw new TargetWriteException(e);
                    }
                }
                break;
            case SYMLINK:
                String link = entry.getLinkName();
                if (!listed.linkTarget().orElse("").equals(link)) {
                    throw fail("symlink target", listed.linkTarget().orElse(""), SafePaths.printable(link),
                        "symbolic link \"" + SafePaths.printable(name) + "\" points elsewhere than the manifest "
                            + "says");
                }
                if (target != null) {
                    try {
                        Files.createSymbolicLink(target, target.getFileSystem().getPath(link));
                    } catch (IOException e) {
                        throw new TargetWriteException(e);
                    }
                }
                break;
            default:
                if (entry.getSize() != listed.size()) {
                    throw fail("entry size", Long.toString(listed.size()), Long.toString(entry.getSize()),
                        "file \"" + SafePaths.printable(name) + "\" has " + entry.getSize()
                            + " bytes in the archive, " + listed.size() + " in the manifest");
                }
                String sha256 = copy(tar, target);
                if (!sha256.equals(listed.sha256().orElse(""))) {
                    throw fail("entry sha256", listed.sha256().orElse(""), sha256, "file \""
                        + SafePaths.printable(name) + "\" does not match its SHA-256 in the manifest");
                }
                files++;
                break;
        }
    }

    /** After the manifest's last entry: the archive must hold no more, and is read to its verified end. */
    private void end() throws IOException {
        TarArchiveEntry extra = tar.getNextEntry();
        if (extra != null) {
            throw unlisted(checkedName(extra));
        }
        if (matched != manifest.entryCount()) {
            throw fail("entry set", manifest.entryCount() + " entries", matched + " entries", "the manifest records "
                + manifest.entryCount() + " entries but lists " + matched);
        }
        // Whatever follows the tar end-of-archive blocks is read too, so the stream reaches its verified end.
        plaintext.transferTo(OutputStream.nullOutputStream());
    }

    /** The entry's path as the manifest spells it, once it is known to stay inside the root. */
    private String checkedName(TarArchiveEntry entry) {
        String name = entry.getName();
        if (entry.isDirectory() && name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        String problem = SafePaths.problem(name);
        if (problem != null) {
            throw fail("entry path", null, SafePaths.printable(name), "archive entry path " + problem + ": \""
                + SafePaths.printable(name) + "\"");
        }
        return name;
    }

    private BackupVerificationException unlisted(String name) {
        return fail("entry set", null, SafePaths.printable(name), "archive holds an entry the manifest does not "
            + "list: \"" + SafePaths.printable(name) + "\"");
    }

    private static @Nullable EntryType typeOf(TarArchiveEntry entry) {
        if (entry.isSymbolicLink()) {
            return EntryType.SYMLINK;
        }
        if (entry.isDirectory()) {
            return EntryType.DIRECTORY;
        }
        if (entry.isFile() && !entry.isLink() && !entry.isCharacterDevice() && !entry.isBlockDevice()
            && !entry.isFIFO()) {
            return EntryType.FILE;
        }
        return null;
    }

    /**
     * Where {@code name} goes, after checking each directory on the way is a directory, not a link: the root holds
     * only what this extraction made, so it is one extracted before. Entries come depth first, so the last parent
     * checked is usually the next one's too.
     */
    private Path place(String name) throws IOException {
        int slash = name.lastIndexOf('/');
        String parentName = slash < 0 ? "" : name.substring(0, slash);
        Path parent = root;
        if (slash >= 0) {
            parent = root.resolve(parentName);
            if (!parentName.equals(checkedParent)) {
                Path path = root;
                for (String component : parentName.split("/")) {
                    path = path.resolve(component);
                    if (!Files.isDirectory(path, NOFOLLOW)) {
                        throw fail("entry path", null, SafePaths.printable(name), "archive entry \""
                            + SafePaths.printable(name) + "\" is not inside a directory extracted before it");
                    }
                }
            }
        }
        checkedParent = parentName;
        Path target = parent.resolve(name.substring(slash + 1));
        if (!target.normalize().startsWith(root) || Files.exists(target, NOFOLLOW)) {
            throw fail("entry path", null, SafePaths.printable(name), "archive entry \"" + SafePaths.printable(name)
                + "\" would replace something already extracted");
        }
        return target;
    }

    private String copy(InputStream in, @Nullable Path target) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        OutputStream out;
        try {
            out = target == null ? OutputStream.nullOutputStream()
                : Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new TargetWriteException(e);
        }
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
                try {
                    out.write(buffer, 0, n);
                } catch (IOException e) {
                    throw new TargetWriteException(e);
                }
            }
        } finally {
            try {
                out.close();
            } catch (IOException e) {
                throw new TargetWriteException(e);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * Forces every extracted file and directory to stable storage (with one sync of their file system where it can),
     * so that a restore swapped in survives a power loss, and gives each the mode and modification time that
     * {@code entries} (the manifest's, read again) record, after its sync: a file as it comes, a directory once
     * everything in it is done (so a read-only directory is made read-only after its contents, and writing contents
     * does not change its time). Only a stack of the directories open on the way is kept. An entry that does not fit
     * what was extracted (its list changed since) fails, and no mode is applied through a symbolic link.
     */
    void finish(Entries entries) throws IOException {
        if (root == null) {
            return;
        }
        try {
            boolean syncEach = files < FILE_SYSTEM_SYNC_MIN_FILES || !durability.syncFileSystem(root);
            Deque<ManifestEntry> open = new ArrayDeque<>();
            entries.forEach(entry -> {
                String path = entry.path();
                while (!open.isEmpty() && !isInside(path, open.peek().path())) {
                    settle(open.pop(), syncEach);
                }
                int slash = path.lastIndexOf('/');
                boolean parentOpen = open.isEmpty() ? slash < 0 : slash == open.peek().path().length();
                if (!parentOpen || (entry.type() == EntryType.DIRECTORY
                    && !Files.isDirectory(root.resolve(path), NOFOLLOW))) {
                    throw fail("entry set", null, SafePaths.printable(path), "entry \"" + SafePaths.printable(path)
                        + "\" of the manifest was not extracted as it is listed now (its entries changed while they"
                        + " were read)");
                }
                if (entry.type() == EntryType.DIRECTORY) {
                    open.push(entry);
                } else {
                    settle(entry, syncEach);
                }
            });
            while (!open.isEmpty()) {
                settle(open.pop(), syncEach);
            }
            if (syncEach) {
                durability.sync(root, true);
            }
        } catch (TargetWriteException e) {
            throw e;
        } catch (IOException e) {
            throw new TargetWriteException(e);
        }
    }

    /**
     * Syncs one extracted entry, if asked, then gives it its recorded time and mode (not through a link). The time
     * first: setting it opens the file or directory for reading, which its owner may not do once it has its mode
     * (0200, 0300), unless it is root.
     */
    private void settle(ManifestEntry entry, boolean sync) throws IOException {
        Path path = root.resolve(entry.path());
        if (sync && entry.type() != EntryType.SYMLINK) {
            // a directory's entries (files, links, subdirectories) are made durable by syncing the directory
            durability.sync(path, entry.type() == EntryType.DIRECTORY);
        }
        setTime(path, entry.mtime());
        if (entry.type() != EntryType.SYMLINK) {
            Files.getFileAttributeView(path, PosixFileAttributeView.class, NOFOLLOW)
                .setPermissions(PosixFilePermissions.fromString(rwx(entry.mode())));
        }
    }

    /** Whether {@code path} lies inside directory {@code dir}, both as the manifest spells them. */
    private static boolean isInside(String path, String dir) {
        return path.length() > dir.length() && path.charAt(dir.length()) == '/' && path.startsWith(dir);
    }

    static void setTime(Path path, java.time.Instant time) throws IOException {
        Files.getFileAttributeView(path, BasicFileAttributeView.class, NOFOLLOW)
            .setTimes(FileTime.from(time), null, null);
    }

    static String rwx(int mode) {
        String letters = "rwxrwxrwx";
        StringBuilder out = new StringBuilder(9);
        for (int i = 0; i < 9; i++) {
            out.append((mode & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
        }
        return out.toString();
    }

    private BackupVerificationException fail(String check, @Nullable String expectedValue,
                                             @Nullable String actualValue, String what) {
        return new BackupVerificationException(manifest.id(), check, expectedValue, actualValue,
            "Backup " + manifest.id() + " failed verification: " + what);
    }

    /** Writing the restore target failed (the environment), as opposed to reading the archive. */
    static final class TargetWriteException extends IOException {
        private static final long serialVersionUID = 1L;

        TargetWriteException(IOException cause) {
            super(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
        }
    }

    /** Keeps the tar reader from closing the decrypting stream, which must be read to its end first. */
    private static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // the owner closes
        }
    }
}
