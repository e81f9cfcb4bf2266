package dev.drkit.backup;

import dev.drkit.backup.store.TestMount;
import dev.drkit.core.DrkitException;
import dev.drkit.core.internal.Procfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Engines.describe;
import static dev.drkit.backup.Engines.engine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Restores that the target's file system cannot take, on a real tmpfs: refused before anything is written when the
 * manifest shows the data cannot fit or the target is a mount point, and cleaned up when the space runs out midway;
 * the target is left as it was every time.
 */
class RestoreFileSystemLimitsTest {

    private final InMemoryBackupStore store = new InMemoryBackupStore();
    private final BackupEngine engine = engine(store).build();

    @Test
    void aRestoreThatCannotFitIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("big.bin");
        String id = backUpRandomFile(source, 2 << 20, 1);
        Path small = Files.createDirectory(dir.resolve("small"));
        TestMount tmpfs = TestMount.tmpfs(small, "1m");
        assumeTrue(tmpfs != null, "cannot mount a 1 MiB tmpfs here (needs root and a permissive sandbox)");
        try (tmpfs) {
            Path target = small.resolve("big.bin");
            Files.writeString(target, "the data restored last time");

            assertThatThrownBy(() -> engine.restore(id, KEY, target))
                .isInstanceOfSatisfying(BackupIoException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                    assertThat(e.getMessage()).contains("refused", "needs at least 2.0 MiB (2097152 bytes) in " + small,
                        "free. Nothing was written and " + target + " was left as it was");
                    assertThat(e.context()).containsKeys("neededBytes", "availableBytes");
                    assertThat(Long.parseLong(e.context().get("availableBytes"))).isLessThan(2 << 20);
                });
            assertThat(Files.readString(target)).isEqualTo("the data restored last time");
            assertThat(names(small)).containsExactly("big.bin");

            // the same backup restores where there is room
            Path elsewhere = dir.resolve("elsewhere.bin");
            engine.restore(id, KEY, elsewhere);
            assertThat(Files.readAllBytes(elsewhere)).isEqualTo(Files.readAllBytes(source));
        }
    }

    @Test
    void runningOutOfSpaceMidwayFailsCleanlyAndLeavesTheTarget(@TempDir Path dir) throws Exception {
        // Few bytes but many files: the bytes fit, the file system's inodes do not (tmpfs says ENOSPC for both).
        Path source = Files.createDirectory(dir.resolve("tree"));
        for (int i = 0; i < 60; i++) {
            Files.writeString(source.resolve("file-" + i), "line " + i + "\n");
        }
        String id = engine.backup(BackupSource.directory(source)).id();
        Path small = Files.createDirectory(dir.resolve("small"));
        TestMount tmpfs = TestMount.tmpfs(small, "4m", 40);
        assumeTrue(tmpfs != null, "cannot mount a tmpfs with 40 inodes here (needs root and a permissive sandbox)");
        try (tmpfs) {
            Path target = Files.createDirectory(small.resolve("tree"));
            Files.writeString(target.resolve("old"), "old data");
            var before = describe(target);

            assertThatThrownBy(() -> engine.restore(id, KEY, target))
                .isInstanceOfSatisfying(BackupIoException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                    assertThat(e.getMessage()).contains("could not be written", "No space left on device",
                        "the previous data was left as it was");
                });
            assertThat(describe(target)).isEqualTo(before);
            assertThat(names(small)).as("the staging copy is removed").containsExactly("tree");
            // the inodes came back: a small restore fits again
            Path one = dir.resolve("one");
            Files.writeString(one, "one file", StandardCharsets.UTF_8);
            String small1 = engine.backup(BackupSource.file(one)).id();
            engine.restore(small1, KEY, small.resolve("one"));
            assertThat(Files.readString(small.resolve("one"))).isEqualTo("one file");
        }
    }

    @Test
    void aMountPointTargetIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectory(dir.resolve("vault"));
        Files.writeString(source.resolve("vault.hcl"), "storage \"raft\" {}\n");
        String id = engine.backup(BackupSource.directory(source)).id();
        Path target = Files.createDirectory(dir.resolve("mounted"));
        TestMount tmpfs = TestMount.tmpfs(target, "1m");
        assumeTrue(tmpfs != null, "cannot mount a tmpfs here (needs root and a permissive sandbox)");
        try (tmpfs) {
            Files.writeString(target.resolve("vault.hcl"), "the live configuration");

            assertThatThrownBy(() -> engine.restore(id, KEY, target))
                .isInstanceOfSatisfying(BackupIoException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                    assertThat(e.getMessage()).contains("refused: " + target + " is a mount point",
                        "Nothing was written", target.resolve("restored").toString());
                    assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                });
            assertThat(names(dir)).containsExactly("mounted", "vault");
            assertThat(names(target)).containsExactly("vault.hcl");
            assertThat(Files.readString(target.resolve("vault.hcl"))).isEqualTo("the live configuration");

            // what the message advises works
            engine.restore(id, KEY, target.resolve("restored"));
            assertThat(Files.readString(target.resolve("restored/vault.hcl"))).isEqualTo("storage \"raft\" {}\n");
        }
    }

    @Test
    void bindMountsOnTheSameFileSystemAreMountPointsToo(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectory(dir.resolve("conf"));
        Files.writeString(source.resolve("app.conf"), "restored\n");
        String directoryBackup = engine.backup(BackupSource.directory(source)).id();
        Path file = Files.writeString(dir.resolve("app.conf"), "restored\n");
        String fileBackup = engine.backup(BackupSource.file(file)).id();
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("live"), "live");
        Path target = Files.createDirectory(dir.resolve("target"));
        Path live = Files.writeString(dir.resolve("live.conf"), "live");
        Path fileTarget = Files.writeString(dir.resolve("target.conf"), "");
        TestMount directoryBind = TestMount.bind(elsewhere, target);
        assumeTrue(directoryBind != null, "cannot bind-mount here (needs root and a permissive sandbox)");
        try (directoryBind; TestMount fileBind = TestMount.bind(live, fileTarget)) {
            assertThat(fileBind).isNotNull();

            assertThatThrownBy(() -> engine.restore(directoryBackup, KEY, target))
                .isInstanceOf(BackupIoException.class).hasMessageContaining(target + " is a mount point");
            assertThatThrownBy(() -> engine.restore(fileBackup, KEY, fileTarget))
                .isInstanceOf(BackupIoException.class).hasMessageContaining(fileTarget + " is a mount point");
            assertThat(Files.readString(target.resolve("live"))).isEqualTo("live");
            assertThat(Files.readString(fileTarget)).isEqualTo("live");
        }
    }

    @Test
    void aKilledRestoresLeftoverCopyIsRemovedBeforeTheRoomIsJudged(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("big.bin");
        String id = backUpRandomFile(source, 2 << 20, 2);
        Path small = Files.createDirectory(dir.resolve("small"));
        TestMount tmpfs = TestMount.tmpfs(small, "3m");
        assumeTrue(tmpfs != null, "cannot mount a 3 MiB tmpfs here (needs root and a permissive sandbox)");
        try (tmpfs) {
            // a restore of this target killed midway, in a process that is gone: 1.5 MiB of the 3
            Procfs.Owner self = Procfs.Owner.self().orElseThrow();
            String gone = new Procfs.Owner(self.pid(), self.startTicks() + 1, self.namespace(), self.host()).tag();
            Path leftover = small.resolve(".big.bin.drkit-restore-" + gone + "-aabbccddeeff");
            Files.write(leftover, random(3 << 19, 3));

            engine.restore(id, KEY, small.resolve("big.bin"));

            assertThat(Files.readAllBytes(small.resolve("big.bin"))).isEqualTo(Files.readAllBytes(source));
            assertThat(names(small)).containsExactly("big.bin");
        }
    }

    @Test
    void rootMayUseTheBlocksAFileSystemReservesForIt(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("big.bin");
        String id = backUpRandomFile(source, 8 << 20, 4);
        Path mounted = Files.createDirectory(dir.resolve("ext4"));
        // 16 MiB with half reserved for root: about 5.5 MB usable by others, 13 MB by root
        TestMount ext4 = TestMount.ext4(mounted, dir.resolve("ext4.img"), "16M", 50);
        assumeTrue(ext4 != null, "cannot make and loop-mount an ext4 image here (needs root, mkfs.ext4, loop devices)");
        try (ext4) {
            FileStore store = Files.getFileStore(mounted);
            assertThat(store.getUsableSpace()).as("less than the data for an unprivileged writer")
                .isLessThan(8 << 20);
            assertThat(store.getUnallocatedSpace()).isGreaterThan(8 << 20);

            engine.restore(id, KEY, mounted.resolve("big.bin"));

            assertThat(Files.readAllBytes(mounted.resolve("big.bin"))).isEqualTo(Files.readAllBytes(source));
        }
    }

    @Test
    void theNewestCopyBesideATargetIsByTimeThenByNumberAndOtherNamesAreIgnored(@TempDir Path dir)
        throws Exception {
        for (String name : List.of("vault.pre-restore-20261201T000000Z", "vault.pre-restore-20261201T000000Z-9",
            "vault.pre-restore-20261201T000000Z-10", "vault.pre-restore-20261130T235959Z-99",
            "vault.pre-restore-old", "vault.pre-restore-20261201T000000Z-1.tar.gz",
            "vault.pre-restore-20261201T000000Z-12345678901234567890", "vault.old.pre-restore-20991231T000000Z")) {
            Files.createDirectory(dir.resolve(name));
        }
        assertThat(RestoreTargetChecks.newestAside(dir.resolve("vault")))
            .contains(dir.resolve("vault.pre-restore-20261201T000000Z-10"));
        assertThat(RestoreTargetChecks.newestAside(dir.resolve("other"))).isEmpty();
        assertThat(RestoreTargetChecks.newestAside(dir.resolve("missing/vault"))).isEmpty();
    }

    @Test
    void mountPointsAreReadWithTheKernelsEscapes() {
        assertThat(RestoreTargetChecks.unescape("/mnt/a\\040b\\011c\\134d")).isEqualTo("/mnt/a b\tc\\d");
        assertThat(RestoreTargetChecks.mountPoints()).as("this process's mount table").contains("/");
    }

    @Test
    void sizesInMessagesAreReadableAndExact() {
        assertThat(RestoreTargetChecks.size(1000)).isEqualTo("1000 bytes");
        assertThat(RestoreTargetChecks.size(3L << 30)).isEqualTo("3.0 GiB (3221225472 bytes)");
    }

    /** Writes {@code size} random bytes to {@code source} and backs it up; the backup's id. */
    private String backUpRandomFile(Path source, int size, long seed) throws IOException {
        Files.write(source, random(size, seed));
        return engine.backup(BackupSource.file(source)).id();
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        return bytes;
    }

    private static List<String> names(Path dir) throws IOException {
        try (var paths = Files.list(dir)) {
            return paths.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
