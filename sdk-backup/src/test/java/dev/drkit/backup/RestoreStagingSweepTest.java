package dev.drkit.backup;

import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.internal.Procfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A restore killed midway leaves its decrypted staging copy beside the target; the next restore to that target
 * removes it, and never a staging copy of a restore that still runs, nor anything a link points to.
 */
class RestoreStagingSweepTest {

    @Test
    void aRestoreKilledMidwayLeavesAStagingCopyThatTheNextRestoreRemoves(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectories(dir.resolve("source"));
        for (int i = 0; i < 8; i++) {
            Files.write(source.resolve("file-" + i), sample(1024 * 1024, i));
        }
        Path root = dir.resolve("store");
        String id;
        try (FileSystemStore store = FileSystemStore.builder(root).build()) {
            id = engine(store).backup(BackupSource.directory(source)).id();
        }
        Path target = dir.resolve("restored");
        Path errors = dir.resolve("child.err");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx64m", "-cp", System.getProperty("java.class.path"), RestoreKillChildMain.class.getName(),
            root.toString(), id, target.toString()).redirectError(errors.toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8));
            assertThat(out.readLine()).as(() -> "the child's stderr:\n" + read(errors)).isEqualTo("MIDWAY");
        } finally {
            child.destroyForcibly(); // SIGKILL: no finally block and no shutdown hook runs in the child
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        List<Path> left = staging(dir, "restored");
        assertThat(left).as("the killed restore's staging copy, named after its process").singleElement()
            .satisfies(p -> assertThat(p.getFileName().toString()).contains(".drkit-restore-p" + child.pid() + "s"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(left.get(0)))).isEqualTo("rwx------");
        assertThat(target).doesNotExist();

        try (FileSystemStore store = FileSystemStore.builder(root).build()) {
            engine(store).restore(id, KEY, target);
        }

        assertThat(staging(dir, "restored")).isEmpty();
        assertThat(Engines.describe(target)).isEqualTo(Engines.describe(source));
    }

    @Test
    void theSweepKeepsALiveRestoresCopyOtherMachinesUnknownNamesAndLinksAndOtherTargetsCopies(@TempDir Path dir)
        throws Exception {
        Path source = Files.writeString(dir.resolve("source"), "the data");
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = Engines.engine(store).build();
        String id = engine.backup(BackupSource.file(source)).id();
        Procfs.Owner self = Procfs.Owner.self().orElseThrow();
        String gone = new Procfs.Owner(self.pid(), self.startTicks() + 1, self.namespace(), self.host()).tag();
        String otherNamespace = new Procfs.Owner(self.pid(), self.startTicks() + 1, "1", self.host()).tag();
        // a restore on another machine writing to the same shared file system: its pid means nothing here
        String otherHost = new Procfs.Owner(self.pid(), self.startTicks() + 1, self.namespace(),
            self.host().equals("00000000") ? "00000001" : "00000000").tag();

        Path staleFile = Files.writeString(dir.resolve(".t.drkit-restore-" + gone + "-00112233aabb"), "plaintext");
        Path staleDir = Files.createDirectories(dir.resolve(".t.drkit-restore-" + gone + "-445566778899"));
        Files.createDirectories(staleDir.resolve("sub"));
        Files.writeString(staleDir.resolve("sub/secret"), "plaintext");
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "keep");
        Files.createSymbolicLink(staleDir.resolve("link"), outside);
        Path live = Files.createDirectories(dir.resolve(".t.drkit-restore-" + self.tag() + "-aabbccddeeff"));
        Path foreign = Files.createDirectories(dir.resolve(".t.drkit-restore-" + otherNamespace + "-aabbccddeeff"));
        Path otherMachine = Files.createDirectories(dir.resolve(".t.drkit-restore-" + otherHost + "-aabbccddeeff"));
        Path unowned = Files.createDirectories(dir.resolve(".t.drkit-restore-0a1b2c3d4e5f"));
        Path link = Files.createSymbolicLink(dir.resolve(".t.drkit-restore-" + gone + "-ffeeddccbbaa"), outside);
        Path otherTarget = Files.createDirectories(dir.resolve(".u.drkit-restore-" + gone + "-445566778899"));

        engine.restore(id, KEY, dir.resolve("t"));

        assertThat(dir.resolve("t")).hasContent("the data");
        assertThat(staleFile).doesNotExist();
        assertThat(staleDir).doesNotExist();
        assertThat(outside.resolve("keep")).hasContent("keep");
        assertThat(live).isDirectory();
        assertThat(foreign).isDirectory();
        assertThat(otherMachine).isDirectory();
        assertThat(unowned).isDirectory();
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(otherTarget).isDirectory();
        assertThat(staging(dir, "t")).containsExactlyInAnyOrder(live, foreign, otherMachine, unowned, link);
    }

    private static BackupEngine engine(FileSystemStore store) {
        return BackupEngine.builder(store).encryption(Engines.fastEncryption()).build();
    }

    private static List<Path> staging(Path dir, String target) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("." + target + ".drkit-restore-"))
                .filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS)).collect(Collectors.toList());
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
