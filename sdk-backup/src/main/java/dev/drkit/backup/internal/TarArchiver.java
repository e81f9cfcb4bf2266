package dev.drkit.backup.internal;

import dev.drkit.backup.ManifestEntry;
import dev.drkit.backup.SourceChangedException;
import dev.drkit.backup.internal.store.FileWriterLock;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipEncoding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Writes a directory tree as a POSIX (PAX) tar stream in name order, hashing each regular file as it streams,
 * and returns the manifest entries. Links are stored as links, never followed; other special files are skipped
 * with a warning; a file whose size or modification time changes while it is read fails with
 * {@link SourceChangedException}. Memory use is one buffer, whatever the file sizes.
 *
 * <p>A file this process uses as a store's writer lock (a source directory that contains the store, as a backup
 * of {@code /var} into {@code /var/backups}) is skipped with a warning, never opened: closing a descriptor of it
 * would drop the lock this process holds on it ({@link FileWriterLock}).
 */
public final class TarArchiver {

    private static final Logger log = LoggerFactory.getLogger(TarArchiver.class);
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final int BUFFER = 64 * 1024;

    private final TarArchiveOutputStream tar;
    private int entries;
    private final Consumer<ManifestEntry> onEntry;
    private final byte[] buffer = new byte[BUFFER];

    private TarArchiver(OutputStream out, Consumer<ManifestEntry> onEntry) {
        this.onEntry = onEntry;
        this.tar = new TarArchiveOutputStream(new NonClosing(out), "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    /**
     * Writes the tree under {@code root} (not {@code root} itself) to {@code out}, which stays open, calling
     * {@code onEntry} with each entry as it is archived (depth first, each directory's names sorted); what it throws
     * stops the archive and is thrown unchanged. Keeps no list of the entries: the caller does, if it needs one.
     *
     * @return the number of entries
     */
    public static int write(Path root, OutputStream out, Consumer<ManifestEntry> onEntry) throws IOException {
        TarArchiver archiver = new TarArchiver(out, onEntry);
        archiver.walk(root, "");
        archiver.tar.finish();
        archiver.tar.flush();
        return archiver.entries;
    }

    private void walk(Path directory, String prefix) throws IOException {
        // Names, not paths: a directory of many entries is listed whole to sort it, and a Path costs twice a String.
        List<String> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            stream.forEach(child -> children.add(child.getFileName().toString()));
        }
        Collections.sort(children);
        for (String childName : children) {
            Path child = directory.resolve(childName);
            String name = prefix + childName;
            PosixFileAttributes attributes = Files.readAttributes(child, PosixFileAttributes.class, NOFOLLOW);
            if (attributes.isSymbolicLink()) {
                String target = Files.readSymbolicLink(child).toString();
                TarArchiveEntry entry = entry(name, TarConstants.LF_SYMLINK, attributes);
                entry.setLinkName(target);
                entry.setMode(0120777);
                tar.putArchiveEntry(entry);
                tar.closeArchiveEntry();
                add(ManifestEntry.symlink(name, target, attributes.lastModifiedTime().toInstant()));
            } else if (attributes.isDirectory()) {
                int mode = mode(attributes.permissions());
                TarArchiveEntry entry = entry(name + "/", TarConstants.LF_DIR, attributes);
                entry.setMode(040000 | mode);
                tar.putArchiveEntry(entry);
                tar.closeArchiveEntry();
                add(ManifestEntry.directory(name, mode, attributes.lastModifiedTime().toInstant()));
                walk(child, name + "/");
            } else if (attributes.isRegularFile() && FileWriterLock.isLockFile(attributes.fileKey())) {
                log.warn("Backup: skipped {} under the source directory: it is the writer lock of a store this process "
                    + "writes to, and reading it would drop the lock", SafePaths.printable(name));
            } else if (attributes.isRegularFile()) {
                int mode = mode(attributes.permissions());
                TarArchiveEntry entry = entry(name, TarConstants.LF_NORMAL, attributes);
                entry.setMode(0100000 | mode);
                entry.setSize(attributes.size());
                tar.putArchiveEntry(entry);
                String sha256 = copyFile(child, attributes, tar, buffer);
                tar.closeArchiveEntry();
                add(ManifestEntry.file(name, attributes.size(), mode,
                    attributes.lastModifiedTime().toInstant(), sha256));
            } else {
                log.warn("Backup: skipped {} under the source directory: not a regular file, directory or symbolic "
                    + "link", SafePaths.printable(name));
            }
        }
    }

    private void add(ManifestEntry entry) {
        onEntry.accept(entry);
        entries++;
    }

    private static TarArchiveEntry entry(String name, byte type, PosixFileAttributes attributes) {
        TarArchiveEntry entry = new HeaderEntry(name, type);
        // Whole seconds, as a tar header holds them: a finer time needs a PAX header of its own (1 KiB more per
        // entry), which made a backup of 20,000 small files a quarter slower. The manifest keeps the exact time,
        // which drkit's restore applies; `tar -x` restores it to the second.
        entry.setModTime(FileTime.from(attributes.lastModifiedTime().to(TimeUnit.SECONDS), TimeUnit.SECONDS));
        entry.setUserName("");
        entry.setGroupName("");
        // Owners are not recorded (uid and gid 0, no names): drkit restores do not change owners.
        entry.setUserId(0);
        entry.setGroupId(0);
        return entry;
    }

    /**
     * Copies exactly {@code before.size()} bytes of {@code file} to {@code out}, failing if the file turns out to
     * be shorter or longer, or its size or modification time differ afterwards.
     *
     * @return the SHA-256 of what was copied, lowercase hex
     */
    public static String copyFile(Path file, PosixFileAttributes before, OutputStream out, byte[] buffer)
        throws IOException {
        MessageDigest digest = Digests.sha256();
        long size = before.size();
        long copied = 0;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            while (copied < size) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, size - copied));
                if (n < 0) {
                    throw changed(file, "it shrank from " + size + " to " + copied + " bytes while it was read");
                }
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
                copied += n;
            }
            if (in.read() >= 0) {
                throw changed(file, "it grew beyond " + size + " bytes while it was read");
            }
        }
        PosixFileAttributes after = Files.readAttributes(file, PosixFileAttributes.class, NOFOLLOW);
        if (after.size() != size || !after.lastModifiedTime().equals(before.lastModifiedTime())) {
            throw changed(file, "its size or modification time changed while it was read");
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static SourceChangedException changed(Path file, String how) {
        return new SourceChangedException("Backup source file " + file.getFileName() + " changed: " + how
            + "; the backup was abandoned, run it again when the file is quiet", Map.of("path", file.toString()));
    }

    /** The permission bits of {@code permissions}, 0..0777. */
    public static int mode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            mode |= 1 << (8 - p.ordinal());
        }
        return mode;
    }

    /**
     * A tar entry whose header cuts a long name (or link target) to the header field's 100 bytes in at most about
     * 100 encodings, where commons-compress shortens it one character at a time, encoding the rest again each time:
     * milliseconds per entry for paths of a few thousand bytes, tens of microseconds for 150-byte ones. The bytes
     * written are the same: the longest prefix whose encoding fits, and no prefix longer than 100 characters can
     * (every character takes at least a byte). The whole name goes into the entry's PAX header, which the stream
     * writes from the full name before this header.
     */
    static final class HeaderEntry extends TarArchiveEntry {

        HeaderEntry(String name, byte type) {
            super(name, type);
        }

        @Override
        public void writeEntryHeader(byte[] outbuf, ZipEncoding encoding, boolean starMode) throws IOException {
            String name = getName();
            String link = getLinkName();
            String fittingName = fitting(name, encoding);
            String fittingLink = link == null || link.isEmpty() ? link : fitting(link, encoding);
            if (fittingName == name && fittingLink == link) {
                super.writeEntryHeader(outbuf, encoding, starMode);
                return;
            }
            setName(fittingName);
            setLinkName(fittingLink);
            try {
                super.writeEntryHeader(outbuf, encoding, starMode);
            } finally {
                setName(name);
                setLinkName(link);
            }
        }

        /**
         * Whether {@code text} fits the field in UTF-8 (this archiver's encoding) without encoding it to see: ASCII
         * up to the field's length (a byte each), anything up to a third of it (no character takes more than 3
         * bytes; a surrogate pair, 2 characters, takes 4). Most names do, and encoding each costs.
         */
        static boolean surelyFits(String text) {
            int length = text.length();
            if (length * 3 <= TarConstants.NAMELEN) {
                return true;
            }
            if (length > TarConstants.NAMELEN) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (text.charAt(i) >= 0x80) {
                    return false;
                }
            }
            return true;
        }

        /** {@code text} itself if its encoding fits the field, else its longest prefix that does. */
        static String fitting(String text, ZipEncoding encoding) throws IOException {
            if (surelyFits(text) || encoding.encode(text).limit() <= TarConstants.NAMELEN) {
                return text;
            }
            for (int length = Math.min(text.length() - 1, TarConstants.NAMELEN); length > 0; length--) {
                String prefix = text.substring(0, length);
                if (encoding.encode(prefix).limit() <= TarConstants.NAMELEN) {
                    return prefix;
                }
            }
            return "";
        }
    }

    /** Passes everything through except close, so the tar stream can be finished without closing {@code out}. */
    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
