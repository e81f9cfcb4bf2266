package dev.drkit.backup;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Hostile tar streams, as someone holding the key could make them: nothing is written outside the root. */
class ArchiveReaderTest {

    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
    private static final String EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @Test
    void refusesToWriteThroughASymbolicLinkTheArchiveMade(@TempDir Path dir) throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path root = Files.createDirectories(dir.resolve("root"));
        byte[] tar = tar(List.of(symlink("link", outside.toString()), file("link/evil")));
        BackupManifest manifest = manifest(List.of(ManifestEntry.symlink("link", outside.toString(), T),
            ManifestEntry.file("link/evil", 0, 0644, T, EMPTY_SHA)));

        assertThatThrownBy(() -> read(manifest, tar, root))
            .isInstanceOfSatisfying(BackupVerificationException.class,
                e -> assertThat(e.check()).isEqualTo("entry path"))
            .hasMessageContaining("not inside a directory extracted before it");
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void refusesParentAndAbsolutePathsInTheArchive(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        for (String name : List.of("../escape", "/etc/escape", "a/../../escape", "./x")) {
            byte[] tar = tar(List.of(file(name)));
            BackupManifest manifest = manifest(List.of(ManifestEntry.file("escape", 0, 0644, T, EMPTY_SHA)));
            assertThatThrownBy(() -> read(manifest, tar, root)).as(name)
                .isInstanceOf(BackupVerificationException.class);
        }
        assertThat(dir.resolve("escape")).doesNotExist();
        assertThat(root).isEmptyDirectory();
    }

    @Test
    void refusesEntriesTheManifestDoesNotListAndMissingOnes(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        BackupManifest manifest = manifest(List.of(ManifestEntry.file("a", 0, 0644, T, EMPTY_SHA),
            ManifestEntry.file("b", 0, 0644, T, EMPTY_SHA)));

        assertThatThrownBy(() -> read(manifest, tar(List.of(file("a"), file("b"), file("c"))), root))
            .hasMessageContaining("does not list: \"c\"");
        assertThatThrownBy(() -> read(manifest, tar(List.of(file("a"), file("a0"), file("b"))), null))
            .hasMessageContaining("does not list: \"a0\"");
        assertThatThrownBy(() -> read(manifest, tar(List.of(file("a"), file("c"))), null))
            .hasMessageContaining("lacks \"b\", an entry the manifest lists (it holds \"c\" in its place)");
        assertThatThrownBy(() -> read(manifest, tar(List.of(file("a"))), null))
            .hasMessageContaining("lacks 1 entries").hasMessageContaining("\"b\"");
        assertThatThrownBy(() -> read(manifest, tar(List.of(file("a"), file("a"), file("b"))), null))
            .hasMessageContaining("twice");
    }

    @Test
    void finishSyncsEveryExtractedFileEachDirectoryAfterItsContentsThenTheRoot(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        TarArchiveEntry a = new TarArchiveEntry("a/", true);
        TarArchiveEntry b = new TarArchiveEntry("a/b/", true);
        byte[] tar = tar(List.of(a, b, file("a/b/f"), file("a/g"), symlink("a/l", "g")));
        BackupManifest manifest = manifest(List.of(ManifestEntry.directory("a", 0755, T),
            ManifestEntry.directory("a/b", 0700, T), ManifestEntry.file("a/b/f", 0, 0644, T, EMPTY_SHA),
            ManifestEntry.file("a/g", 0, 0600, T, EMPTY_SHA), ManifestEntry.symlink("a/l", "g", T)));
        List<String> synced = new ArrayList<>();

        ArchiveReader reader = ArchiveReader.read(manifest, new ByteArrayInputStream(tar), root,
            ArchiveReader.Entries.of(manifest.entries()),
            (path, directory) -> synced.add((directory ? "dir " : "file ") + root.relativize(path)));
        assertThat(synced).as("nothing is synced before every check passed").isEmpty();
        reader.finish(ArchiveReader.Entries.of(manifest.entries()));

        assertThat(synced).containsExactly("file a/b/f", "dir a/b", "file a/g", "dir a", "dir ");
    }

    @Test
    void finishAppliesNothingThroughALinkWhenTheEntriesReadAgainDisagreeWithWhatWasExtracted(@TempDir Path dir)
        throws Exception {
        Path outsideFile = Files.createFile(dir.resolve("outside-file"));
        Path outsideDir = Files.createDirectories(dir.resolve("outside-dir"));
        Files.createFile(outsideDir.resolve("x"));
        Files.setPosixFilePermissions(outsideFile, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(outsideDir, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(outsideDir.resolve("x"), PosixFilePermissions.fromString("rw-------"));
        Path root = Files.createDirectories(dir.resolve("root"));
        List<ManifestEntry> extracted = List.of(ManifestEntry.symlink("d", outsideDir.toString(), T),
            ManifestEntry.symlink("f", outsideFile.toString(), T));
        BackupManifest manifest = manifest(extracted);
        ArchiveReader reader = ArchiveReader.read(manifest, new ByteArrayInputStream(tar(List.of(
            symlink("d", outsideDir.toString()), symlink("f", outsideFile.toString())))), root,
            ArchiveReader.Entries.of(extracted), (path, directory) -> { });

        assertThatThrownBy(() -> reader.finish(ArchiveReader.Entries.of(List.of(ManifestEntry.directory("d", 0777,
            T), ManifestEntry.file("d/x", 0, 0777, T, EMPTY_SHA))))).isInstanceOf(BackupVerificationException.class)
            .hasMessageContaining("\"d\" of the manifest was not extracted as it is listed now");
        assertThatThrownBy(() -> reader.finish(ArchiveReader.Entries.of(List.of(ManifestEntry.file("f", 0, 0777, T,
            EMPTY_SHA))))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> reader.finish(ArchiveReader.Entries.of(List.of(ManifestEntry.file("g/h", 0, 0777,
            T, EMPTY_SHA))))).hasMessageContaining("\"g/h\" of the manifest was not extracted as it is listed now");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(outsideFile))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(outsideDir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(outsideDir.resolve("x"))))
            .isEqualTo("rw-------");
    }

    @Test
    void manyFilesAreMadeDurableWithOneSyncOfTheirFileSystem(@TempDir Path dir) throws Exception {
        int files = ArchiveReader.FILE_SYSTEM_SYNC_MIN_FILES;
        Path root = Files.createDirectories(dir.resolve("root"));
        List<String> synced = new ArrayList<>();

        ArchiveReader reader = readFlat(root, files, synced, true);
        assertThat(synced).isEmpty();
        reader.finish(ArchiveReader.Entries.of(listedFlat(files)));

        assertThat(synced).containsExactly("file system ");
        assertThat(root.resolve("d/f" + (files - 1))).exists();
    }

    @Test
    void whenTheFileSystemCannotBeSyncedAtOnceEveryFileAndDirectoryIsSynced(@TempDir Path dir) throws Exception {
        int files = ArchiveReader.FILE_SYSTEM_SYNC_MIN_FILES;
        Path root = Files.createDirectories(dir.resolve("root"));
        List<String> synced = new ArrayList<>();

        readFlat(root, files, synced, false).finish(ArchiveReader.Entries.of(listedFlat(files)));

        assertThat(synced).hasSize(1 + files + 2).startsWith("file system ", "file d/f0")
            .endsWith("file d/f" + (files - 1), "dir d", "dir ");
    }

    @Test
    void fewerFilesAreSyncedOneByOne(@TempDir Path dir) throws Exception {
        int files = ArchiveReader.FILE_SYSTEM_SYNC_MIN_FILES - 1;
        Path root = Files.createDirectories(dir.resolve("root"));
        List<String> synced = new ArrayList<>();

        readFlat(root, files, synced, true).finish(ArchiveReader.Entries.of(listedFlat(files)));

        assertThat(synced).hasSize(files + 2).doesNotContain("file system ");
    }

    /** Extracts directory {@code d} holding {@code files} empty files, recording each sync in {@code synced}. */
    private static ArchiveReader readFlat(Path root, int files, List<String> synced, boolean fileSystemSyncWorks)
        throws IOException {
        List<TarArchiveEntry> tarEntries = new ArrayList<>(List.of(new TarArchiveEntry("d/", true)));
        for (int i = 0; i < files; i++) {
            tarEntries.add(file("d/f" + i));
        }
        List<ManifestEntry> listed = listedFlat(files);
        return ArchiveReader.read(manifest(listed), new ByteArrayInputStream(tar(tarEntries)), root,
            ArchiveReader.Entries.of(listed), new ArchiveReader.Durability() {
                @Override
                public void sync(Path path, boolean directory) {
                    synced.add((directory ? "dir " : "file ") + root.relativize(path));
                }

                @Override
                public boolean syncFileSystem(Path tree) {
                    synced.add("file system " + root.relativize(tree));
                    return fileSystemSyncWorks;
                }
            });
    }

    /** The manifest's entries for {@link #readFlat}. */
    private static List<ManifestEntry> listedFlat(int files) {
        List<ManifestEntry> listed = new ArrayList<>(List.of(ManifestEntry.directory("d", 0755, T)));
        for (int i = 0; i < files; i++) {
            listed.add(ManifestEntry.file("d/f" + i, 0, 0644, T, EMPTY_SHA));
        }
        return listed;
    }

    private static ArchiveReader read(BackupManifest manifest, byte[] tar, Path root) throws IOException {
        return ArchiveReader.read(manifest, new ByteArrayInputStream(tar), root,
            ArchiveReader.Entries.of(manifest.entries()));
    }

    private static BackupManifest manifest(List<ManifestEntry> entries) {
        BackupManifest.Fields f = ManifestFormatTest.fields();
        f.entries = entries;
        return ManifestFormat.seal(f, ManifestFormatTest.KEY);
    }

    private static TarArchiveEntry file(String name) {
        TarArchiveEntry entry = new TarArchiveEntry(name, true);
        entry.setSize(0);
        return entry;
    }

    private static TarArchiveEntry symlink(String name, String target) {
        TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
        entry.setLinkName(target);
        return entry;
    }

    private static byte[] tar(List<TarArchiveEntry> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (TarArchiveEntry entry : new ArrayList<>(entries)) {
                tar.putArchiveEntry(entry);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
