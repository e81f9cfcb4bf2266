package dev.drkit.backup;

import dev.drkit.backup.store.NoSuchBackupException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;

import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Engines.describe;
import static dev.drkit.backup.Engines.engine;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackupEngineTest {

    @Test
    void backsUpAFileAndRestoresItWithItsModeAndTime(@TempDir Path dir) throws Exception {
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = engine(store).label("app", "vault").build();
        Path file = dir.resolve("raft.db");
        byte[] content = sample(300_000, 1);
        Files.write(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-01-02T03:04:05Z")));

        BackupInfo info = engine.backup(BackupSource.file(file));
        Path target = dir.resolve("restored.db");
        RestoreResult result = engine.restore(info.id(), KEY, target);

        assertThat(info.id()).matches("\\d{8}T\\d{6}Z-[0-9a-f]{8}");
        assertThat(info.sourceName()).isEqualTo("raft.db");
        assertThat(info.labels()).containsEntry("app", "vault");
        assertThat(info.plaintextBytes()).isEqualTo(content.length);
        assertThat(Files.readAllBytes(target)).isEqualTo(content);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-r-----");
        assertThat(Files.getLastModifiedTime(target).toInstant()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
        assertThat(result.previous()).isEmpty();
        assertThat(engine.list()).containsExactly(info);
    }

    @Test
    void backsUpADirectoryTreeAndRestoresItExactly(@TempDir Path dir) throws Exception {
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = engine(store).build();
        Path source = dir.resolve("vault");
        Files.createDirectories(source.resolve("sub/deeper"));
        Files.write(source.resolve("a.txt"), "hello".getBytes());
        Files.write(source.resolve("empty"), new byte[0]);
        Files.write(source.resolve("sub/deeper/" + "long-name-".repeat(20)), sample(70_000, 2));
        Files.write(source.resolve("sub/ünïcödé.bin"), sample(1000, 3));
        Files.createSymbolicLink(source.resolve("link"), Path.of("sub/deeper"));
        Files.createSymbolicLink(source.resolve("dangling"), Path.of("/nonexistent/target"));
        Files.setPosixFilePermissions(source.resolve("a.txt"), PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(source.resolve("sub/deeper"), PosixFilePermissions.fromString("r-x------"));
        Files.setLastModifiedTime(source.resolve("sub"), FileTime.from(Instant.parse("2025-05-05T05:05:05Z")));

        BackupInfo info = engine.backup(BackupSource.directory(source));
        Path target = dir.resolve("restored");
        engine.restore(info.id(), KEY, target);

        assertThat(describe(target)).isEqualTo(describe(source));
        assertThat(info.entryCount()).isEqualTo(8);
        assertThat(engine.manifest(info.id()).entries()).extracting(ManifestEntry::path)
            .containsExactly("a.txt", "dangling", "empty", "link", "sub", "sub/deeper",
                "sub/deeper/" + "long-name-".repeat(20), "sub/ünïcödé.bin");
    }

    @Test
    void aFileWhoseNameNoSourceNameCanHoldIsBackedUpUnderAPrintableShortenedOne(@TempDir Path dir) throws Exception {
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = engine(store).build();
        // Linux allows 255 bytes and control characters in a name; a source name is at most 128 printable ones
        Path longName = Files.write(dir.resolve("export-".repeat(30) + "é.csv"), sample(5000, 7));
        Path withNewline = Files.write(dir.resolve("report\nfinal.txt"), sample(3000, 8));

        BackupInfo shortened = engine.backup(BackupSource.file(longName));
        BackupInfo printable = engine.backup(BackupSource.file(withNewline));

        assertThat(shortened.sourceName()).hasSize(BackupSource.MAX_NAME_LENGTH)
            .startsWith("export-export-").endsWith("...");
        assertThat(printable.sourceName()).isEqualTo("report?final.txt");
        Path target = dir.resolve("restored");
        engine.restore(shortened.id(), KEY, target);
        assertThat(Files.readAllBytes(target)).isEqualTo(Files.readAllBytes(longName));
        assertThat(BackupSource.defaultName(Path.of("/"))).isEqualTo("root");
        assertThat(BackupSource.defaultName(Path.of("/srv/ "))).isEqualTo("unnamed");
        // a pair of surrogates is never cut in half
        String emoji = "\uD83D\uDCBE";
        assertThat(BackupSource.defaultName(Path.of("ab" + emoji.repeat(100))))
            .hasSize(BackupSource.MAX_NAME_LENGTH - 1).endsWith(emoji + "...");
    }

    @Test
    void backsUpAStream(@TempDir Path dir) throws Exception {
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = engine(store).compression(Compression.none()).build();
        byte[] dump = sample(50_000, 4);

        BackupInfo info = engine.backup(BackupSource.stream("orders-dump", () -> new ByteArrayInputStream(dump)));
        Path target = dir.resolve("dump.sql");
        engine.restore(info.id(), KEY, target);

        assertThat(Files.readAllBytes(target)).isEqualTo(dump);
        assertThat(info.sourceKind()).isEqualTo(SourceKind.STREAM);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
        assertThat(engine.verify(info.id()).passed()).isTrue();
        assertThat(engine.verify(info.id(), KEY).passed()).isTrue();
        assertThat(List.of(engine.manifest(info.id()).compression())).containsExactly(Compression.none());
    }

    @Test
    void listingSkipsABackupDeletedMeanwhileButNotOneThatLostItsManifest() {
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = engine(store).build();
        BackupInfo first = engine.backup(BackupSource.stream("one", () -> new ByteArrayInputStream(new byte[10])));
        BackupInfo second = engine.backup(BackupSource.stream("two", () -> new ByteArrayInputStream(new byte[10])));

        // a rotation elsewhere deletes the first backup after the store was listed
        store.afterNextList = () -> store.delete(first.id());
        assertThat(engine.list()).containsExactly(second);

        store.remove(second.id(), BackupManifest.OBJECT_NAME);
        assertThatThrownBy(engine::list).isInstanceOf(NoSuchBackupException.class);
    }
}
