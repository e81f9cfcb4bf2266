package dev.drkit.backup;

import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.ForwardingStore;
import dev.drkit.backup.store.NoSuchBackupException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static dev.drkit.backup.Engines.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

/**
 * The entries object of a directory too large for its manifest ({@value BackupManifest#ENTRIES_OBJECT_NAME},
 * format {@value BackupManifest#FORMAT_VERSION_ENTRIES}) is checked like the manifest itself: damage fails quick
 * verification, an edit that fixes the checksums fails the HMAC, and a restore refuses both before it touches the
 * target.
 */
class EntriesObjectTest {

    private static final Clock FIXED = Clock.fixed(Instant.parse("2026-03-04T05:06:07Z"), ZoneOffset.UTC);
    private static final String ENTRIES = BackupManifest.ENTRIES_OBJECT_NAME;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"flipped", "truncated", "deleted"})
    void damageFailsVerificationAndRestoreLeavesTheTargetAlone(String damage, @TempDir Path dir) throws Exception {
        Path root = dir.resolve("store");
        Path source = tree(dir.resolve("source"), 200);
        try (FileSystemStore store = FileSystemStore.builder(root).build()) {
            BackupEngine engine = engine(store);
            String id = engine.backup(BackupSource.directory(source)).id();
            Path object = root.resolve(id).resolve(ENTRIES);
            byte[] bytes = Files.readAllBytes(object);
            switch (damage) {
                case "flipped":
                    bytes[bytes.length / 2] ^= 0x01;
                    Files.write(object, bytes);
                    break;
                case "truncated":
                    Files.write(object, Arrays.copyOf(bytes, bytes.length - 10));
                    break;
                default:
                    Files.delete(object);
            }
            Path target = Files.createDirectories(dir.resolve("target"));
            Files.writeString(target.resolve("keep.txt"), "earlier data");
            assertThat(engine.info(id).manifest().entryCount()).as("a summary reads the manifest alone")
                .isEqualTo(201);

            for (VerificationResult result : List.of(engine.verify(id), engine.verify(id, KEY))) {
                assertThat(result.passed()).isFalse();
                BackupException failure = result.failure().orElseThrow();
                if (damage.equals("deleted")) {
                    assertThat(failure).isInstanceOf(NoSuchBackupException.class);
                } else {
                    assertThat(failure).isInstanceOfSatisfying(ManifestException.class, e ->
                        assertThat(e.reason()).isEqualTo(ManifestException.Reason.CHECKSUM_MISMATCH));
                    assertThat(failure.getMessage()).contains("Entries of backup " + id, ENTRIES, "damaged");
                }
            }
            assertThatThrownBy(() -> engine.restore(id, KEY, target)).isInstanceOf(BackupException.class);
            assertThat(Engines.describe(target)).containsOnlyKeys("keep.txt");
            assertThat(Files.readString(target.resolve("keep.txt"))).isEqualTo("earlier data");
            try (var siblings = Files.list(dir)) {
                assertThat(siblings.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("store", "source", "target");
            }
        }
    }

    @Test
    void editedEntriesWithMatchingChecksumsPassQuickVerificationButNotTheKeyedChecks(@TempDir Path dir)
        throws Exception {
        Path root = dir.resolve("store");
        Path source = tree(dir.resolve("source"), 200);
        try (FileSystemStore store = FileSystemStore.builder(root).build()) {
            BackupEngine engine = engine(store);
            String id = engine.backup(BackupSource.directory(source)).id();
            // Drop the last entry (a file the archive holds) and fix every checksum a keyless reader can check.
            List<String> lines = Files.readAllLines(root.resolve(id).resolve(ENTRIES));
            rewriteEntries(root.resolve(id), lines.subList(0, lines.size() - 1));

            assertThat(engine.verify(id).passed()).as("without a key the edit cannot be told from the original")
                .isTrue();
            VerificationResult full = engine.verify(id, KEY);
            assertThat(full.passed()).isFalse();
            assertThat(full.failure().orElseThrow()).isInstanceOfSatisfying(ManifestException.class, e ->
                assertThat(e.reason()).isEqualTo(ManifestException.Reason.NOT_AUTHENTIC));
            Path target = dir.resolve("target");
            assertThatThrownBy(() -> engine.restore(id, KEY, target)).isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.NOT_AUTHENTIC));
            assertThat(target).doesNotExist();
        }
    }

    /**
     * A restore reads the entries object three times, streaming it (room check, extraction, modes and times): an
     * object replaced between two reads fails the restore as damaged, however far the later read got, and the
     * target is left alone.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"2 mode", "2 path", "3 mode", "3 path"})
    void entriesChangedWhileARestoreReadsThemFailItAsDamage(String change, @TempDir Path dir) throws Exception {
        Path root = dir.resolve("store");
        Path source = tree(dir.resolve("source"), 200);
        try (FileSystemStore files = FileSystemStore.builder(root).build()) {
            String id = engine(files).backup(BackupSource.directory(source)).id();
            byte[] original = Files.readAllBytes(root.resolve(id).resolve(ENTRIES));
            String text = new String(original, StandardCharsets.UTF_8);
            String line = text.lines().filter(l -> l.contains("sub/file-0100.txt")).findFirst().orElseThrow();
            String edited = change.endsWith("mode") ? line.replace("\"mode\":\"0644\"", "\"mode\":\"0777\"")
                : line.replace("sub/file-0100.txt", "sub/file-0101.txt");
            assertThat(edited).isNotEqualTo(line).hasSameSizeAs(line);
            byte[] changed = text.replace(line, edited).getBytes(StandardCharsets.UTF_8);
            int changedFrom = Integer.parseInt(change.substring(0, 1));
            int[] opens = {0};
            BackupEngine engine = BackupEngine.builder(new ForwardingStore(files) {
                @Override
                public java.io.InputStream open(String backupId, String objectName) throws IOException {
                    if (!objectName.equals(ENTRIES)) {
                        return super.open(backupId, objectName);
                    }
                    return new ByteArrayInputStream(++opens[0] >= changedFrom ? changed : original);
                }
            }).encryption(Engines.fastEncryption()).clock(FIXED).manifestLimit(8 * 1024).build();
            Path target = Files.createDirectories(dir.resolve("target"));
            Files.writeString(target.resolve("keep.txt"), "earlier data");

            assertThatThrownBy(() -> engine.restore(id, KEY, target)).isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.CHECKSUM_MISMATCH))
                .hasMessageContaining("Entries of backup " + id);
            assertThat(opens[0]).isEqualTo(changedFrom);
            assertThat(Engines.describe(target)).containsOnlyKeys("keep.txt");
            try (var siblings = Files.list(dir)) {
                assertThat(siblings.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("store", "source", "target");
            }
        }
    }

    @Test
    void entriesOutOfArchiveOrderOrRepeatedAreRefused(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("store");
        Path source = tree(dir.resolve("source"), 200);
        try (FileSystemStore store = FileSystemStore.builder(root).build()) {
            BackupEngine engine = engine(store);
            String id = engine.backup(BackupSource.directory(source)).id();
            List<String> lines = new ArrayList<>(Files.readAllLines(root.resolve(id).resolve(ENTRIES)));

            List<String> swapped = new ArrayList<>(lines);
            swapped.set(10, lines.get(11));
            swapped.set(11, lines.get(10));
            rewriteEntries(root.resolve(id), swapped);
            assertThatThrownBy(() -> engine.manifest(id)).isInstanceOfSatisfying(ManifestException.class, e -> {
                assertThat(e.reason()).isEqualTo(ManifestException.Reason.MALFORMED);
                assertThat(e.getMessage()).contains(ENTRIES + " line 12", "out of archive order");
            });
            assertThat(engine.verify(id).failure().orElseThrow()).hasMessageContaining("out of archive order");
            // With a key, the manifest's HMAC is checked before the entries object is read at all.
            assertThat(engine.verify(id, KEY).failure().orElseThrow()).isInstanceOfSatisfying(ManifestException.class,
                e -> assertThat(e.reason()).isEqualTo(ManifestException.Reason.NOT_AUTHENTIC));
            // (a restore's room check may stream the object first, and refuse it as malformed)
            assertThatThrownBy(() -> engine.restore(id, KEY, dir.resolve("target")))
                .isInstanceOf(ManifestException.class);
            assertThat(dir.resolve("target")).doesNotExist();

            List<String> repeated = new ArrayList<>(lines);
            repeated.set(11, lines.get(10));
            rewriteEntries(root.resolve(id), repeated);
            assertThatThrownBy(() -> engine.manifest(id)).isInstanceOf(ManifestException.class)
                .hasMessageContaining(ENTRIES + " line 12").hasMessageContaining("appears twice");
            assertThat(engine.verify(id).passed()).isFalse();
        }
    }

    @Test
    void theReaderChecksEveryLineAndTheObjectAsAWhole() throws Exception {
        String dir = "{\"path\":\"d\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime\":\"2026-01-01T00:00:00Z\"}\n";
        String file = "{\"path\":\"d/f\",\"type\":\"file\",\"size\":3,\"mode\":\"0644\","
            + "\"mtime\":\"2026-01-01T00:00:00Z\",\"sha256\":\"" + "c".repeat(64) + "\"}\n";
        assertThat(read(dir + file, 2)).extracting(ManifestEntry::path).containsExactly("d", "d/f");

        Map<String, String> refused = new TreeMap<>();
        refused.put(dir + file.trim(), "does not end with a newline");
        refused.put(dir + file, "holds 2 entries, its manifest records 3");
        refused.put(dir + file + file.replace("d/f", "d/g"), "more entries than the 2");
        refused.put(dir + "{\"path\":\"d/" + "x".repeat(70_000) + "\"}\n", "line 2 is longer than");
        refused.put(dir + "[1,2]\n", "line 2: entry is not an object");
        refused.put(dir + "{\"path\":\"d/f\",\n", "line 2: not valid JSON");
        refused.put(dir + file.replace("d/f", "../f"), "line 2: entry path");
        refused.put(dir + file.replace("\"size\":3,", ""), "line 2: size is missing");
        refused.put(dir + file.replace("}\n", ",\"extra\":1}\n"), "line 2: entry has an unknown field");
        refused.put(file + dir, "out of archive order");
        refused.put(dir + dir, "line 2: entry d appears twice");
        for (Map.Entry<String, String> c : refused.entrySet()) {
            int count = c.getKey().equals(dir + file) ? 3 : 2;
            assertThatThrownBy(() -> read(c.getKey(), count)).as(c.getValue())
                .isInstanceOfSatisfying(ManifestException.class, e -> {
                    assertThat(e.reason()).isEqualTo(ManifestException.Reason.MALFORMED);
                    assertThat(e.getMessage()).contains(c.getValue()).doesNotContain("\n");
                });
        }
        byte[] badUtf8 = (dir + file.replace("d/f", "d/\u00e9")).getBytes(StandardCharsets.UTF_8);
        badUtf8[dir.length() + 12] = 'A';   // the second byte of the e-acute: a lead byte without its continuation
        assertThatThrownBy(() -> read(badUtf8, 2)).hasMessageContaining("line 2: not valid UTF-8");
    }

    @Test
    void formatThreeManifestsRoundTripAndTheirDescriptionIsChecked() {
        BackupManifest.Fields f = ManifestFormatTest.fields();
        f.entries = null;
        f.entryCount = 3;
        f.entriesObject = new DataPart(ENTRIES, 300, "e".repeat(64));
        byte[] bytes = ManifestFormat.seal(f, ManifestFormatTest.KEY).toBytes();
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertThat(text).startsWith("{\"format\":\"" + BackupManifest.FORMAT_ENTRIES + "\",\"body\":")
            .contains(",\"entries\":{\"object\":\"" + ENTRIES + "\",\"count\":3,\"bytes\":300,\"sha256\":\"");

        BackupManifest parsed = BackupManifest.parse(bytes);
        parsed.checkAuthentic(ManifestFormatTest.KEY);
        assertThat(parsed.formatVersion()).isEqualTo(BackupManifest.FORMAT_VERSION_ENTRIES);
        assertThat(parsed.entryCount()).isEqualTo(3);
        assertThat(parsed.entriesObject()).contains(new DataPart(ENTRIES, 300, "e".repeat(64)));
        assertThat(parsed.hasEntries()).isFalse();
        assertThat(parsed.toBytes()).isEqualTo(bytes);
        assertThatThrownBy(parsed::entries).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("keeps its entries in " + ENTRIES);

        Map<String, String> refused = Map.of(
            "\"object\":\"" + ENTRIES + "\"", "entries.object is not",
            "\"count\":3", "count is 0, outside",
            "\"bytes\":300", "bytes is 2, outside",
            "\"kind\":\"directory\"", "a file source has entries");
        Map<String, String> replacement = Map.of(
            "\"object\":\"" + ENTRIES + "\"", "\"object\":\"other.jsonl\"",
            "\"count\":3", "\"count\":0",
            "\"bytes\":300", "\"bytes\":2",
            "\"kind\":\"directory\"", "\"kind\":\"file\"");
        for (Map.Entry<String, String> c : refused.entrySet()) {
            byte[] edited = reseal(parsed, body -> body.replace(c.getKey(), replacement.get(c.getKey()))
                .replace("\"format\":\"tar\"", c.getKey().contains("kind") ? "\"format\":\"raw\"" : "\"format\":\"tar\""));
            assertThatThrownBy(() -> BackupManifest.parse(edited)).as(c.getKey())
                .isInstanceOfSatisfying(ManifestException.class, e ->
                    assertThat(e.getMessage()).contains(c.getValue()));
        }
        byte[] asList = reseal(parsed, body -> body.replaceFirst(",\"entries\":\\{[^}]*}", ",\"entries\":[]"));
        assertThatThrownBy(() -> BackupManifest.parse(asList)).hasMessageContaining("entries is not an object");
    }

    @Test
    void archiveOrderIsTheOrderOfADepthFirstWalkWithSortedNames() {
        Gen<String> name = SourceDSL.strings().betweenCodePoints('-', '0').ofLengthBetween(1, 3)
            .map(s -> s.replace('/', 'a'));
        Gen<List<String>> paths = SourceDSL.lists().of(SourceDSL.lists().of(name).ofSizeBetween(1, 4))
            .ofSizeBetween(1, 30).map(list -> list.stream().map(segments -> String.join("/", segments))
                .collect(Collectors.toList()));
        qt().withExamples(500).forAll(paths).checkAssert(list -> {
            // every path with its parents, as in a tree
            java.util.Set<String> all = new java.util.HashSet<>();
            for (String p : list) {
                for (int i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
                    all.add(p.substring(0, i));
                }
                all.add(p);
            }
            List<String> walked = new ArrayList<>();
            walk(all, "", walked);
            List<String> sorted = new ArrayList<>(all);
            sorted.sort(ManifestFormat::compareArchiveOrder);
            assertThat(sorted).isEqualTo(walked);
        });
    }

    /** Depth first, each level's names sorted, as the archiver walks a directory. */
    private static void walk(java.util.Set<String> all, String prefix, List<String> out) {
        List<String> children = all.stream()
            .filter(p -> p.startsWith(prefix) && p.length() > prefix.length() && p.indexOf('/', prefix.length()) < 0)
            .map(p -> p.substring(prefix.length())).sorted().collect(Collectors.toList());
        for (String child : children) {
            out.add(prefix + child);
            walk(all, prefix + child + "/", out);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static List<ManifestEntry> read(String lines, int count) throws IOException {
        return read(lines.getBytes(StandardCharsets.UTF_8), count);
    }

    /** Reads {@code bytes} as the entries object of a manifest that records their true size and SHA-256. */
    static List<ManifestEntry> read(byte[] bytes, int count) throws IOException {
        BackupManifest.Fields f = ManifestFormatTest.fields();
        f.entries = null;
        f.entryCount = count;
        f.entriesObject = new DataPart(ENTRIES, Math.max(bytes.length, count), ManifestFormat.sha256(bytes));
        BackupManifest manifest = ManifestFormat.seal(f, ManifestFormatTest.KEY);
        // Checking without keeping (quick verification) must accept and refuse exactly what reading does.
        String checked;
        int[] counted = {0};
        try {
            ManifestFormat.readEntriesObject(new ByteArrayInputStream(bytes), manifest, entry -> counted[0]++);
            checked = null;
        } catch (ManifestException e) {
            checked = e.getMessage();
        }
        try {
            List<ManifestEntry> entries = new ArrayList<>();
            ManifestFormat.readEntriesObject(new ByteArrayInputStream(bytes), manifest, entries::add);
            assertThat(checked).as("refused only when checked without keeping").isNull();
            assertThat(counted[0]).isEqualTo(entries.size());
            return entries;
        } catch (ManifestException e) {
            assertThat(e.getMessage()).isEqualTo(checked);
            throw e;
        }
    }

    private static byte[] reseal(BackupManifest manifest, java.util.function.UnaryOperator<String> edit) {
        byte[] body = edit.apply(new String(manifest.body(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        return ManifestFormat.file(body, ManifestFormat.sha256(body), manifest.bodyHmacSha256(),
            BackupManifest.FORMAT_VERSION_ENTRIES);
    }

    /**
     * Replaces the backup's entries object with {@code lines} and its manifest's description of them (count, size,
     * SHA-256) and checksum to match, as someone with write access to the store could; the HMAC stays as it was.
     */
    private static void rewriteEntries(Path backup, List<String> lines) throws IOException {
        byte[] entries = lines.stream().map(line -> line + "\n").collect(Collectors.joining())
            .getBytes(StandardCharsets.UTF_8);
        Files.write(backup.resolve(ENTRIES), entries);
        BackupManifest manifest = BackupManifest.parse(Files.readAllBytes(backup.resolve(BackupManifest.OBJECT_NAME)));
        DataPart old = manifest.entriesObject().orElseThrow();
        byte[] edited = reseal(manifest, text -> text.replace(
            "\"count\":" + manifest.entryCount() + ",\"bytes\":" + old.bytes() + ",\"sha256\":\"" + old.sha256(),
            "\"count\":" + lines.size() + ",\"bytes\":" + entries.length + ",\"sha256\":\""
                + ManifestFormat.sha256(entries)));
        Files.write(backup.resolve(BackupManifest.OBJECT_NAME), edited);
    }

    private static BackupEngine engine(FileSystemStore store) {
        return BackupEngine.builder(store).encryption(Engines.fastEncryption()).clock(FIXED).manifestLimit(8 * 1024)
            .build();
    }

    private static Path tree(Path root, int n) throws IOException {
        Files.createDirectories(root.resolve("sub"));
        for (int i = 0; i < n; i++) {
            Files.writeString(root.resolve((i % 2 == 0 ? "sub/" : "") + String.format("file-%04d.txt", i)),
                "file " + i);
        }
        return root;
    }
}
