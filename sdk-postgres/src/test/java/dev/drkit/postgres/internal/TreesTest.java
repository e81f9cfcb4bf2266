package dev.drkit.postgres.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TreesTest {

    /** Names shared by a swapped subdirectory and the victim, so a path redirected by a link hits a victim file. */
    private static final List<String> NAMES =
        IntStream.range(0, 30).mapToObj(i -> String.format("f%03d", i)).toList();

    @TempDir
    Path root;

    @Test
    void copiesADataDirectoryLeavingOutWhatABaseBackupLeavesOut() throws IOException {
        Path source = root.resolve("source");
        for (String file : List.of("PG_VERSION", "postgresql.conf", "postmaster.pid", "postmaster.opts",
            "standby.signal", "backup_label", "base/1/1259", "base/1/pg_internal.init", "global/pg_control",
            "pg_wal/000000010000000000000001", "pg_wal/archive_status/000000010000000000000001.done",
            "pg_replslot/r1/state", "pg_stat_tmp/global.stat", "pg_subtrans/0000", "base/pgsql_tmp/t1",
            "pg_xact/0000")) {
            Path p = source.resolve(file);
            Files.createDirectories(p.getParent());
            Files.writeString(p, file);
        }
        Files.createDirectories(source.resolve("pg_tblspc"));
        Path target = root.resolve("target");

        Trees.copyDataDirectory(source, target, RunAs.direct());

        try (Stream<Path> copied = Files.walk(target)) {
            assertThat(copied.filter(Files::isRegularFile).map(p -> target.relativize(p).toString()))
                .containsExactlyInAnyOrder("PG_VERSION", "postgresql.conf", "base/1/1259", "global/pg_control",
                    "pg_xact/0000");
        }
        assertThat(target.resolve("pg_wal/archive_status")).isEmptyDirectory();
        assertThat(target.resolve("pg_replslot")).isEmptyDirectory();
        assertThat(target.resolve("base/pgsql_tmp")).doesNotExist();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("PG_VERSION"))))
            .isEqualTo("rw-------");
    }

    @Test
    void refusesToCopyTablespaces() throws IOException {
        Path source = root.resolve("source");
        Files.createDirectories(source.resolve("pg_tblspc"));
        Files.createSymbolicLink(source.resolve("pg_tblspc/16384"), root);

        assertThatThrownBy(() -> Trees.copyDataDirectory(source, root.resolve("target"), RunAs.direct()))
            .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void neverCopiesThroughALinkOnTheTargetSide() throws IOException {
        Path source = root.resolve("source");
        Files.createDirectories(source.resolve("base"));
        Files.writeString(source.resolve("PG_VERSION"), "15\n");
        Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
        Path target = Files.createSymbolicLink(root.resolve("target"), elsewhere);

        assertThatThrownBy(() -> Trees.copyDataDirectory(source, target, RunAs.direct()))
            .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(elsewhere).isEmptyDirectory();
    }

    @Test
    void deletesTreesWithoutFollowingLinks() throws IOException {
        Path outside = Files.writeString(root.resolve("outside"), "keep me");
        Path tree = root.resolve("tree");
        Files.createDirectories(tree.resolve("a/b"));
        Files.writeString(tree.resolve("a/b/file"), "x");
        Files.createSymbolicLink(tree.resolve("a/link"), outside);

        assertThat(Trees.deleteQuietly(tree)).isTrue();
        assertThat(tree).doesNotExist();
        assertThat(outside).hasContent("keep me");
        assertThat(Trees.deleteQuietly(tree)).isTrue();
    }

    @Test
    void deletesALinkInADirectorysPlaceButNotWhatItPointsTo() throws IOException {
        Path victim = victim();
        Path tree = root.resolve("tree");
        Files.createDirectories(tree);
        Files.createSymbolicLink(tree.resolve("sub"), victim);
        Path rootLink = Files.createSymbolicLink(root.resolve("root-link"), victim);

        assertThat(Trees.deleteQuietly(tree)).isTrue();
        assertThat(Trees.deleteQuietly(rootLink)).isTrue();

        assertThat(tree).doesNotExist();
        assertThat(rootLink).doesNotExist();
        assertVictimIntact(victim);
    }

    @Test
    void skipsALinkInADirectorysPlaceWhenCopying() throws IOException {
        Path victim = victim();
        Path source = root.resolve("source");
        Files.createDirectories(source.resolve("base"));
        Files.writeString(source.resolve("PG_VERSION"), "15\n");
        Files.createSymbolicLink(source.resolve("global"), victim);
        Path target = root.resolve("target");

        Trees.copyDataDirectory(source, target, RunAs.direct());

        try (Stream<Path> copied = Files.walk(target)) {
            assertThat(copied.map(p -> target.relativize(p).toString())).containsExactlyInAnyOrder("", "base",
                "PG_VERSION");
        }
    }

    @Test
    void refusesToCopyFromALink() throws IOException {
        Path source = root.resolve("source");
        Files.createDirectories(source);
        Files.writeString(source.resolve("PG_VERSION"), "15\n");
        Path link = Files.createSymbolicLink(root.resolve("link"), source);

        assertThatThrownBy(() -> Trees.copyDataDirectory(link, root.resolve("target"), RunAs.direct()))
            .isInstanceOf(IOException.class);
        assertThat(root.resolve("target")).doesNotExist();
    }

    @Test
    void deletesNothingOutsideTheTreeWhileASubdirectoryIsSwappedForALink() throws Exception {
        Path victim = victim();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (int round = 0; round < 1000 && System.nanoTime() < deadline; round++) {
            Path tree = root.resolve("tree" + round);
            Path sub = Files.createDirectories(tree.resolve("sub"));
            for (String name : NAMES) {
                Files.writeString(sub.resolve(name), "tree");
            }

            whileSwapping(sub, victim, () -> Trees.deleteQuietly(tree));

            assertVictimIntact(victim);
            Trees.deleteQuietly(tree);
        }
    }

    @Test
    void copiesNothingFromOutsideWhileASubdirectoryIsSwappedForALink() throws Exception {
        Path victim = victim();
        Path source = root.resolve("source");
        Path sub = Files.createDirectories(source.resolve("base"));
        for (String name : NAMES) {
            Files.writeString(sub.resolve(name), "tree");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (int round = 0; round < 1000 && System.nanoTime() < deadline; round++) {
            Path target = root.resolve("target" + round);

            whileSwapping(sub, victim, () -> {
                try {
                    Trees.copyDataDirectory(source, target, RunAs.direct());
                } catch (IOException e) {
                    // A copy may fail while its source changes shape; it must never read the victim.
                }
            });

            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                List<Path> files;
                try (Stream<Path> copied = Files.walk(target)) {
                    files = copied.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList();
                }
                for (Path file : files) {
                    assertThat(Files.readString(file)).as(file.toString()).isEqualTo("tree");
                }
                Trees.deleteQuietly(target);
            }
        }
    }

    /** A directory outside every tree, holding a file for each of {@link #NAMES}. */
    private Path victim() throws IOException {
        Path victim = Files.createDirectories(root.resolve("victim"));
        for (String name : NAMES) {
            Files.writeString(victim.resolve(name), "victim");
        }
        return victim;
    }

    private static void assertVictimIntact(Path victim) throws IOException {
        try (Stream<Path> files = Files.list(victim)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(NAMES);
        }
    }

    /**
     * Runs {@code action} while another thread does what the server's user can do to a tree root works in: swap
     * {@code directory} for a link to {@code linkTarget} and back, over and over. Puts the directory back after.
     */
    private static void whileSwapping(Path directory, Path linkTarget, Runnable action) throws Exception {
        Path away = directory.resolveSibling(directory.getFileName() + ".away");
        AtomicBoolean stop = new AtomicBoolean();
        // The action starts once the swapper is well under way, at any point of a swap rather than right after one.
        CountDownLatch running = new CountDownLatch(20);
        Thread swapper = new Thread(() -> {
            while (!stop.get()) {
                // A step fails once the helper under test removed what it works on; the next swap goes on.
                quietly(() -> Files.move(directory, away));
                quietly(() -> Files.createSymbolicLink(directory, linkTarget));
                quietly(() -> {
                    if (Files.isSymbolicLink(directory)) {
                        Files.delete(directory);
                    }
                });
                quietly(() -> Files.move(away, directory));
                running.countDown();
            }
        }, "swapper");
        swapper.start();
        try {
            assertThat(running.await(10, TimeUnit.SECONDS)).as("swapping").isTrue();
            action.run();
        } finally {
            stop.set(true);
            swapper.join();
        }
        if (Files.isSymbolicLink(directory)) {
            Files.delete(directory);
        }
        if (Files.exists(away, LinkOption.NOFOLLOW_LINKS) && !Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            Files.move(away, directory);
        }
    }

    private static void quietly(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            // see the swapper's loop
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }
}
