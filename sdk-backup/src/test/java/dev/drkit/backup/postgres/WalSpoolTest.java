package dev.drkit.backup.postgres;

import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.PassphraseEncryption;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.secret.Secret;
import org.bouncycastle.bcpg.BCPGInputStream;
import org.bouncycastle.bcpg.Packet;
import org.bouncycastle.bcpg.SymmetricKeyEncSessionPacket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The spool's markers and the {@code archive_command} shell test built from them, run by a real {@code /bin/sh}
 * with the placeholders substituted as PostgreSQL substitutes them: a marker is trusted only for the very file it
 * was written for and only while the store holds the record it was written against.
 */
class WalSpoolTest {

    private static final String A = "000000010000000000000003";
    private static final String B = "000000010000000000000004";
    private static final String C = "000000010000000000000005";
    private static final Secret PASSPHRASE = Secret.ofString("spool test passphrase", "wal");
    private static final Encryption FAST = PassphraseEncryption.builder(PASSPHRASE).s2kBytes(65_536).build();
    /** The stand-in for drkit wal-push in the shell tests: its exit status says the shell fell through to it. */
    private static final int FELL_THROUGH = 42;

    @TempDir
    Path dir;
    private Path data;
    private Path pgWal;
    private Path storeRoot;
    private FileSystemStore store;
    private WalArchive archive;
    private WalSpool spool;

    @BeforeEach
    void open() throws IOException {
        data = dir.resolve("data");
        pgWal = Files.createDirectories(data.resolve("pg_wal"));
        Files.createDirectories(pgWal.resolve("archive_status"));
        storeRoot = dir.resolve("wal store");            // a space, so the quoting is exercised
        store = FileSystemStore.open(storeRoot);
        archive = WalArchive.builder(store).encryption(FAST).decryptionKey(DecryptionKey.passphrase(PASSPHRASE))
            .build();
        spool = WalSpool.open(dir.resolve("spool 100%"));  // and a percent sign, which archive_command escapes
    }

    @AfterEach
    void close() {
        archive.close();
        store.close();
    }

    private Path ready(String name, long seed) throws IOException {
        Path file = pgWal.resolve(name);
        Files.write(file, WalArchiveTest.walLike(1 << 20, seed));
        Files.createFile(pgWal.resolve("archive_status").resolve(name + ".ready"));
        return file;
    }

    /** Runs the archive_command for {@code name} as PostgreSQL would: placeholders replaced, in the data directory. */
    private int archiveCommand(String name, boolean withStore) throws Exception {
        String template = WalSpool.archiveCommand(spool.directory(), withStore ? storeRoot : null,
            "exit " + FELL_THROUGH);
        Process shell = new ProcessBuilder("/bin/sh", "-c", ArchiveCommands.substitute(template, name)).directory(data.toFile())
            .redirectErrorStream(true).start();
        String output = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(shell.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(output).as("the shell test prints nothing").isEmpty();
        return shell.exitValue();
    }

    @Test
    void aMarkerIsTrustedOnceForTheFileAndRecordItWasWrittenFor() throws Exception {
        Path a = ready(A, 1);
        spool.pushAndMark(archive, a);

        assertThat(spool.markedNames()).containsExactly(A);
        assertThat(spool.isMarked(a, archive)).isTrue();
        assertThat(archiveCommand(A, true)).isZero();
        // used up: PostgreSQL asking again (after a crash before it wrote .done) starts the push
        assertThat(spool.markedNames()).isEmpty();
        assertThat(archiveCommand(A, true)).isEqualTo(FELL_THROUGH);
    }

    @Test
    void pushLeavesTheMarkerToTheCallerAndMarkWritesTheSameOne() throws Exception {
        Path a = ready(A, 1);
        WalSpool.Pushed pushed = spool.push(archive, a);

        assertThat(spool.markedNames()).as("committed, not yet marked").isEmpty();
        assertThat(pushed.result().walFileName()).isEqualTo(A);
        assertThat(pushed.marker()).hasValueSatisfying(m -> assertThat(m.name()).isEqualTo(A));
        spool.mark(pushed.marker().orElseThrow());
        assertThat(spool.isMarked(a, archive)).isTrue();
        assertThat(archiveCommand(A, true)).isZero();
    }

    @Test
    void theShellTestWithoutADirectoryStoreChecksTheFileAlone() throws Exception {
        Path a = ready(A, 1);
        spool.pushAndMark(archive, a);

        assertThat(archiveCommand(A, false)).isZero();
        assertThat(spool.markedNames()).isEmpty();
    }

    @Test
    void aMarkerIsNotTrustedWhenTheStoreCopyIsMissing() throws Exception {
        Path a = ready(A, 1);
        spool.pushAndMark(archive, a);
        store.delete(A);

        assertThat(spool.isMarked(a, archive)).isFalse();
        assertThat(archiveCommand(A, true)).isEqualTo(FELL_THROUGH);
    }

    @Test
    void aMarkerIsNotTrustedWhenTheStoreHoldsOtherContentUnderTheName() throws Exception {
        Path a = ready(A, 1);
        spool.pushAndMark(archive, a);
        // the entry replaced by another server's segment of the same name
        store.delete(A);
        Path foreign = Files.createDirectories(dir.resolve("other")).resolve(A);
        Files.write(foreign, WalArchiveTest.walLike(1 << 20, 99));
        archive.push(foreign);

        assertThat(spool.isMarked(a, archive)).isFalse();
        assertThat(archiveCommand(A, true)).isEqualTo(FELL_THROUGH);
        // and the push that the shell falls through to refuses it, as always
        assertThatThrownBy(() -> archive.push(a)).isInstanceOf(WalConflictException.class);
    }

    @Test
    void aMarkerIsNotTrustedForAnotherFileOfTheSameName() throws Exception {
        Path a = ready(A, 1);
        spool.pushAndMark(archive, a);
        // another file renamed into its place (as PostgreSQL installs segments), even with the old modification time
        FileTime modified = Files.getLastModifiedTime(a);
        Path replaced = Files.write(pgWal.resolve(A + ".new"), WalArchiveTest.walLike(1 << 20, 2));
        Files.move(replaced, a, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(a, modified);

        assertThat(spool.isMarked(a, archive)).isFalse();
        assertThat(archiveCommand(A, true)).isEqualTo(FELL_THROUGH);
        assertThat(archiveCommand(A, false)).isEqualTo(FELL_THROUGH);
    }

    @Test
    void aMarkerIsNotTrustedWhenTheFileWasRewrittenInPlace() throws Exception {
        Path a = ready(A, 1);
        spool.pushAndMark(archive, a);
        Files.write(a, WalArchiveTest.walLike(1 << 20, 3));   // same inode and size, new content

        assertThat(spool.isMarked(a, archive)).isFalse();
        assertThat(archiveCommand(A, false)).isEqualTo(FELL_THROUGH);
    }

    @Test
    void pruningRemovesMarkersOfFilesNoLongerReadyAndLeftoverTemporaryFiles() throws Exception {
        Path a = ready(A, 1);
        Path b = ready(B, 2);
        spool.pushAndMark(archive, a);
        spool.pushAndMark(archive, b);
        // PostgreSQL archived A (its .ready became .done), but never through this spool's marker
        Files.move(pgWal.resolve("archive_status").resolve(A + ".ready"),
            pgWal.resolve("archive_status").resolve(A + ".done"));
        Path leftover = spool.directory().resolve("." + C + ".ok.0123456789abcdef.tmp");
        Files.writeString(leftover, "half");
        Files.setLastModifiedTime(leftover, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        Path unrelated = Files.writeString(spool.directory().resolve("README"), "not ours");

        assertThat(spool.prune(pgWal)).isEqualTo(2);

        assertThat(spool.markedNames()).containsExactly(B);
        assertThat(leftover).doesNotExist();
        assertThat(unrelated).exists();
        // PostgreSQL's own status files are never touched
        try (Stream<Path> status = Files.list(pgWal.resolve("archive_status"))) {
            assertThat(status.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(A + ".done",
                B + ".ready");
        }
    }

    @Test
    void readyFilesComeHistoryFirstThenOldestFirst() throws Exception {
        ready(C, 3);
        ready(A, 1);
        ready("00000002.history", 4);
        ready("000000010000000000000004.00000028.backup", 5);
        Files.createFile(pgWal.resolve("archive_status").resolve("000000010000000000000002.done"));
        Files.createFile(pgWal.resolve("archive_status").resolve("not-a-wal-file.ready"));

        assertThat(WalSpool.readyFiles(pgWal)).containsExactly("00000002.history", A,
            "000000010000000000000004.00000028.backup", C);
    }

    @Test
    void readyFilesOfClustersWithSmallerSegmentsAreListed() throws Exception {
        // initdb --wal-segsize=1: segment 0x100 of log 0 follows 0xFF
        ready("0000000100000000000000FF", 1);
        ready("000000010000000000000100", 2);

        assertThat(WalSpool.readyFiles(pgWal)).containsExactly("0000000100000000000000FF",
            "000000010000000000000100");
    }

    @Test
    void aConflictLeavesNoMarker() throws Exception {
        Path foreign = Files.createDirectories(dir.resolve("other")).resolve(A);
        Files.write(foreign, WalArchiveTest.walLike(1 << 20, 99));
        archive.push(foreign);
        Path a = ready(A, 1);

        assertThatThrownBy(() -> spool.pushAndMark(archive, a)).isInstanceOf(WalConflictException.class);
        assertThat(spool.markedNames()).isEmpty();
    }

    @Test
    void oneArchiveDerivesThePassphraseKeyOnceAndEachFileHasItsOwnSessionKey() throws Exception {
        spool.pushAndMark(archive, ready(A, 1));
        spool.pushAndMark(archive, ready(B, 2));

        SymmetricKeyEncSessionPacket first = passphrasePacket(A);
        SymmetricKeyEncSessionPacket second = passphrasePacket(B);
        // one S2K (salt and count) for both: derived once
        assertThat(HexFormat.of().formatHex(first.getS2K().getIV()))
            .isEqualTo(HexFormat.of().formatHex(second.getS2K().getIV()));
        // ... and each file still decrypts on its own, to its own content
        for (String name : List.of(A, B)) {
            Path fetched = dir.resolve("fetched-" + name);
            archive.fetch(name, fetched);
            assertThat(Files.readAllBytes(fetched)).isEqualTo(Files.readAllBytes(pgWal.resolve(name)));
        }
        // a second archive instance derives its own key with its own salt
        try (WalArchive other = WalArchive.builder(store).encryption(FAST).build()) {
            other.push(ready(C, 3));
        }
        assertThat(HexFormat.of().formatHex(passphrasePacket(C).getS2K().getIV()))
            .isNotEqualTo(HexFormat.of().formatHex(first.getS2K().getIV()));
    }

    private SymmetricKeyEncSessionPacket passphrasePacket(String name) throws IOException {
        try (InputStream in = Files.newInputStream(storeRoot.resolve(name).resolve(WalArchive.DATA_OBJECT))) {
            Packet first = new BCPGInputStream(in).readPacket();
            assertThat(first).isInstanceOf(SymmetricKeyEncSessionPacket.class);
            SymmetricKeyEncSessionPacket packet = (SymmetricKeyEncSessionPacket) first;
            // a wrapped session key of its own, not the derived key used directly
            assertThat(packet.getSecKeyData()).isNotEmpty();
            return packet;
        }
    }

    @Test
    void aClosedArchiveRefusesToPush() throws Exception {
        Path a = ready(A, 1);
        archive.close();

        assertThatThrownBy(() -> archive.push(a)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("closed");
    }
}
