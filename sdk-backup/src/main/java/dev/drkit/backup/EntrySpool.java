package dev.drkit.backup;

import dev.drkit.backup.internal.Digests;
import dev.drkit.backup.store.PendingBackup;
import dev.drkit.backup.internal.SafePaths;
import dev.drkit.backup.internal.store.Leftovers;
import dev.drkit.core.internal.Procfs;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * The entries of a directory backup as it is archived: kept in memory while the manifest could list them, then,
 * once they pass that budget, written as the lines of an entries object ({@value BackupManifest#ENTRIES_OBJECT_NAME},
 * manifest format {@value BackupManifest#FORMAT_VERSION_ENTRIES}) to a temporary file (mode 0600), so that the heap
 * does not grow with the tree. The store takes one object at a time and the data object is being written, so the
 * lines wait in that file until the data is complete. {@link #close()} removes it. Not thread-safe.
 */
final class EntrySpool implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(EntrySpool.class);
    /** How the temporary files' names start; then the owner's tag ({@link Procfs.Owner}), a number, ".jsonl". */
    static final String PREFIX = "drkit-entries-";

    private final String backupId;
    private final String sourceDescription;
    private final long inlineBudget;
    private final int maxEntries;
    private final Path directory;
    private @Nullable List<ManifestEntry> inMemory = new ArrayList<>();
    private long inlineBytes;
    private int count;
    private @Nullable Path file;
    private @Nullable OutputStream out;
    private final MessageDigest sha = Digests.sha256();
    private long bytes;
    private @Nullable String previous;

    /**
     * @param inlineBudget the most bytes the entries may take in a manifest before they go to a file
     * @param maxEntries   the most entries the backup may have ({@link BackupManifest#MAX_ENTRIES})
     * @param directory    where that file is made
     */
    EntrySpool(String backupId, String sourceDescription, long inlineBudget, int maxEntries, Path directory) {
        this.backupId = backupId;
        this.sourceDescription = sourceDescription;
        this.inlineBudget = inlineBudget;
        this.maxEntries = maxEntries;
        this.directory = directory;
    }

    /**
     * Adds the next entry, in archive order.
     *
     * @throws ManifestTooLargeException  past the most entries
     * @throws UnsupportedSourceException if the entry does not come after the last in archive order: two names
     *                                    read as the same path, which no reader would accept
     * @throws BackupIoException          if the temporary file cannot be written
     */
    void add(ManifestEntry entry) {
        if (count == maxEntries) {
            throw ManifestFormat.tooManyEntries(backupId, sourceDescription, count + 1L, maxEntries);
        }
        if (previous != null && ManifestFormat.compareArchiveOrder(previous, entry.path()) >= 0) {
            throw new UnsupportedSourceException("Backup " + backupId + " of " + sourceDescription + " refused: it "
                + "holds two names that read as the same path \"" + SafePaths.printable(entry.path()) + "\" (names "
                + "that are not valid UTF-8); nothing was kept. Rename them, or archive the directory yourself and back "
                + "the archive up as a stream", java.util.Map.of("backup", backupId, "path",
                SafePaths.printable(entry.path())));
        }
        previous = entry.path();
        count++;
        if (inMemory != null) {
            inMemory.add(entry);
            inlineBytes += ManifestFormat.entryBytes(entry);
            if (inlineBytes > inlineBudget) {
                List<ManifestEntry> held = inMemory;
                inMemory = null;
                open();
                held.forEach(this::write);  // the file holds every entry from now on
            }
        } else {
            write(entry);
        }
    }

    /** The number of entries added. */
    int count() {
        return count;
    }

    /** What the entries still in memory take in a manifest ({@link ManifestFormat#entryBytes}, added up). */
    long inlineBytes() {
        return inlineBytes;
    }

    /** The entries, when they are still in memory; else {@code null}: they are in the file. */
    @Nullable List<ManifestEntry> inMemory() {
        return inMemory;
    }

    /**
     * Writes the entries as the backup's entries object and returns its description for the manifest. Call once,
     * after the last {@link #add}.
     *
     * @throws IOException if the store fails; the spool's own failures are {@link BackupIoException}s
     */
    DataPart writeObject(PendingBackup pending) throws IOException {
        try (OutputStream object = pending.create(BackupManifest.ENTRIES_OBJECT_NAME)) {
            if (inMemory != null) {
                // still in memory (within the budget, but not within the manifest with its other fields): no file
                for (ManifestEntry entry : inMemory) {
                    object.write(line(entry));
                }
                inMemory = null;
                return description();
            }
            try {
                out.close();
            } catch (IOException e) {
                throw spoolFailed(e);
            }
            // A failure to read the temporary file is the spool's, not the store's.
            InputStream in;
            try {
                in = Files.newInputStream(file);
            } catch (IOException e) {
                throw spoolFailed(e);
            }
            try (in) {
                byte[] buffer = new byte[256 * 1024];
                while (true) {
                    int n;
                    try {
                        n = in.read(buffer);
                    } catch (IOException e) {
                        throw spoolFailed(e);
                    }
                    if (n < 0) {
                        break;
                    }
                    object.write(buffer, 0, n);
                }
            }
        }
        return description();
    }

    private DataPart description() {
        return new DataPart(BackupManifest.ENTRIES_OBJECT_NAME, bytes, Digests.hex(sha));
    }

    private void open() {
        try {
            file = Files.createTempFile(directory, PREFIX + Procfs.Owner.self().map(o -> o.tag() + "-").orElse(""),
                ".jsonl", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            out = new BufferedOutputStream(Files.newOutputStream(file), 256 * 1024);
        } catch (IOException e) {
            throw spoolFailed(e);
        }
        sweepStale(file);
    }

    /**
     * Removes the temporary files that backups killed midway (no {@link #close()} ran) left in the directory: only
     * regular files of this user named after an owner process that is gone. Best effort: never throws.
     */
    private static void sweepStale(Path own) {
        Leftovers.sweep(own, PREFIX, java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(PREFIX) + "("
            + Procfs.Owner.TAG_REGEX + ")-[0-9]{1,20}\\.jsonl"), false, new Leftovers.Report() {
                @Override
                public void removed(Path leftover, Procfs.Owner owner) {
                    log.info("Backup: removed {}, the temporary list of entries of a backup by process {}, which is "
                        + "gone", leftover, owner.pid());
                }

                @Override
                public void notRemoved(Path leftover, Procfs.Owner owner, Exception why) {
                    log.debug("Backup: cannot remove {}: {}", leftover, BackupEngine.describe(why));
                }
            });
    }

    private void write(ManifestEntry entry) {
        byte[] line = line(entry);
        try {
            out.write(line);
        } catch (IOException e) {
            throw spoolFailed(e);
        }
    }

    /** The entry's line of the object, counted into its size and SHA-256. */
    private byte[] line(ManifestEntry entry) {
        byte[] line = ManifestFormat.entryLine(entry);
        sha.update(line);
        bytes += line.length;
        return line;
    }

    private BackupIoException spoolFailed(IOException e) {
        return new BackupIoException("Backup " + backupId + " of " + sourceDescription + " failed: its "
            + count + " entries, too many for its manifest, could not be kept in a temporary file in " + directory
            + " (" + BackupEngine.describe(e) + "); nothing was kept. Give the backup a temporary directory with room"
            + " (drkit backup --temp-dir, BackupEngine.Builder.temporaryDirectory; default java.io.tmpdir)",
            java.util.Map.of("backup", backupId, "temporaryDirectory", directory.toString()), e);
    }

    /**
     * Removes the temporary file, if there is one. Never throws: it runs after the backup was committed too, which a
     * leftover file must not turn into a failure; one that cannot be removed is logged.
     */
    @Override
    public void close() {
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException e) {
            // the file goes anyway
        }
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("Backup {}: cannot remove its temporary list of entries {} ({}); remove it by hand",
                    backupId, file, BackupEngine.describe(e));
            }
        }
    }
}
