package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupIoException;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.PassphraseEncryption;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.TestMount;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Segments fetched ahead into the read-ahead spool, and the {@code restore_command} shell part that answers from it,
 * run by a real {@code /bin/sh} with the placeholders substituted as PostgreSQL substitutes them. The archive holds
 * 1 MiB segments ({@code initdb --wal-segsize=1}), 4096 to a WAL file number, so the name arithmetic is exercised
 * across a boundary.
 */
class WalReadAheadTest {

    private static final long SEGMENT = 1 << 20;
    private static final Secret PASSPHRASE = Secret.ofString("read-ahead test passphrase", "wal");
    private static final Encryption FAST = PassphraseEncryption.builder(PASSPHRASE).s2kBytes(65_536).build();
    /** The stand-in for drkit wal-fetch in the shell tests: its exit status says the shell fell through to it. */
    private static final int FELL_THROUGH = 42;

    @TempDir
    Path dir;
    private Path data;
    private Path storeRoot;
    private FileSystemStore store;
    private WalArchive archive;
    private WalReadAhead spool;
    private final Map<String, byte[]> pushed = new HashMap<>();

    @BeforeEach
    void open() throws IOException {
        data = dir.resolve("data");
        Files.createDirectories(data.resolve("pg_wal"));
        storeRoot = dir.resolve("wal store");
        store = FileSystemStore.open(storeRoot);
        archive = WalArchive.builder(store).encryption(FAST).decryptionKey(DecryptionKey.passphrase(PASSPHRASE))
            .build();
        spool = WalReadAhead.open(dir.resolve("read ahead 100%"));  // a space and a percent sign for the quoting
    }

    @AfterEach
    void close() {
        archive.close();
        store.close();
    }

    /** Segment {@code segno} of timeline {@code tli}, pushed. */
    private String push(int tli, long segno) throws IOException {
        return push(tli, segno, 0);
    }

    /** The same, with content that differs for each {@code cluster}. */
    private String push(int tli, long segno, int cluster) throws IOException {
        String name = String.format("%08X%08X%08X", tli, segno / 4096, segno % 4096);
        byte[] content = WalArchiveTest.walLike((int) SEGMENT, segno * 31 + tli + 1_000_003L * cluster);
        Path file = Files.createDirectories(dir.resolve("source")).resolve(name);
        Files.write(file, content);
        archive.push(file);
        pushed.put(name, content);
        return name;
    }

    /** Runs the restore_command for {@code name} as PostgreSQL would: placeholders replaced, in the data directory. */
    private int restoreCommand(String name) throws Exception {
        String template = WalReadAhead.restoreCommand(spool.directory(), storeRoot, "exit " + FELL_THROUGH);
        String command = template.replace("%%", "\u0000").replace("%f", name).replace("%p", "pg_wal/RECOVERYXLOG")
            .replace("\u0000", "%");
        Process shell = new ProcessBuilder("/bin/sh", "-c", command).directory(data.toFile()).redirectErrorStream(true)
            .start();
        String output = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(shell.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(output).as("the shell part prints nothing").isEmpty();
        return shell.exitValue();
    }

    @Test
    void theSegmentsAfterTheOneAskedForAreSpooledCheckedAndServedByTheShellInOrder() throws Exception {
        String first = push(1, 4093);
        List<String> next = List.of(push(1, 4094), push(1, 4095), push(1, 4096), push(1, 4097));
        assertThat(next).contains("000000010000000000000FFF", "000000010000000100000000");

        assertThat(spool.fetchAhead(archive, first, SEGMENT, 3, 2)).containsExactlyElementsOf(next.subList(0, 3));
        assertThat(spool.spooled()).containsExactlyElementsOf(next.subList(0, 3));
        for (String name : next.subList(0, 3)) {
            assertThat(Files.readAllBytes(spool.directory().resolve(name))).isEqualTo(pushed.get(name));
        }

        // from here on the store holds only its records: what the shell serves comes from the spool alone
        for (String name : next.subList(0, 3)) {
            Files.delete(storeRoot.resolve(name).resolve(WalArchive.DATA_OBJECT));
        }
        for (String name : next.subList(0, 3)) {
            assertThat(restoreCommand(name)).isZero();
            assertThat(Files.readAllBytes(data.resolve("pg_wal/RECOVERYXLOG"))).isEqualTo(pushed.get(name));
        }
        assertThat(spool.spooled()).isEmpty();
        assertThat(restoreCommand(next.get(3))).as("not spooled: falls through to wal-fetch").isEqualTo(FELL_THROUGH);
    }

    @Test
    void fetchingAheadStopsAtTheFirstSegmentTheArchiveLacksAndSkipsWhatIsSpooled() throws Exception {
        String first = push(1, 10);
        String second = push(1, 11);
        String third = push(1, 12);
        push(1, 14);  // after a gap: recovery cannot reach it, so it is not fetched

        assertThat(spool.fetchAhead(archive, first, SEGMENT, 1, 1)).containsExactly(second);
        assertThat(spool.fetchAhead(archive, first, SEGMENT, 8, 1)).as("the spooled one is not fetched again")
            .containsExactly(third);
        assertThat(spool.spooled()).containsExactly(second, third);
    }

    @Test
    void fetchingAheadRemovesWhatRecoveryHasPassedAndKillsLeftovers() throws Exception {
        String old = push(1, 20);
        String asked = push(1, 21);
        String after = push(1, 22);
        spool.fetchAhead(archive, push(1, 19), SEGMENT, 2, 1);
        assertThat(spool.spooled()).containsExactly(old, asked);
        Path leftover = spool.directory().resolve("." + after + ".drkit-0123456789abcdef");
        Files.write(leftover, new byte[] {1});
        Files.setLastModifiedTime(leftover, FileTime.fromMillis(System.currentTimeMillis() - 120_000));
        Path fresh = spool.directory().resolve("." + after + ".drkit-fedcba9876543210");
        Files.write(fresh, new byte[] {1});
        Path foreign = Files.write(spool.directory().resolve("notes.txt"), new byte[] {1});

        // recovery asked for `asked` through wal-fetch (the shell did not take it): it and all before go
        assertThat(spool.fetchAhead(archive, asked, SEGMENT, 4, 2)).containsExactly(after);
        assertThat(spool.spooled()).containsExactly(after);
        assertThat(leftover).doesNotExist();
        assertThat(fresh).as("a fetch that may still run").exists();
        assertThat(foreign).exists();
    }

    @Test
    void filesOfANewerTimelineLeftByAnEarlierRecoveryAreRemovedNotKeptForEver() throws Exception {
        push(2, 50);
        spool.fetchAhead(archive, push(2, 49), SEGMENT, 1, 1);
        assertThat(spool.spooled()).containsExactly("000000020000000000000032");

        // a new recovery in the same spool, on timeline 1: the timeline-2 file sorts after all it asks for
        push(1, 61);
        assertThat(spool.fetchAhead(archive, push(1, 60), SEGMENT, 1, 1)).containsExactly("00000001000000000000003D");
        assertThat(spool.spooled()).containsExactly("00000001000000000000003D");
        try (Stream<Path> files = Files.list(spool.directory())) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("00000002"));
        }
    }

    @Test
    void aDamagedSegmentIsNotSpooledAndTheFetchOfItReportsTheDamage() throws Exception {
        String first = push(1, 30);
        String damaged = push(1, 31);
        Path object = storeRoot.resolve(damaged).resolve(WalArchive.DATA_OBJECT);
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(object, bytes);
        push(1, 32);

        assertThat(spool.fetchAhead(archive, first, SEGMENT, 4, 1)).as("it stops at the damaged one").isEmpty();
        assertThat(spool.spooled()).isEmpty();
        assertThat(restoreCommand(damaged)).isEqualTo(FELL_THROUGH);
        assertThatThrownBy(() -> archive.fetch(damaged, data.resolve("pg_wal/RECOVERYXLOG")))
            .isInstanceOf(dev.drkit.backup.BackupVerificationException.class).hasMessageContaining(damaged);
        try (Stream<Path> files = Files.list(spool.directory())) {
            assertThat(files.map(f -> f.getFileName().toString()))
                .as("no temporary file or record left, nothing after the damaged one")
                .containsExactly(WalReadAhead.BOOT_MARK);
        }
    }

    @Test
    void onlyWholeSegmentsAreFetchedAheadOnTheirOwnTimeline() throws Exception {
        push(1, 40);
        push(2, 41);
        String history = "00000002.history";
        assertThat(spool.fetchAhead(archive, history, SEGMENT, 4, 1)).isEmpty();
        assertThat(spool.fetchAhead(archive, "000000010000000000000028.partial", SEGMENT, 4, 1)).isEmpty();
        assertThat(spool.fetchAhead(archive, "000000010000000000000027", SEGMENT, 4, 1))
            .containsExactly("000000010000000000000028");
        assertThat(spool.fetchAhead(archive, "000000020000000000000028", SEGMENT, 4, 1))
            .as("and the timeline-1 file spooled before is passed").containsExactly("000000020000000000000029");
        assertThat(spool.spooled()).containsExactly("000000020000000000000029");
    }

    @Test
    void aFileLeftFromAnotherArchiveAtTheSamePlaceIsNeverServed() throws Exception {
        String first = push(1, 70);
        String second = push(1, 71);
        spool.fetchAhead(archive, first, SEGMENT, 1, 1);
        assertThat(spool.spooled()).containsExactly(second);

        // the store is made again at the same place, by another cluster whose WAL has the same names
        archive.close();
        store.close();
        dev.drkit.backup.internal.store.LocalFiles.deleteTree(storeRoot);
        store = FileSystemStore.open(storeRoot);
        archive = WalArchive.builder(store).encryption(FAST).decryptionKey(DecryptionKey.passphrase(PASSPHRASE))
            .build();
        pushed.clear();
        push(1, 71, 1);
        assertThat(pushed.get(second)).isNotEqualTo(Files.readAllBytes(spool.directory().resolve(second)));

        assertThat(restoreCommand(second)).as("the shell part compares the records").isEqualTo(FELL_THROUGH);
        Path target = data.resolve("pg_wal/RECOVERYXLOG");
        assertThat(spool.take(archive, second, target)).isFalse();
        assertThat(target).doesNotExist();
        assertThat(spool.directory().resolve(second)).as("removed").doesNotExist();
        assertThat(spool.directory().resolve(second + WalReadAhead.RECORD_SUFFIX)).doesNotExist();
    }

    @Test
    void filesSpooledBeforeTheHostRestartedAreNeverServed() throws Exception {
        String first = push(1, 80);
        String second = push(1, 81);
        String third = push(1, 82);
        assertThat(spool.fetchAhead(archive, first, SEGMENT, 2, 1)).containsExactly(second, third);
        Path mark = spool.directory().resolve(WalReadAhead.BOOT_MARK);
        assertThat(Files.readAllBytes(mark)).isEqualTo(Files.readAllBytes(WalReadAhead.BOOT_ID));

        // as after a crash of the host: the files were written under another boot, and may not be whole on disk
        Files.writeString(mark, "00000000-0000-4000-8000-000000000000\n");
        Files.write(spool.directory().resolve(third), new byte[(int) SEGMENT]);

        assertThat(restoreCommand(third)).as("the shell part compares the boot ids").isEqualTo(FELL_THROUGH);
        Path target = data.resolve("pg_wal/RECOVERYXLOG");
        assertThat(spool.take(archive, third, target)).isFalse();
        assertThat(target).doesNotExist();
        assertThat(spool.directory().resolve(third)).as("removed").doesNotExist();

        // the next fetch ahead clears the spool of the earlier boot, then spools again under this one
        assertThat(spool.fetchAhead(archive, first, SEGMENT, 2, 1)).containsExactly(second, third);
        assertThat(Files.readAllBytes(mark)).isEqualTo(Files.readAllBytes(WalReadAhead.BOOT_ID));
        assertThat(restoreCommand(third)).isZero();
        assertThat(Files.readAllBytes(target)).isEqualTo(pushed.get(third));
    }

    @Test
    void withoutADirectoryStoreTheCommandIsTheFetchAlone() {
        assertThat(WalReadAhead.restoreCommand(spool.directory(), null, "drkit wal-fetch --spool S %f %p"))
            .isEqualTo("drkit wal-fetch --spool S %f %p");
    }

    @Test
    void nothingIsFetchedAheadOnceTheTimeLimitHasPassed() throws Exception {
        String first = push(1, 80);
        push(1, 81);
        assertThat(spool.fetchAhead(archive, first, SEGMENT, 4, 1, java.time.Duration.ZERO)).isEmpty();
        assertThat(spool.spooled()).isEmpty();
    }

    @Test
    void aSpoolOthersMayWriteIntoIsRefused() throws Exception {
        Path open = Files.createDirectory(dir.resolve("group-writable"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwx---"));
        assertThatThrownBy(() -> WalReadAhead.open(open)).isInstanceOf(dev.drkit.backup.BackupIoException.class)
            .hasMessageContaining("others may write into it");
    }

    @Test
    void aSpoolOfAnotherUserIsRefused() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
            "needs root to give a directory away");
        Path foreign = Files.createDirectory(dir.resolve("foreign"));
        Files.setPosixFilePermissions(foreign, PosixFilePermissions.fromString("rwx------"));
        Files.setOwner(foreign, foreign.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(
            "nobody"));
        assertThatThrownBy(() -> WalReadAhead.open(foreign)).isInstanceOf(dev.drkit.backup.BackupIoException.class)
            .hasMessageContaining("belongs to nobody");
    }

    @Test
    void takeMovesASpooledFileAndSaysWhenThereIsNone() throws Exception {
        String first = push(1, 50);
        String second = push(1, 51);
        spool.fetchAhead(archive, first, SEGMENT, 1, 1);
        Path target = data.resolve("pg_wal/RECOVERYXLOG");
        Files.write(target, new byte[] {9});

        assertThat(spool.take(archive, second, target)).isTrue();
        assertThat(Files.readAllBytes(target)).isEqualTo(pushed.get(second));
        assertThat(spool.take(archive, second, target)).isFalse();
        assertThat(Files.readAllBytes(target)).isEqualTo(pushed.get(second));
    }

    @Test
    void aTakeAcrossFileSystemsThatFailsLeavesNothingBesideTheTarget() throws Exception {
        String first = push(1, 60);
        String second = push(1, 61);
        spool.fetchAhead(archive, first, SEGMENT, 1, 1);
        Path pgWal = data.resolve("pg_wal");
        // pg_wal on a file system of its own: the file is copied beside the target, then renamed onto it
        TestMount mount = TestMount.tmpfs(pgWal, "8m");
        assumeTrue(mount != null, "cannot mount a tmpfs here (needs root and a permissive sandbox)");
        try (mount) {
            // a target the rename cannot replace (the JDK's copy already removes a copy cut short itself)
            Path target = Files.createDirectories(pgWal.resolve("RECOVERYXLOG").resolve("in-the-way"))
                .getParent();

            assertThatThrownBy(() -> spool.take(archive, second, target)).isInstanceOf(BackupIoException.class)
                .hasMessageContaining("cannot move " + second);

            try (Stream<Path> left = Files.list(pgWal)) {
                assertThat(left).as("what the failed take left in pg_wal").containsExactly(target);
            }
            assertThat(spool.directory().resolve(second)).as("still spooled for a later take").isRegularFile();
        }
    }

    @Test
    void theSpoolIsPrivateAndNotALinkAndArgumentsAreChecked() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(spool.directory())))
            .isEqualTo("rwx------");
        Path link = Files.createSymbolicLink(dir.resolve("link"), spool.directory());
        assertThatThrownBy(() -> WalReadAhead.open(link)).isInstanceOf(dev.drkit.backup.BackupIoException.class)
            .hasMessageContaining("not a directory");
        String first = push(1, 60);
        assertThatThrownBy(() -> spool.fetchAhead(archive, first, 3 << 20, 1, 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
        assertThatThrownBy(() -> spool.fetchAhead(archive, first, SEGMENT, WalReadAhead.MAX_SEGMENTS + 1, 1))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spool.fetchAhead(archive, first, SEGMENT, 1, 0))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spool.take(archive, "../etc/passwd", data.resolve("x")))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
