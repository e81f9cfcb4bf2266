package dev.drkit.backup;

import org.jspecify.annotations.Nullable;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a restore checks about its target before it writes anything, where a failure found later would come only after
 * the whole copy had been written (and would have filled the file system meanwhile), and what it looks for beside the
 * target. Each check refuses only what cannot work: when it cannot tell, it lets the restore go on, and the restore
 * reports whatever happens as before.
 */
final class RestoreTargetChecks {

    /**
     * File system types that are not judged for room: they may store less than they are given (compression,
     * deduplication), or report figures of a server whose storage cannot be seen from here. {@code fuse.*} too.
     */
    static final Set<String> UNJUDGED_FILE_SYSTEMS = Set.of("zfs", "btrfs", "bcachefs", "f2fs", "nilfs2", "nfs",
        "nfs4", "cifs", "smb3", "smbfs", "ceph", "9p", "virtiofs", "glusterfs", "lustre", "gpfs", "fuse", "fuseblk");

    /**
     * The most a file is rounded up to: a file takes at least one allocation unit, but some file systems report an
     * I/O size far larger than what they allocate, and the figure must stay a lower bound.
     */
    static final long MAX_ROUNDING = 4096;

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
    private static final Pattern OCTAL_ESCAPE = Pattern.compile("\\\\([0-7]{3})");

    private RestoreTargetChecks() {
    }

    /**
     * Refuses a target that is a mount point (a file system mounted there, or a bind mount of a file or directory):
     * the copy is written beside it and renamed into place, and the kernel refuses to rename a mount point (EBUSY).
     * Read from this process's mount table; a target that is a symbolic link is not a mount point (the link itself is
     * replaced). Without a mount table nothing is refused.
     */
    static void checkNotAMountPoint(String id, Path parent, Path target) {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(target)) {
            return;
        }
        Set<String> mountPoints = mountPoints();
        Path real;
        try {
            real = parent.toRealPath().resolve(target.getFileName());
        } catch (IOException e) {
            return;
        }
        if (mountPoints == null || !mountPoints.contains(real.toString())) {
            return;
        }
        throw new BackupIoException("Restore of backup " + id + " refused: " + target + " is a mount point, which a"
            + " restore cannot replace: it writes its copy beside the target and renames it into place, and a mount"
            + " point cannot be renamed. Nothing was written and " + target + " was left as it was. Restore into a"
            + " directory inside it (such as " + target.resolve("restored") + ") or elsewhere, and move the files",
            context(id, target), null);
    }

    /** The mount points of this process's mount namespace, or null if they cannot be read. */
    static @Nullable Set<String> mountPoints() {
        Set<String> points = new HashSet<>();
        try (BufferedReader in = Files.newBufferedReader(MOUNTINFO, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                // id parent major:minor root MOUNT-POINT options ...; spaces and the like escaped as \040
                String[] fields = line.split(" ", 6);
                if (fields.length >= 5) {
                    points.add(unescape(fields[4]));
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return points;
    }

    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        Matcher m = OCTAL_ESCAPE.matcher(field);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf((char) Integer.parseInt(m.group(1), 8))));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * Refuses a restore whose data cannot fit beside {@code target}. The restored copy comes on top of what is there
     * (an existing target is kept as {@code .pre-restore}). Judged against the space this process may write (for root
     * the blocks reserved for it too), with each file of the manifest rounded up to whole allocation units (at most
     * {@link #MAX_ROUNDING}): a lower bound on what the data takes where it is stored as written, so a restore that
     * would have fitted is not refused. {@link #UNJUDGED_FILE_SYSTEMS} and file systems reporting no size are not
     * judged. Call it after the restore's own staging copy exists and stale copies were removed: they take room.
     *
     * @param entries hands each entry of a directory backup to its argument (read from the store if need be)
     */
    static void checkRoomFor(BackupManifest manifest, Consumer<Consumer<ManifestEntry>> entries, Path parent,
                             Path target) {
        long available;
        long unit;
        try {
            FileStore store = Files.getFileStore(parent);
            String type = store.type().toLowerCase(Locale.ROOT);
            if (store.getTotalSpace() <= 0 || UNJUDGED_FILE_SYSTEMS.contains(type) || type.startsWith("fuse.")) {
                return;
            }
            available = mayUseReservedBlocks() ? store.getUnallocatedSpace() : store.getUsableSpace();
            unit = Math.max(1, Math.min(store.getBlockSize(), MAX_ROUNDING));
        } catch (IOException | UnsupportedOperationException e) {
            return;
        }
        long needed = neededBytes(manifest, entries, unit);
        if (needed <= available) {
            return;
        }
        boolean exists = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        Map<String, String> context = context(manifest.id(), target);
        context.put("neededBytes", Long.toString(needed));
        context.put("availableBytes", Long.toString(available));
        throw new BackupIoException("Restore of backup " + manifest.id() + " refused: its data needs at least "
            + size(needed) + " in " + parent + ", and that file system has " + size(available) + " free. Nothing was"
            + " written" + (exists ? " and " + target + " was left as it was (it is kept beside the restored copy, so"
            + " both must fit)" : "") + ". Free some space there, or restore to another file system and move it",
            context, null);
    }

    /**
     * What the manifest's data takes at least, each file of {@code entries} rounded up to {@code unit}; saturates at
     * Long.MAX_VALUE.
     */
    static long neededBytes(BackupManifest manifest, Consumer<Consumer<ManifestEntry>> entries, long unit) {
        if (manifest.sourceKind() != SourceKind.DIRECTORY) {
            return roundUp(manifest.plaintextBytes(), unit);
        }
        long[] needed = new long[1];
        entries.accept(entry -> {
            if (entry.type() == EntryType.FILE) {
                long file = roundUp(entry.size(), unit);
                needed[0] = needed[0] > Long.MAX_VALUE - file ? Long.MAX_VALUE : needed[0] + file;
            }
        });
        return needed[0];
    }

    private static long roundUp(long bytes, long unit) {
        long units = bytes / unit + (bytes % unit == 0 ? 0 : 1);
        return units > Long.MAX_VALUE / unit ? Long.MAX_VALUE : units * unit;
    }

    /** Whether this process is root, which may write the blocks a file system reserves; if unknown, yes. */
    private static boolean mayUseReservedBlocks() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    static String size(long bytes) {
        if (bytes < 1024 * 1024) {
            return bytes + " bytes";
        }
        double mib = bytes / (1024.0 * 1024.0);
        return (mib < 1024 ? String.format(Locale.ROOT, "%.1f MiB", mib)
            : String.format(Locale.ROOT, "%.1f GiB", mib / 1024)) + " (" + bytes + " bytes)";
    }

    /**
     * The newest of the copies kept beside {@code target} ({@code <name>.pre-restore-<time>[-n]}), by time, then by
     * n; names of another form are ignored. Empty if there is none or the directory cannot be read.
     */
    static Optional<Path> newestAside(Path target) {
        String name = target.getFileName().toString();
        Pattern aside = Pattern.compile(Pattern.quote(name) + "\\.pre-restore-([0-9]{8}T[0-9]{6}Z)(?:-([0-9]{1,18}))?");
        Path newest = null;
        String newestStamp = "";
        long newestSuffix = -1;
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(target.getParent(),
            p -> p.getFileName().toString().startsWith(name + ".pre-restore-"))) {
            for (Path sibling : siblings) {
                Matcher m = aside.matcher(sibling.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                String stamp = m.group(1);
                long suffix = m.group(2) == null ? 0 : Long.parseLong(m.group(2));
                int byStamp = stamp.compareTo(newestStamp);
                if (newest == null || byStamp > 0 || (byStamp == 0 && suffix > newestSuffix)) {
                    newest = sibling;
                    newestStamp = stamp;
                    newestSuffix = suffix;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // no directory listing, no warning
        }
        return Optional.ofNullable(newest);
    }

    private static Map<String, String> context(String id, Path target) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("operation", "restore");
        context.put("backup", id);
        context.put("target", target.toString());
        return context;
    }
}
