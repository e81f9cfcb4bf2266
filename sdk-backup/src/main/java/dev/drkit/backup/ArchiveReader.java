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
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the tar stream of a directory backup, checking every entry against the (authenticated) manifest, and
 * optionally extracting it under a fresh directory. Extraction is safe against hostile archives: paths are
 * relative without {@code ..}, every directory on the way must be one this extraction created (never a symbolic
 * link), and files are created new, never opened through a link. Modes and times are applied by
 * {@link #finish()}, after all checks passed. Not thread-safe.
 */
final class ArchiveReader {

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final BackupManifest manifest;
    private final @Nullable Path root;
    private final Map<String, ManifestEntry> expected = new LinkedHashMap<>();
    private final Set<String> seen = new HashSet<>();
    private final Set<String> directories = new HashSet<>();
    private final List<ManifestEntry> extracted = new ArrayList<>();
    private final byte[] buffer = new byte[64 * 1024];
    private final Durability durability;

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

    private ArchiveReader(BackupManifest manifest, @Nullable Path root, Durability durability) {
        this.manifest = manifest;
        this.root = root;
        this.durability = durability;
        for (ManifestEntry entry : manifest.entries()) {
            expected.put(entry.path(), entry);
        }
    }

    /**
     * Checks (and, with a {@code root}, extracts) the tar stream {@code plaintext}, then reads it to its end.
     *
     * @param root an existing, empty directory to extract into, or {@code null} to check only
     */
    static ArchiveReader read(BackupManifest manifest, InputStream plaintext, @Nullable Path root) throws IOException {
        return read(manifest, plaintext, root, Durability.FSYNC);
    }

    static ArchiveReader read(BackupManifest manifest, InputStream plaintext, @Nullable Path root,
                              Durability durability) throws IOException {
        ArchiveReader reader = new ArchiveReader(manifest, root, durability);
        reader.readAll(plaintext);
        return reader;
    }

    private void readAll(InputStream plaintext) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(new NonClosing(plaintext), "UTF-8");
        TarArchiveEntry entry;
        while ((entry = nextEntry(tar)) != null) {
            String name = entry.getName();
            if (entry.isDirectory() && name.endsWith("/")) {
                name = name.substring(0, name.length() - 1);
            }
            String problem = SafePaths.problem(name);
            if (problem != null) {
                throw fail("entry path", null, SafePaths.printable(name), "archive entry path " + problem + ": \""
                    + SafePaths.printable(name) + "\"");
            }
            ManifestEntry listed = expected.get(name);
            if (listed == null) {
                throw fail("entry set", null, SafePaths.printable(name), "archive holds an entry the manifest does "
                    + "not list: \"" + SafePaths.printable(name) + "\"");
            }
            if (!seen.add(name)) {
                throw fail("entry set", null, SafePaths.printable(name), "archive holds entry \""
                    + SafePaths.printable(name) + "\" twice");
            }
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
                    directories.add(name);
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
                    break;
            }
            extracted.add(listed);
        }
        if (seen.size() != expected.size()) {
            List<String> missing = new ArrayList<>();
            for (String path : expected.keySet()) {
                if (!seen.contains(path)) {
                    missing.add(SafePaths.printable(path));
                }
            }
            throw fail("entry set", expected.size() + " entries", seen.size() + " entries", "archive lacks "
                + missing.size() + " entries the manifest lists, for example \"" + missing.get(0) + "\"");
        }
        // Whatever follows the tar end-of-archive blocks is read too, so the stream reaches its verified end.
        plaintext.transferTo(OutputStream.nullOutputStream());
    }

    private static @Nullable TarArchiveEntry nextEntry(TarArchiveInputStream tar) throws IOException {
        return tar.getNextEntry();
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

    /** Where {@code name} goes, after checking each directory on the way is one extracted here, not a link. */
    private Path place(String name) throws IOException {
        String[] components = name.split("/");
        StringBuilder prefix = new StringBuilder();
        Path path = root;
        for (int i = 0; i < components.length - 1; i++) {
            prefix.append(i == 0 ? "" : "/").append(components[i]);
            path = path.resolve(components[i]);
            if (!directories.contains(prefix.toString()) || !Files.isDirectory(path, NOFOLLOW)) {
                throw fail("entry path", null, SafePaths.printable(name), "archive entry \""
                    + SafePaths.printable(name) + "\" is not inside a directory extracted before it");
            }
        }
        Path target = path.resolve(components[components.length - 1]);
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
     * Forces every extracted file and directory to stable storage, so that a restore swapped in survives a power
     * loss, then applies the recorded modes and modification times, files first, directories last and deepest first
     * (so a read-only directory is made read-only after its contents, and writing contents does not change its
     * time).
     */
    void finish() throws IOException {
        if (root == null) {
            return;
        }
        try {
            syncExtracted(root);
            applyAttributes();
        } catch (IOException e) {
            throw new TargetWriteException(e);
        }
    }

    private void syncExtracted(Path root) throws IOException {
        long files = extracted.stream().filter(entry -> entry.type() == EntryType.FILE).count();
        if (files >= FILE_SYSTEM_SYNC_MIN_FILES && durability.syncFileSystem(root)) {
            return;
        }
        List<String> dirs = new ArrayList<>();
        for (ManifestEntry entry : extracted) {
            if (entry.type() == EntryType.FILE) {
                durability.sync(root.resolve(entry.path()), false);
            } else if (entry.type() == EntryType.DIRECTORY) {
                dirs.add(entry.path());
            }
        }
        // a directory's entries (files, links, subdirectories) are made durable by syncing the directory itself
        dirs.sort(Comparator.reverseOrder());
        for (String dir : dirs) {
            durability.sync(root.resolve(dir), true);
        }
        durability.sync(root, true);
    }

    private void applyAttributes() throws IOException {
        List<ManifestEntry> dirs = new ArrayList<>();
        for (ManifestEntry entry : extracted) {
            Path path = root.resolve(entry.path());
            if (entry.type() == EntryType.DIRECTORY) {
                dirs.add(entry);
                continue;
            }
            if (entry.type() == EntryType.FILE) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(rwx(entry.mode())));
            }
            setTime(path, entry.mtime());
        }
        dirs.sort((a, b) -> b.path().compareTo(a.path()));
        for (ManifestEntry entry : dirs) {
            Path path = root.resolve(entry.path());
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(rwx(entry.mode())));
            setTime(path, entry.mtime());
        }
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
