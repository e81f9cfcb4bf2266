package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupIoException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A spool directory of markers, one per WAL file that a batch push archived ahead of PostgreSQL's request, so that
 * {@code archive_command} can answer for that file in the shell, without starting a JVM (what pgBackRest's
 * asynchronous archiving does with its spool).
 *
 * <p>A marker {@code SPOOL/NAME.ok} is written only after the file's entry is committed in the store, and it binds
 * three things: the WAL file as it is in {@code pg_wal} (device, inode, size and modification time to the nanosecond, as
 * {@code stat -c %d:%i:%s:%.9Y} prints them), and the store's record of the file ({@value WalArchive#META_OBJECT}:
 * size and SHA-256 of the content, SHA-256 of the stored object). The shell test of
 * {@link #archiveCommand(Path, Path, String)} trusts a marker only while the file in {@code pg_wal} is still that
 * same file and, for a directory store, the store still holds that same record; otherwise the command falls through
 * to {@code drkit wal-push}, which compares the content with the store as always (identical: exit 0, different:
 * refused). So a marker left from another cluster that reused the spool, a segment rewritten in place, or a store
 * entry deleted or replaced since the marker was written is never trusted.
 *
 * <p>Markers do not pile up: the shell removes a marker when it uses it; every {@code wal-push} removes the marker
 * of the file it was asked for, and {@link #prune} removes markers of files PostgreSQL no longer lists as ready
 * ({@code pg_wal/archive_status/NAME.ready}), which PostgreSQL will therefore never ask about, and leftovers of
 * marker writes that were killed. Nothing here ever writes PostgreSQL's {@code .ready} or {@code .done} files:
 * PostgreSQL marks a file done when {@code archive_command} returns 0 for it.
 *
 * <p>One spool per server: two servers sharing a spool would prune each other's markers (harmless, only slower).
 * Thread-safe; concurrent writers of the same marker each write a complete one.
 *
 * @since 0.1
 */
public final class WalSpool {

    /** The suffix of a marker: {@code NAME.ok}. */
    public static final String MARKER_SUFFIX = ".ok";
    /** Characters a shell word may hold unquoted, as an argument, with the same meaning. */
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9/._+,:=@-]+");

    private static final Logger log = LoggerFactory.getLogger(WalSpool.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path directory;

    private WalSpool(Path directory) {
        this.directory = directory;
    }

    /**
     * Opens the spool in {@code directory}, creating it (mode 0700) if it does not exist.
     *
     * @throws BackupIoException if the directory cannot be created or is not a directory
     */
    public static WalSpool open(Path directory) {
        Objects.requireNonNull(directory, "directory");
        Path dir = directory.toAbsolutePath();
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new BackupIoException("WAL spool " + dir + " cannot be created: " + e.getMessage(),
                Map.of("spool", dir.toString()), e);
        }
        return new WalSpool(dir);
    }

    /** The spool directory. */
    public Path directory() {
        return directory;
    }

    /**
     * The {@code archive_command} that answers from the spool in the shell and otherwise runs {@code walPushCommand}:
     * <pre>
     * { test "$(stat -c %%d:%%i:%%s:%%.9Y %p &amp;&amp; cat STORE/%f/wal.json)" = "$(cat SPOOL/%f.ok)"; } 2&gt;/dev/null
     *     &amp;&amp; rm -f SPOOL/%f.ok || WAL_PUSH_COMMAND
     * </pre>
     * (on one line). The test is true only if the marker matches the file in {@code pg_wal} and the store's record
     * (see the class description); then the marker is removed and the command exits 0. A marker that was removed
     * already, or a failing {@code rm}, falls through to the push, which succeeds for identical content. Needs GNU
     * {@code stat} (Linux).
     *
     * @param spool          the spool directory
     * @param fileStore      the root of a directory store ({@code FileSystemStore}), whose record the test compares
     *                       too; {@code null} for other stores, whose record only {@code wal-push} can check
     * @param walPushCommand the {@code drkit wal-push --spool SPOOL ... %p} command, as it would stand alone
     */
    public static String archiveCommand(Path spool, @Nullable Path fileStore, String walPushCommand) {
        Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(walPushCommand, "walPushCommand");
        String marker = percent(shellQuote(spool.toAbsolutePath().toString())) + "/%f" + MARKER_SUFFIX;
        String actual = fileStore == null ? "stat -c %%d:%%i:%%s:%%.9Y %p"
            : "stat -c %%d:%%i:%%s:%%.9Y %p && cat " + percent(shellQuote(fileStore.toAbsolutePath().toString()))
                + "/%f/" + WalArchive.META_OBJECT;
        String expected = fileStore == null ? "head -n 1 " + marker : "cat " + marker;
        return "{ test \"$(" + actual + ")\" = \"$(" + expected + ")\"; } 2>/dev/null && rm -f " + marker + " || "
            + walPushCommand;
    }

    /**
     * The WAL files PostgreSQL has marked ready for archiving in {@code walDirectory} ({@code pg_wal}), in the
     * order its archiver takes them: timeline history files first, then by name (oldest segment first).
     *
     * @throws BackupIoException if {@code walDirectory/archive_status} cannot be read
     */
    public static List<String> readyFiles(Path walDirectory) {
        Path status = walDirectory.resolve("archive_status");
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(status, "*.ready")) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                String name = file.substring(0, file.length() - ".ready".length());
                if (WalArchive.isWalFileName(name)) {
                    names.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new BackupIoException("cannot list " + status + ": " + e.getMessage(),
                Map.of("directory", status.toString()), e);
        }
        names.sort(Comparator.comparing((String n) -> !n.endsWith(".history")).thenComparing(Comparator.naturalOrder()));
        return List.copyOf(names);
    }

    /**
     * Pushes {@code walFile} into {@code archive} and, once its entry is committed (or found archived already with
     * identical content), leaves its marker. No marker is written if the file changed while it was pushed.
     *
     * @return what the push did
     * @throws WalConflictException as {@link WalArchive#push}; no marker is written
     * @throws BackupIoException    as {@link WalArchive#push}, or if the marker cannot be written
     */
    public WalPushResult pushAndMark(WalArchive archive, Path walFile) {
        Pushed pushed = push(archive, walFile);
        pushed.marker().ifPresent(this::mark);
        return pushed.result();
    }

    /**
     * A file pushed, and the marker to write for it ({@link #mark}); no marker if the file changed while it was
     * pushed.
     *
     * @param result what the push did
     * @param marker the marker, to be written by {@link #mark}
     * @since 0.1
     */
    public record Pushed(WalPushResult result, Optional<Marker> marker) {
    }

    /**
     * What a marker holds, not yet written.
     *
     * @since 0.1
     */
    public static final class Marker {
        private final String name;
        private final byte[] content;

        private Marker(String name, byte[] content) {
            this.name = name;
            this.content = content;
        }

        /** The WAL file's name. */
        public String name() {
            return name;
        }
    }

    /**
     * Pushes {@code walFile} into {@code archive} (removing its marker first) and returns the marker to write once
     * its entry is committed (or found archived already with identical content), without writing it: a caller that
     * pushes several files at once writes their markers in its own order with {@link #mark}.
     *
     * @throws WalConflictException as {@link WalArchive#push}
     * @throws BackupIoException    as {@link WalArchive#push}, or if the store's record cannot be read
     */
    public Pushed push(WalArchive archive, Path walFile) {
        Objects.requireNonNull(archive, "archive");
        String name = String.valueOf(walFile.getFileName());
        remove(name);
        String before = fingerprint(walFile);
        WalPushResult result = archive.push(walFile);
        String after = fingerprint(walFile);
        if (!before.equals(after)) {
            log.warn("WAL spool {}: {} changed while it was pushed ({} -> {}); no marker written", directory, name,
                before, after);
            return new Pushed(result, Optional.empty());
        }
        byte[] record = record(archive, name).orElseThrow(() -> new BackupIoException("WAL archive "
            + archive.store().location() + " has no record of " + name + " right after pushing it",
            Map.of("walFile", name), null));
        return new Pushed(result, Optional.of(new Marker(name,
            concat((after + "\n").getBytes(StandardCharsets.US_ASCII), record))));
    }

    /**
     * Writes a marker that {@link #push} returned.
     *
     * @throws BackupIoException if it cannot be written
     */
    public void mark(Marker marker) {
        write(marker.name, marker.content, new byte[0]);
    }

    /**
     * Whether a marker for {@code walFile} exists and holds: the same file (device, inode, size, modification time)
     * and the record {@code archive} holds now. The shell test of {@link #archiveCommand} checks the same, except that
     * for a store that is not a directory it cannot read the record.
     *
     * @throws BackupIoException if the store cannot be read
     */
    public boolean isMarked(Path walFile, WalArchive archive) {
        String name = String.valueOf(walFile.getFileName());
        byte[] marker;
        try {
            marker = Files.readAllBytes(markerPath(name));
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
        String actual;
        try {
            actual = fingerprint(walFile);
        } catch (BackupIoException e) {
            return false;
        }
        Optional<byte[]> record = record(archive, name);
        if (record.isEmpty()) {
            return false;
        }
        return stripTrailingNewlines(concat((actual + "\n").getBytes(StandardCharsets.US_ASCII), record.get()))
            .equals(stripTrailingNewlines(marker));
    }

    /**
     * Removes the marker of {@code walFileName}, if there is one.
     *
     * @throws BackupIoException if it exists and cannot be removed
     */
    public void remove(String walFileName) {
        Path marker = markerPath(walFileName);
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            throw new BackupIoException("WAL spool " + directory + ": cannot remove " + marker + ": "
                + e.getMessage(), Map.of("spool", directory.toString()), e);
        }
    }

    /** The names of the files that have a marker, in ascending order. */
    public List<String> markedNames() {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, "*" + MARKER_SUFFIX)) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                String name = file.substring(0, file.length() - MARKER_SUFFIX.length());
                if (WalArchive.isWalFileName(name)) {
                    names.add(name);
                }
            }
        } catch (IOException e) {
            throw new BackupIoException("WAL spool " + directory + " cannot be listed: " + e.getMessage(),
                Map.of("spool", directory.toString()), e);
        }
        names.sort(Comparator.naturalOrder());
        return List.copyOf(names);
    }

    /**
     * Removes the markers of files that {@code walDirectory/archive_status} no longer lists as ready (PostgreSQL
     * will not ask for them), and leftovers of marker writes that were interrupted a minute or more ago.
     *
     * @return how many files were removed
     * @throws BackupIoException if the spool cannot be listed
     */
    public int prune(Path walDirectory) {
        Path status = walDirectory.resolve("archive_status");
        int removed = 0;
        long staleBefore = System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(1);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                boolean stale;
                if (file.startsWith(".") && file.endsWith(TEMP_SUFFIX)) {
                    stale = lastModified(entry) < staleBefore;
                } else if (file.endsWith(MARKER_SUFFIX)
                    && WalArchive.isWalFileName(file.substring(0, file.length() - MARKER_SUFFIX.length()))) {
                    String name = file.substring(0, file.length() - MARKER_SUFFIX.length());
                    stale = !Files.exists(status.resolve(name + ".ready"));
                } else {
                    stale = false;
                }
                if (stale && Files.deleteIfExists(entry)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            throw new BackupIoException("WAL spool " + directory + " cannot be pruned: " + e.getMessage(),
                Map.of("spool", directory.toString()), e);
        }
        if (removed > 0) {
            log.debug("WAL spool {}: removed {} markers of files no longer ready", directory, removed);
        }
        return removed;
    }

    /**
     * The identity of {@code walFile} as {@code stat -c %d:%i:%s:%.9Y} prints it: device, inode, size and
     * modification time in seconds with nine decimals.
     *
     * @throws BackupIoException if the file cannot be read
     */
    public static String fingerprint(Path walFile) {
        try {
            Map<String, Object> a = Files.readAttributes(walFile, "unix:dev,ino,size,lastModifiedTime");
            Instant modified = ((FileTime) a.get("lastModifiedTime")).toInstant();
            return a.get("dev") + ":" + a.get("ino") + ":" + a.get("size") + ":" + modified.getEpochSecond() + "."
                + String.format(Locale.ROOT, "%09d", modified.getNano());
        } catch (NoSuchFileException e) {
            throw new BackupIoException("WAL file " + walFile + " does not exist", Map.of("file", walFile.toString()),
                e);
        } catch (IOException | UnsupportedOperationException e) {
            throw new BackupIoException("cannot read the attributes of " + walFile + ": " + e.getMessage(),
                Map.of("file", walFile.toString()), e);
        }
    }

    // ------------------------------------------------------------------------------------------------ internals

    private Path markerPath(String walFileName) {
        if (!WalArchive.isWalFileName(walFileName)) {
            throw new IllegalArgumentException("not a WAL file name: \"" + walFileName.replaceAll("\\p{Cntrl}", "?")
                + "\"");
        }
        return directory.resolve(walFileName + MARKER_SUFFIX);
    }

    private void write(String name, byte[] first, byte[] second) {
        Path marker = markerPath(name);
        Path temp = directory.resolve("." + name + MARKER_SUFFIX + "." + Long.toHexString(RANDOM.nextLong())
            + TEMP_SUFFIX);
        try {
            replaceAtomically(marker, temp, concat(first, second));
        } catch (IOException e) {
            throw new BackupIoException("WAL spool " + directory + ": cannot write the marker of " + name + ": "
                + e.getMessage(), Map.of("spool", directory.toString(), "walFile", name), e);
        }
    }

    /**
     * Writes {@code content} to {@code temp} (created 0600, beside {@code file}) and renames it over {@code file} in
     * one step, so a reader sees the old file or the whole new one; {@code temp} is removed if anything fails.
     */
    static void replaceAtomically(Path file, Path temp, byte[] content) throws IOException {
        try {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(temp, content, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the spool's file system cannot rename atomically", e);
            }
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                log.debug("cannot remove {}: {}", temp, e.getMessage());
            }
        }
    }

    private static Optional<byte[]> record(WalArchive archive, String name) {
        try {
            return archive.recordBytes(name);
        } catch (IOException e) {
            throw new BackupIoException("cannot read WAL archive " + archive.store().location() + ": "
                + e.getMessage(), Map.of("store", archive.store().location(), "walFile", name), e);
        }
    }

    private static long lastModified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** As the shell's command substitution reads them: trailing newlines dropped. */
    private static String stripTrailingNewlines(byte[] bytes) {
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == '\n') {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
    }

    /** {@code value} quoted for {@code /bin/sh}. */
    static String shellQuote(String value) {
        // A path of plain characters needs no quotes, and without them the line can go inside postgresql.conf's
        // '...' as it is; any other is quoted, and then its quotes must be doubled there.
        if (!value.isEmpty() && SHELL_SAFE.matcher(value).matches()) {
            return value;
        }
        return "'" + value.replace("'", "'\\''") + "'";
    }

    /** {@code value} for archive_command, where PostgreSQL reads {@code %} as the start of a placeholder. */
    static String percent(String value) {
        return value.replace("%", "%%");
    }
}
