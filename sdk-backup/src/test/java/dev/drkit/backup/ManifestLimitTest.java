package dev.drkit.backup;

import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.TestMount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.drkit.backup.Engines.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A directory whose entries would make its manifest larger than a reader accepts keeps them in an object of their
 * own, {@value BackupManifest#ENTRIES_OBJECT_NAME} (manifest format {@value BackupManifest#FORMAT_VERSION_ENTRIES}),
 * and restores and verifies like any other backup. The limit is lowered here
 * ({@link BackupEngine.Builder#manifestLimit}) to reach it with a few hundred entries instead of ~150,000.
 */
class ManifestLimitTest {

    private static final Clock FIXED = Clock.fixed(Instant.parse("2026-03-04T05:06:07Z"), ZoneOffset.UTC);

    @ParameterizedTest(name = "partBytes={0}")
    @ValueSource(ints = {0, 64 * 1024})
    void aDirectoryTooLargeForItsManifestKeepsItsEntriesInTheirOwnObject(int partBytes, @TempDir Path dir)
        throws Exception {
        Path large = tree(dir.resolve("large"), 400);
        awkwardNames(large);
        Path spool = Files.createDirectories(dir.resolve("spool"));
        String inline;
        String separate;
        try (FileSystemStore store = FileSystemStore.builder(dir.resolve("store")).build()) {
            inline = engine(store, partBytes).build().backup(BackupSource.directory(large)).id();
            BackupEngine engine = engine(store, partBytes).manifestLimit(16 * 1024).temporaryDirectory(spool)
                .build();
            separate = engine.backup(BackupSource.directory(large)).id();

            assertThat(store.objects(separate)).contains(BackupManifest.ENTRIES_OBJECT_NAME,
                BackupManifest.OBJECT_NAME);
            assertThat(store.objects(inline)).doesNotContain(BackupManifest.ENTRIES_OBJECT_NAME);
            assertThat(store.size(separate, BackupManifest.OBJECT_NAME)).isLessThan(4096);
            assertThat(store.size(inline, BackupManifest.OBJECT_NAME)).isGreaterThan(16 * 1024);
            BackupManifest manifest = engine.manifest(separate);
            assertThat(manifest.formatVersion()).isEqualTo(BackupManifest.FORMAT_VERSION_ENTRIES);
            assertThat(manifest.parts().get(0).object()).isEqualTo(partBytes == 0 ? BackupManifest.DATA_OBJECT_NAME
                : DataPart.objectName(0));
            assertThat(manifest.entries()).as("the same entries, in the same order, as a manifest would list")
                .isEqualTo(engine.manifest(inline).entries()).hasSizeGreaterThan(400);
            long stored = Files.size(dir.resolve("store").resolve(separate).resolve(BackupManifest.ENTRIES_OBJECT_NAME));
            assertThat(manifest.entriesObject()).hasValueSatisfying(object -> {
                assertThat(object.object()).isEqualTo(BackupManifest.ENTRIES_OBJECT_NAME);
                assertThat(object.bytes()).isEqualTo(stored);
            });
            assertThat(engine.list()).filteredOn(info -> info.id().equals(separate)).singleElement()
                .satisfies(info -> assertThat(info.manifest().entryCount()).isEqualTo(manifest.entries().size()));
            assertThat(spool).as("the temporary list is removed").isEmptyDirectory();

            assertThat(engine.verify(separate).passed()).isTrue();
            assertThat(engine.verify(separate, KEY).passed()).isTrue();
            engine.restore(separate, KEY, dir.resolve("restored"));
            assertThat(Engines.describe(dir.resolve("restored"))).isEqualTo(Engines.describe(large));
        }
    }

    @Test
    void anS3StoreHoldsTheEntriesObjectToo(@TempDir Path dir) throws Exception {
        Path large = tree(dir.resolve("large"), 400);
        awkwardNames(large);
        dev.drkit.backup.store.S3TestServer server = dev.drkit.backup.store.S3TestServer.get();
        String prefix = "entries/" + java.util.UUID.randomUUID();
        try (dev.drkit.backup.store.S3Store store = server.store(prefix).build()) {
            BackupEngine engine = BackupEngine.builder(store).encryption(Engines.fastEncryption()).clock(FIXED)
                .manifestLimit(16 * 1024).build();
            String id = engine.backup(BackupSource.directory(large)).id();

            assertThat(store.objects(id)).contains(BackupManifest.ENTRIES_OBJECT_NAME);
            assertThat(engine.list()).singleElement().satisfies(info ->
                assertThat(info.manifest().entryCount()).isGreaterThan(400));
            assertThat(engine.verify(id, KEY).passed()).isTrue();
            engine.restore(id, KEY, dir.resolve("restored"));
            assertThat(Engines.describe(dir.resolve("restored"))).isEqualTo(Engines.describe(large));
            store.delete(id);
            assertThat(store.list()).isEmpty();
            assertThat(server.client().listObjectsV2(r -> r.bucket(dev.drkit.backup.store.S3TestServer.BUCKET)
                .prefix(prefix + "/")).contents()).noneMatch(o -> o.key().contains(id));
        }
    }

    @ParameterizedTest(name = "partBytes={0}")
    @ValueSource(ints = {0, 64 * 1024})
    void aDirectoryWithMoreEntriesThanTheLimitIsRefusedEarlyAndLeavesTheStoreAsItWas(int partBytes,
                                                                                    @TempDir Path dir)
        throws Exception {
        Path root = dir.resolve("store");
        Path spool = Files.createDirectories(dir.resolve("spool"));
        Path large = tree(dir.resolve("large"), 400);
        try (FileSystemStore store = FileSystemStore.builder(root).build()) {
            String earlier = engine(store, partBytes).build().backup(BackupSource.directory(tree(dir.resolve("small"),
                3))).id();
            List<String> before = files(root);
            // past the manifest's budget first, so that the entries are in the temporary file when refused
            BackupEngine engine = engine(store, partBytes).manifestLimit(16 * 1024).entryLimit(150)
                .temporaryDirectory(spool).build();

            assertThatThrownBy(() -> engine.backup(BackupSource.directory(large)))
                .isInstanceOfSatisfying(ManifestTooLargeException.class, e -> {
                    assertThat(e.kind()).isEqualTo(dev.drkit.core.DrkitException.Kind.DATA);
                    assertThat(e.limit()).isEqualTo(150);
                    assertThat(e.entries()).as("stopped at the first entry past the limit").isEqualTo(151);
                    assertThat(e.getMessage()).contains("refused", "more than 150 entries", "nothing was kept",
                        "one per subdirectory", "tar -cf");
                });

            assertThat(store.list()).containsExactly(earlier);
            assertThat(files(root)).isEqualTo(before);
            assertThat(spool).as("the temporary list is removed").isEmptyDirectory();
            assertThat(engine.verify(earlier, KEY).passed()).isTrue();
        }
    }

    @Test
    void twoNamesThatReadAsOnePathAreRefusedBeforeABackupNoReaderAcceptsIsKept(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("UTF-8".equals(System.getProperty("sun.jnu.encoding")),
            "file names are not read as UTF-8 here");
        Path source = Files.createDirectories(dir.resolve("source"));
        // "a" + U+FFFD, and "a" + a byte that is not UTF-8, which Java reads as U+FFFD too
        Process touch = new ProcessBuilder("bash", "-c", "touch \"$1\"/$'a\\xef\\xbf\\xbd' \"$1\"/$'a\\xff'", "_",
            source.toString()).inheritIO().start();
        assertThat(touch.waitFor()).isZero();
        try (Stream<Path> names = Files.list(source)) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactly("a\uFFFD", "a\uFFFD");
        }
        Path root = dir.resolve("store");
        try (FileSystemStore store = FileSystemStore.builder(root).build()) {
            for (long limit : new long[] {BackupManifest.MAX_BYTES, 1024}) {
                BackupEngine engine = engine(store, 0).manifestLimit(limit).build();
                assertThatThrownBy(() -> engine.backup(BackupSource.directory(source)))
                    .isInstanceOfSatisfying(UnsupportedSourceException.class, e ->
                        assertThat(e.kind()).isEqualTo(dev.drkit.core.DrkitException.Kind.DATA))
                    .hasMessageContaining("two names that read as the same path").hasMessageContaining("nothing was kept");
                assertThat(store.list()).isEmpty();
            }
        }
    }

    @Test
    void aManifestFilledByItsPartsIsRefusedNamingTheParts(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectories(dir.resolve("source"));
        Files.write(source.resolve("random.bin"), Pipelines.sample(300 * 1024, 3));
        try (FileSystemStore store = FileSystemStore.builder(dir.resolve("store")).build()) {
            BackupEngine engine = engine(store, BackupEngine.MIN_PART_BYTES).manifestLimit(8 * 1024).build();
            assertThatThrownBy(() -> engine.backup(BackupSource.directory(source)))
                .isInstanceOf(ManifestTooLargeException.class)
                .hasMessageMatching("Backup .* refused: its manifest would list [0-9]+ parts in more than 8192 bytes.*")
                .hasMessageContaining("Use larger parts");
            assertThat(store.list()).isEmpty();
        }
    }

    @Test
    void aTemporaryDirectoryThatCannotBeWrittenFailsTheBackupAndKeepsNothing(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("store");
        Path large = tree(dir.resolve("large"), 400);
        try (FileSystemStore store = FileSystemStore.builder(root).build()) {
            String earlier = engine(store, 0).build().backup(BackupSource.directory(tree(dir.resolve("small"), 3)))
                .id();
            List<String> before = files(root);
            BackupEngine engine = engine(store, 0).manifestLimit(16 * 1024)
                .temporaryDirectory(dir.resolve("missing")).build();

            assertThatThrownBy(() -> engine.backup(BackupSource.directory(large)))
                .isInstanceOf(BackupIoException.class)
                .hasMessageContaining("could not be kept in a temporary file in " + dir.resolve("missing"))
                .hasMessageContaining("nothing was kept");
            assertThat(store.list()).containsExactly(earlier);
            assertThat(files(root)).isEqualTo(before);
        }
    }

    @Test
    void theLimitIsTheWholeManifestFileToTheByte(@TempDir Path dir) throws Exception {
        Path source = tree(dir.resolve("source"), 50);
        long size;
        try (FileSystemStore store = FileSystemStore.builder(dir.resolve("measure")).build()) {
            String id = engine(store, 0).build().backup(BackupSource.directory(source)).id();
            size = store.size(id, BackupManifest.OBJECT_NAME);
        }
        // The entries alone stay under size - 1; only the whole file passes it, so this is the check at sealing.
        try (FileSystemStore store = FileSystemStore.builder(dir.resolve("tight")).build()) {
            BackupEngine engine = engine(store, 0).manifestLimit(size - 1).build();
            String id = engine.backup(BackupSource.directory(source)).id();
            assertThat(engine.manifest(id).formatVersion()).isEqualTo(BackupManifest.FORMAT_VERSION_ENTRIES);
            engine.restore(id, KEY, dir.resolve("restored-from-object"));
            assertThat(Engines.describe(dir.resolve("restored-from-object"))).isEqualTo(Engines.describe(source));
        }
        try (FileSystemStore store = FileSystemStore.builder(dir.resolve("exact")).build()) {
            BackupEngine engine = engine(store, 0).manifestLimit(size).build();
            String id = engine.backup(BackupSource.directory(source)).id();
            assertThat(store.size(id, BackupManifest.OBJECT_NAME)).isEqualTo(size);
            assertThat(engine.manifest(id).formatVersion()).isEqualTo(BackupManifest.FORMAT_VERSION);
            engine.restore(id, KEY, dir.resolve("restored"));
            assertThat(Engines.describe(dir.resolve("restored"))).isEqualTo(Engines.describe(source));
        }
    }

    @Test
    void largeDirectoryBackupsAreListedAndRotatedWithin40MiBOfHeap(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("store");
        FileSystemStore.open(root).close();
        int perBackup = 100_000;
        for (int b = 0; b < 3; b++) {
            BackupManifest.Fields f = directoryFields("2026030" + (b + 1) + "T050607Z-0a1b2c3d",
                Instant.parse("2026-03-0" + (b + 1) + "T05:06:07Z"));
            List<ManifestEntry> entries = new java.util.ArrayList<>(perBackup);
            for (int i = 0; i < perBackup; i++) {
                entries.add(ManifestEntry.file(String.format("dir%04d/file-%05d.txt", i / 1000, i), 3, 0644,
                    f.startedAt, "c".repeat(64)));
            }
            f.entries = entries;
            Path backup = Files.createDirectories(root.resolve(f.id));
            try (java.io.OutputStream out = Files.newOutputStream(backup.resolve(BackupManifest.OBJECT_NAME))) {
                ManifestFormat.seal(f, ManifestFormatTest.KEY).writeTo(out);
            }
            Files.write(backup.resolve(BackupManifest.DATA_OBJECT_NAME), new byte[20]);
        }
        assertThat(Files.size(root.resolve("20260301T050607Z-0a1b2c3d").resolve(BackupManifest.OBJECT_NAME)))
            .as("each manifest alone is more than a third of the child's heap").isGreaterThan(14L << 20);

        Path errors = dir.resolve("child.err");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx40m", "-cp", System.getProperty("java.class.path"), ListingHeapChildMain.class.getName(),
            root.toString()).redirectError(errors.toFile()).start();
        String output = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(child.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        assertThat(child.exitValue()).as(() -> "the child's stderr:\n" + PartedBackupKillTest.read(errors)).isZero();
        assertThat(output.trim()).isEqualTo("OK 3 " + 3 * perBackup);
    }

    /**
     * Restore and full verification keep none of a large directory's entries: with a heap smaller than its entries
     * would take in memory (more than their JSON lines), both pass, and every entry comes back.
     */
    @Test
    void largeDirectoryBackupsVerifyFullyAndRestoreWithin32MiBOfHeap(@TempDir Path dir) throws Exception {
        // on a tmpfs where one can be mounted: creating 100,000 files twice takes long on a busy disk
        Path work = Files.createDirectory(dir.resolve("work"));
        try (TestMount tmpfs = TestMount.tmpfs(work, "512m")) {
            restoresWithin32MiBOfHeap(work);
        }
    }

    private static void restoresWithin32MiBOfHeap(Path dir) throws Exception {
        int directories = 100;
        int perDirectory = 1000;
        Path source = Files.createDirectories(dir.resolve("source"));
        for (int d = 0; d < directories; d++) {
            Path sub = Files.createDirectory(source.resolve(String.format("dir-%02d", d)));
            for (int i = 0; i < perDirectory; i++) {
                Files.createFile(sub.resolve(String.format("empty-file-with-a-longer-name-%04d.txt", i)));
            }
        }
        Path root = dir.resolve("store");
        String id;
        try (FileSystemStore store = FileSystemStore.open(root)) {
            id = engine(store, 0).build().backup(BackupSource.directory(source)).id();
            assertThat(store.size(id, BackupManifest.ENTRIES_OBJECT_NAME))
                .as("the entries' JSON alone is half the child's heap").isGreaterThan(16L << 20);
        }
        Path target = dir.resolve("restored");

        Path errors = dir.resolve("child.err");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx32m", "-cp", System.getProperty("java.class.path"), RestoreHeapChildMain.class.getName(),
            root.toString(), id, target.toString()).redirectError(errors.toFile()).start();
        String output = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(child.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        assertThat(child.exitValue()).as(() -> "the child's stderr:\n" + PartedBackupKillTest.read(errors)).isZero();
        assertThat(output.trim()).isEqualTo("OK " + (directories + directories * perDirectory));
        try (Stream<Path> restored = Files.walk(target)) {
            assertThat(restored.filter(Files::isRegularFile).count()).isEqualTo((long) directories * perDirectory);
        }
    }

    /** The fields of a directory backup of {@code id} started and finished at {@code at}, without entries. */
    private static BackupManifest.Fields directoryFields(String id, Instant at) {
        BackupManifest.Fields f = new BackupManifest.Fields();
        f.id = id;
        f.startedAt = at;
        f.finishedAt = at;
        f.sourceKind = SourceKind.DIRECTORY;
        f.sourceName = "tree";
        f.compression = Compression.zstd();
        f.encryptionMode = BackupManifest.MODE_PASSPHRASE;
        f.s2kBytes = PassphraseEncryption.MIN_S2K_BYTES;
        f.plaintextBytes = 10;
        f.plaintextSha256 = "a".repeat(64);
        f.ciphertextBytes = 20;
        f.ciphertextSha256 = "b".repeat(64);
        return f;
    }

    @Test
    void aManifestWrittenStreamingIsTheSameAsBeforeAndReadsBack() {
        BackupManifest.Fields f = directoryFields("20260304T050607Z-0a1b2c3d", FIXED.instant());
        f.labels = java.util.Map.of("app", "x");
        f.entries = List.of(ManifestEntry.directory("d", 0755, FIXED.instant()),
            ManifestEntry.file("d/f", 3, 0644, FIXED.instant(), "c".repeat(64)),
            ManifestEntry.symlink("l", "d/f", FIXED.instant()));
        BackupManifest sealed = ManifestFormat.seal(f, ManifestFormatTest.KEY);
        java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
        try {
            sealed.writeTo(written);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(written.toByteArray()).isEqualTo(sealed.toBytes());
        java.io.ByteArrayOutputStream streamed = new java.io.ByteArrayOutputStream();
        BackupManifest summary;
        try {
            summary = ManifestFormat.sealTo(f, ManifestFormatTest.KEY, BackupManifest.MAX_BYTES, streamed);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(streamed.toByteArray()).as("written as it is hashed, byte for byte the same")
            .isEqualTo(sealed.toBytes());
        assertThat(summary).isEqualTo(sealed);
        assertThat(summary.hasEntries()).isFalse();
        assertThat(summary.entryCount()).isEqualTo(3);
        java.io.ByteArrayOutputStream refused = new java.io.ByteArrayOutputStream();
        assertThatThrownBy(() -> ManifestFormat.sealTo(f, ManifestFormatTest.KEY,
            sealed.toBytes().length - 1, refused)).isInstanceOf(ManifestTooLargeException.class);
        assertThat(refused.size()).as("nothing written when too large").isZero();
        assertThat(BackupManifest.parse(written.toByteArray()).entries()).isEqualTo(f.entries);
        long entries = f.entries.stream().mapToLong(ManifestFormat::entryBytes).sum();
        assertThat(entries).isLessThan(sealed.toBytes().length);
        assertThat(ManifestFormat.seal(f, ManifestFormatTest.KEY, sealed.toBytes().length).toBytes())
            .isEqualTo(sealed.toBytes());
        assertThatThrownBy(() -> ManifestFormat.seal(f, ManifestFormatTest.KEY, sealed.toBytes().length - 1))
            .isInstanceOf(ManifestTooLargeException.class);
    }

    @Test
    void theReaderStillRefusesAnythingButOneObjectOfTheFourFieldsAndInvalidUtf8() {
        String valid = new String(ManifestFormatTest.sealed(), java.nio.charset.StandardCharsets.UTF_8);
        String withoutEnd = valid.substring(0, valid.length() - 2);   // without "}\n"
        List<String> refused = List.of(
            withoutEnd + ",\"extra\":1}\n",                                  // a fifth field
            withoutEnd + "} {}\n",                                           // a second value after the object
            withoutEnd.replaceFirst("\"format\"", "\"formats\"") + "}\n");   // a field of another name
        for (String text : refused) {
            assertThatThrownBy(() -> BackupManifest.parse(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .as(text.substring(Math.max(0, text.length() - 40)))
                .isInstanceOfSatisfying(ManifestException.class,
                    e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.MALFORMED));
        }
        byte[] badUtf8 = ManifestFormatTest.sealed();
        int at = new String(badUtf8, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("\"name\"") + 9;
        badUtf8[at] = (byte) 0xC3;  // a lead byte without its continuation, inside the source name
        assertThatThrownBy(() -> BackupManifest.parse(badUtf8)).isInstanceOf(ManifestException.class)
            .hasMessageContaining("not valid UTF-8");
    }

    private static BackupEngine.Builder engine(FileSystemStore store, int partBytes) {
        return BackupEngine.builder(store).encryption(Engines.fastEncryption()).partBytes(partBytes).clock(FIXED);
    }

    /** {@code n} small files with long names, each of a fixed time. */
    private static Path tree(Path root, int n) throws IOException {
        Files.createDirectories(root);
        for (int i = 0; i < n; i++) {
            Path file = root.resolve(String.format("%05d-", i) + "long-file-name-".repeat(10));
            Files.writeString(file, "file " + i);
            Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(FIXED.instant()));
        }
        Files.setLastModifiedTime(root, java.nio.file.attribute.FileTime.from(FIXED.instant()));
        return root;
    }

    /**
     * Names whose archive order (names sorted within each directory) differs from their paths' order as strings:
     * {@code a/b} comes before {@code a.txt} and {@code a-b}, though '/' sorts after '.' and '-'.
     */
    static void awkwardNames(Path root) throws IOException {
        Files.createDirectories(root.resolve("a/b/c"));
        for (String name : List.of("a.txt", "a-b", "a b", "a/b.txt", "a/b/c/d", "B", "\u00e9t\u00e9", "a/b/c.txt")) {
            Files.writeString(root.resolve(name), name);
        }
        Files.createSymbolicLink(root.resolve("a/link"), Path.of("b.txt"));
    }

    private static List<String> files(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.map(p -> root.relativize(p).toString()).sorted().collect(Collectors.toList());
        }
    }
}
