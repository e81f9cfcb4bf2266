package dev.drkit.backup.postgres;

import org.slf4j.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing the scratch directories that drills and restore checks leave behind. */
final class ScratchTrees {

    private ScratchTrees() {
    }

    /**
     * Deletes {@code root} and everything under it, links as links; best effort: a failure is logged to
     * {@code log} as {@code "<who>: could not remove <root>"}, never thrown.
     */
    static void delete(Path root, Logger log, String who) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            log.warn("{}: could not remove {}: {}", who, root, e.getClass().getSimpleName());
        }
    }
}
