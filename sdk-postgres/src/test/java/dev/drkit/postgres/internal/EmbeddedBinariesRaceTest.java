package dev.drkit.postgres.internal;

import dev.drkit.core.EnvironmentException;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Unpacking into the cache, on small archives made here (the real one is unpacked by EmbeddedBinariesTest). */
class EmbeddedBinariesRaceTest {

    @TempDir
    Path dir;

    @Test
    void unpackersRacingLikeSeparateJvmsEndWithOneCompleteTree() throws Exception {
        URL archive = archive("good.txz", List.of(
            file("bin/postgres", "#!/bin/sh\necho 'postgres (PostgreSQL) 15.0'\n", 0755),
            file("share/postgresql/postgres.bki", "bki", 0644),
            link("lib/libpq.so", "libpq.so.5"),
            file("lib/libpq.so.5", "elf", 0755)));
        Path cache = Files.createDirectory(dir.resolve("cache"));
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Path>> racers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            // extract(...) bypasses the per-JVM lock: each call behaves as a separate JVM would.
            racers.add(CompletableFuture.supplyAsync(() -> awaitThenExtract(go, archive, cache)));
        }
        go.countDown();

        Path tree = racers.get(0).get();
        for (CompletableFuture<Path> racer : racers) {
            assertThat(racer.get()).isEqualTo(tree);
        }
        assertThat(tree.resolve("bin/postgres")).isExecutable();
        assertThat(tree.resolve(".drkit-complete")).exists();
        assertThat(Files.readSymbolicLink(tree.resolve("lib/libpq.so"))).isEqualTo(Path.of("libpq.so.5"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tree.resolve("share/postgresql"))))
            .isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tree.resolve("share/postgresql/postgres.bki"))))
            .isEqualTo("rw-r--r--");
        try (Stream<Path> entries = Files.list(tree.getParent())) {
            assertThat(entries).as("no temporary directory left").containsExactly(tree);
        }
        assertThat(EmbeddedBinaries.binDirectory(archive, cache)).isEqualTo(tree.resolve("bin"));
    }

    @Test
    void refusesEntriesThatEscapeTheCache() throws Exception {
        Path cache = Files.createDirectory(dir.resolve("cache"));
        URL dotDot = archive("dotdot.txz", List.of(file("bin/../../escaped", "x", 0644)));
        URL absoluteLink = archive("link.txz", List.of(link("bin/sh", "/bin/sh")));

        assertThatThrownBy(() -> EmbeddedBinaries.extract(dotDot, cache))
            .isInstanceOf(EnvironmentException.class).hasMessageContaining("escapes the target directory");
        assertThatThrownBy(() -> EmbeddedBinaries.extract(absoluteLink, cache))
            .isInstanceOf(EnvironmentException.class).hasMessageContaining("escapes the target directory");
        assertThat(cache.resolve("escaped")).doesNotExist();
        try (Stream<Path> left = Files.list(cache.resolve("drkit-pg-embedded-" + System.getProperty("user.name")))) {
            assertThat(left).as("temporary directories removed").isEmpty();
        }
    }

    @Test
    void refusesACacheDirectoryOthersCanWrite() throws Exception {
        URL archive = archive("good.txz", List.of(file("bin/postgres", "#!/bin/sh\n", 0755)));
        Path cache = Files.createDirectory(dir.resolve("cache"));
        Path root = Files.createDirectory(cache.resolve("drkit-pg-embedded-" + System.getProperty("user.name")));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> EmbeddedBinaries.extract(archive, cache))
            .isInstanceOf(EnvironmentException.class)
            .hasMessageContaining("writable only by it");
    }

    private record Entry(String name, String content, int mode, String linkTarget) {
    }

    private static Entry file(String name, String content, int mode) {
        return new Entry(name, content, mode, "");
    }

    private static Entry link(String name, String target) {
        return new Entry(name, "", 0777, target);
    }

    private URL archive(String name, List<Entry> entries) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new XZCompressorOutputStream(out))) {
            for (Entry e : entries) {
                TarArchiveEntry entry;
                if (e.linkTarget().isEmpty()) {
                    byte[] bytes = e.content().getBytes(StandardCharsets.UTF_8);
                    entry = new TarArchiveEntry(e.name());
                    entry.setSize(bytes.length);
                    entry.setMode(e.mode());
                    tar.putArchiveEntry(entry);
                    tar.write(bytes);
                } else {
                    entry = new TarArchiveEntry(e.name(), TarArchiveEntry.LF_SYMLINK);
                    entry.setLinkName(e.linkTarget());
                    tar.putArchiveEntry(entry);
                }
                tar.closeArchiveEntry();
            }
        }
        return file.toUri().toURL();
    }

    private static Path awaitThenExtract(CountDownLatch go, URL archive, Path cache) {
        try {
            go.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return EmbeddedBinaries.extract(archive, cache);
    }
}
