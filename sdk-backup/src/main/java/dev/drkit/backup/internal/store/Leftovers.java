package dev.drkit.backup.internal.store;

import dev.drkit.core.internal.Procfs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a process killed midway (SIGKILL, a crash: no {@code finally} ran) left in a directory, named after it
 * ({@link Procfs.Owner}): a restore's staging copy, a backup's temporary list of entries. The next process that
 * makes one of its own removes them, and only them.
 */
public final class Leftovers {

    /** Told what a sweep removed, or could not. */
    public interface Report {
        void removed(Path leftover, Procfs.Owner owner);

        void notRemoved(Path leftover, Procfs.Owner owner, Exception why);

        /** The directory could not be listed; nothing was removed. */
        default void notListed(Path directory, Exception why) {
        }
    }

    private Leftovers() {
    }

    /**
     * Removes the entries of {@code own}'s directory whose whole name matches {@code name} (its group 1 the owner's
     * tag, {@link Procfs.Owner#TAG_REGEX}), that belong to the user {@code own} belongs to, are regular files (or,
     * with {@code directories}, directories; never links, and nothing is followed inside), and whose owner process
     * is gone. Entries of a live or unknowable owner, of no owner, or of another user stay, and so does {@code own}.
     * Does nothing where processes cannot be told apart ({@link Procfs.Owner#self()} empty). Never throws.
     *
     * @param own     the caller's own file or directory there, just made
     * @param prefix  how the names start (to list only those)
     */
    public static void sweep(Path own, String prefix, Pattern name, boolean directories, Report report) {
        if (Procfs.Owner.self().isEmpty()) {
            return;
        }
        Object uid;
        try {
            uid = Files.getAttribute(own, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            return;
        }
        Path directory = own.toAbsolutePath().getParent();
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory,
                entry -> entry.getFileName().toString().startsWith(prefix))) {
            entries.forEach(candidates::add);
        } catch (IOException | RuntimeException e) {
            report.notListed(directory, e);
            return;
        }
        for (Path candidate : candidates) {
            Matcher matcher = name.matcher(candidate.getFileName().toString());
            Procfs.Owner owner = matcher.matches() ? Procfs.Owner.parse(matcher.group(1)).orElse(null) : null;
            if (owner == null || candidate.getFileName().equals(own.getFileName())) {
                continue;
            }
            try {
                BasicFileAttributes attributes = Files.readAttributes(candidate, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
                if (!(attributes.isRegularFile() || (directories && attributes.isDirectory()))
                    || !uid.equals(Files.getAttribute(candidate, "unix:uid", LinkOption.NOFOLLOW_LINKS))) {
                    continue;
                }
            } catch (IOException | RuntimeException e) {
                continue;
            }
            if (owner.liveness() != Procfs.Liveness.GONE) {
                continue;   // running now (here or in another process), or unknowable
            }
            try {
                LocalFiles.deleteTree(candidate);
                report.removed(candidate, owner);
            } catch (IOException | RuntimeException e) {
                report.notRemoved(candidate, owner, e);
            }
        }
    }
}
