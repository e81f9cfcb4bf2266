package dev.drkit.backup.postgres;

import dev.drkit.backup.ExternalTools;
import dev.drkit.backup.BackupDecryptionException;
import dev.drkit.backup.BackupVerificationException;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.Identity;
import dev.drkit.backup.OpenPgpKeyPair;
import dev.drkit.backup.PassphraseEncryption;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.ForwardingStore;
import dev.drkit.backup.store.NoSuchBackupException;
import dev.drkit.backup.store.StoreUnavailableException;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The WAL archive's Java API over a real directory store: round trips, re-pushes, and each fault it must name. */
class WalArchiveTest {

    private static final String SEGMENT = "000000010000000000000003";
    private static final Secret PASSPHRASE = Secret.ofString("wal archive passphrase", "wal");
    private static final Secret OTHER = Secret.ofString("another passphrase", "other");
    // a low S2K count keeps the tests quick; the format is the same
    private static final Encryption FAST = PassphraseEncryption.builder(PASSPHRASE).s2kBytes(65_536).build();
    private static OpenPgpKeyPair pair;

    @TempDir
    Path dir;
    private Path storeRoot;
    private FileSystemStore store;
    private WalArchive archive;

    @BeforeEach
    void open() {
        storeRoot = dir.resolve("wal");
        store = FileSystemStore.open(storeRoot);
        archive = WalArchive.builder(store).encryption(FAST).decryptionKey(DecryptionKey.passphrase(PASSPHRASE))
            .build();
    }

    @AfterAll
    static void closeKeys() {
        if (pair != null) {
            pair.close();
        }
    }

    static byte[] walLike(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = i % 4096 < 1500 ? (byte) random.nextInt(256) : (byte) (i % 7);
        }
        return bytes;
    }

    private Path file(String name, byte[] content) throws IOException {
        Path source = Files.createDirectories(dir.resolve("pg_wal-" + name.hashCode())).resolve(name);
        Files.write(source, content);
        return source;
    }

    @Test
    void pushedFilesOfEveryKindFetchBackByteForByte() throws IOException {
        List<String> names = List.of(SEGMENT, "00000002.history", "000000010000000000000002.00000028.backup",
            "000000020000000000000004.partial");
        List<byte[]> contents = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            byte[] content = walLike(i == 0 ? 1 << 20 : 300 + i, i);
            contents.add(content);
            WalPushResult result = archive.push(file(names.get(i), content));
            assertThat(result.alreadyArchived()).isFalse();
            assertThat(result.bytes()).isEqualTo(content.length);
        }

        assertThat(archive.list()).containsExactlyInAnyOrderElementsOf(names);
        for (int i = 0; i < names.size(); i++) {
            Path target = dir.resolve("restore").resolve("RECOVERYXLOG" + i);
            Files.createDirectories(target.getParent());
            archive.fetch(names.get(i), target);
            assertThat(Files.readAllBytes(target)).isEqualTo(contents.get(i));
        }
        // the layout the docs promise: one entry per file, the message and its record
        assertThat(storeRoot.resolve(SEGMENT).resolve(WalArchive.DATA_OBJECT)).isRegularFile();
        String meta = Files.readString(storeRoot.resolve(SEGMENT).resolve(WalArchive.META_OBJECT));
        assertThat(meta).contains("\"name\":\"" + SEGMENT + "\"", "\"bytes\":1048576", "\"encryption\":\"passphrase\"");
        // compressed: WAL-like pages shrink
        assertThat(Files.size(storeRoot.resolve(SEGMENT).resolve(WalArchive.DATA_OBJECT))).isLessThan(1 << 20);
    }

    @Test
    void pushingTheSameContentAgainSucceedsWithoutWriting() throws IOException {
        Path source = file(SEGMENT, walLike(100_000, 1));
        archive.push(source);
        long before = Files.getLastModifiedTime(storeRoot.resolve(SEGMENT).resolve(WalArchive.DATA_OBJECT)).toMillis();

        WalPushResult again = archive.push(source);

        assertThat(again.alreadyArchived()).isTrue();
        assertThat(Files.getLastModifiedTime(storeRoot.resolve(SEGMENT).resolve(WalArchive.DATA_OBJECT)).toMillis())
            .isEqualTo(before);
    }

    @Test
    void pushingTheSameContentAgainForcesTheArchivedEntryToDiskBeforeItSucceeds() throws IOException {
        Path source = file(SEGMENT, walLike(100_000, 1));
        archive.push(source);
        // the push that archived it may have been killed between its rename and the directory's fsync
        List<String> forced = new ArrayList<>();
        ForwardingStore watched = new ForwardingStore(store) {
            @Override
            public void forceToDisk(String backupId) throws IOException {
                forced.add(backupId);
                super.forceToDisk(backupId);
            }
        };
        WalArchive again = WalArchive.builder(watched).encryption(FAST).build();

        assertThat(again.push(source).alreadyArchived()).isTrue();
        assertThat(forced).containsExactly(SEGMENT);
    }

    @Test
    void pushingTheSameContentAgainFailsWhenTheStoredCopyIsMissingOrCut() throws IOException {
        // success would let PostgreSQL recycle the only good copy (a promoted standby archiving it again)
        Path source = file(SEGMENT, walLike(100_000, 1));
        archive.push(source);
        Path data = storeRoot.resolve(SEGMENT).resolve(WalArchive.DATA_OBJECT);
        byte[] stored = Files.readAllBytes(data);

        Files.write(data, java.util.Arrays.copyOf(stored, stored.length / 2));
        assertThatThrownBy(() -> archive.push(source)).isInstanceOf(BackupVerificationException.class)
            .hasMessageContaining(SEGMENT + " is archived with identical content, but its " + WalArchive.DATA_OBJECT
                + " is " + stored.length / 2 + " bytes where its record says " + stored.length);
        Files.delete(data);
        assertThatThrownBy(() -> archive.push(source)).isInstanceOf(BackupVerificationException.class)
            .hasMessageContaining(WalArchive.DATA_OBJECT + " is missing").hasMessageContaining("PostgreSQL keeps the file");
    }

    @Test
    void pushingDifferentContentUnderAnArchivedNameIsRefusedAndKeepsTheArchivedFile() throws IOException {
        byte[] first = walLike(100_000, 1);
        archive.push(file(SEGMENT, first));
        byte[] second = first.clone();
        second[5000] ^= 1;
        Path other = Files.createDirectories(dir.resolve("standby")).resolve(SEGMENT);
        Files.write(other, second);

        assertThatThrownBy(() -> archive.push(other))
            .isInstanceOfSatisfying(WalConflictException.class, e -> {
                assertThat(e.walFileName()).isEqualTo(SEGMENT);
                assertThat(e.archivedSha256()).isNotEqualTo(e.pushedSha256());
                assertThat(e.kind()).isEqualTo(dev.drkit.core.DrkitException.Kind.DATA);
            })
            .hasMessageContaining("already holds " + SEGMENT + " with different content");
        Path target = dir.resolve("fetched");
        archive.fetch(SEGMENT, target);
        assertThat(Files.readAllBytes(target)).isEqualTo(first);
    }

    @Test
    void fetchingAMissingFileIsItsOwnExceptionAndWritesNothing() throws IOException {
        archive.push(file(SEGMENT, walLike(50_000, 2)));
        Path target = dir.resolve("RECOVERYHISTORY");

        assertThatThrownBy(() -> archive.fetch("00000002.history", target))
            .isInstanceOfSatisfying(NoSuchWalFileException.class,
                e -> assertThat(e.walFileName()).isEqualTo("00000002.history"));
        assertThat(target).doesNotExist();
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("wal", "pg_wal-" + SEGMENT.hashCode());
    }

    @Test
    void aStoreHoldingNoWalAtAllIsNotTheEndOfTheArchiveButAStoreThatCannotBeIt() throws IOException {
        // an archive's mount point while its file system is not mounted: an empty directory
        Path emptyMountPoint = Files.createDirectory(dir.resolve("not-mounted"));
        Path target = dir.resolve("RECOVERYXLOG");

        try (FileSystemStore empty = FileSystemStore.openReadOnly(emptyMountPoint)) {
            WalArchive unmounted = WalArchive.builder(empty).decryptionKey(DecryptionKey.passphrase(PASSPHRASE))
                .build();
            assertThatThrownBy(() -> unmounted.fetch(SEGMENT, target))
                .isInstanceOfSatisfying(StoreUnavailableException.class,
                    e -> assertThat(e.kind()).isEqualTo(dev.drkit.core.DrkitException.Kind.ENVIRONMENT))
                .hasMessageContaining("holds no WAL file at all").hasMessageContaining("mounted");
        }
        assertThat(target).doesNotExist();
    }

    @Test
    void aWrongPassphraseIsNamedAndLeavesTheDestinationAlone() throws IOException {
        archive.push(file(SEGMENT, walLike(50_000, 2)));
        Path target = dir.resolve("RECOVERYXLOG");
        Files.writeString(target, "old");
        WalArchive wrong = WalArchive.builder(store).decryptionKey(DecryptionKey.passphrase(OTHER)).build();

        assertThatThrownBy(() -> wrong.fetch(SEGMENT, target))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(BackupDecryptionException.Reason.WRONG_PASSPHRASE))
            .hasMessageContaining("cannot decrypt " + SEGMENT);
        assertThat(Files.readString(target)).isEqualTo("old");
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("wal", "RECOVERYXLOG", "pg_wal-" + SEGMENT.hashCode());
    }

    @Test
    void aFetchRemovesWhatAFetchKilledMidwayLeftBesideItsTargetAndNothingElse() throws IOException {
        archive.push(file(SEGMENT, walLike(50_000, 4)));
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal-killed"));
        Path target = pgWal.resolve("RECOVERYXLOG");
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(
            java.time.Instant.now().minus(java.time.Duration.ofMinutes(WalArchive.STALE_TEMPORARY_MINUTES + 1)));
        Path killed = Files.write(pgWal.resolve(".RECOVERYXLOG.drkit-5f3a9c"), new byte[4096]);
        Files.setLastModifiedTime(killed, old);
        // what a read-ahead spool's copy to another file system leaves when it is killed midway
        Path killedCopy = Files.write(WalArchive.temporaryFile(target), new byte[4096]);
        Files.setLastModifiedTime(killedCopy, old);
        Path stillWriting = Files.write(pgWal.resolve(".RECOVERYXLOG.drkit-77aa"), new byte[10]);
        Path otherTarget = Files.write(pgWal.resolve(".RECOVERYHISTORY.drkit-1234"), new byte[10]);
        Files.setLastModifiedTime(otherTarget, old);
        Path notOurs = Files.write(pgWal.resolve(".RECOVERYXLOG.drkit-not-hex"), new byte[10]);
        Files.setLastModifiedTime(notOurs, old);
        Path outside = Files.writeString(dir.resolve("outside-pg-wal"), "kept");
        Path link = Files.createSymbolicLink(pgWal.resolve(".RECOVERYXLOG.drkit-abcdef"), outside);
        try {
            // the link itself old, as a leftover would be (Java sets times through links only)
            assertThat(new ProcessBuilder("touch", "-h", "-d", "10 minutes ago", link.toString()).start().waitFor())
                .isZero();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }

        archive.fetch(SEGMENT, target);

        assertThat(target).hasSize(50_000);
        assertThat(killed).doesNotExist();
        assertThat(killedCopy).doesNotExist();
        assertThat(stillWriting).exists();
        assertThat(otherTarget).exists();
        assertThat(notOurs).exists();
        assertThat(link).isSymbolicLink();
        assertThat(outside).hasContent("kept");
    }

    @Test
    void aFlippedByteInTheStoredObjectIsDetectedOnFetch() throws IOException {
        archive.push(file(SEGMENT, walLike(200_000, 3)));
        Path stored = storeRoot.resolve(SEGMENT).resolve(WalArchive.DATA_OBJECT);
        byte[] bytes = Files.readAllBytes(stored);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(stored, bytes);
        Path target = dir.resolve("RECOVERYXLOG");

        assertThatThrownBy(() -> archive.fetch(SEGMENT, target))
            .isInstanceOf(BackupVerificationException.class)
            .hasMessageContaining(SEGMENT + "/" + WalArchive.DATA_OBJECT);
        assertThat(target).doesNotExist();
    }

    @Test
    void aRecordThatDisagreesWithTheObjectIsDetectedOnFetch() throws IOException {
        archive.push(file(SEGMENT, walLike(20_000, 4)));
        Path meta = storeRoot.resolve(SEGMENT).resolve(WalArchive.META_OBJECT);
        String text = Files.readString(meta);
        String sha = text.replaceAll(".*\"sha256\":\"([0-9a-f]{64})\".*\\s*", "$1");
        Files.writeString(meta, text.replace(sha, "0".repeat(64)));

        assertThatThrownBy(() -> archive.fetch(SEGMENT, dir.resolve("out")))
            .isInstanceOf(BackupVerificationException.class)
            .hasMessageContaining("decrypts to 20000 bytes with sha256 " + sha);

        Files.writeString(meta, "{\"format\":\"drkit.wal/1\"}");
        assertThatThrownBy(() -> archive.fetch(SEGMENT, dir.resolve("out")))
            .isInstanceOf(BackupVerificationException.class)
            .hasMessageContaining("the record is damaged");
    }

    @Test
    void aFileWhoseRecordIsLostIsNamedNotTakenForTheEndOfTheArchive() throws IOException {
        archive.push(file(SEGMENT, walLike(20_000, 6)));
        Files.delete(storeRoot.resolve(SEGMENT).resolve(WalArchive.META_OBJECT));

        // "no such file" would end recovery there and promote, with this segment's WAL unread
        assertThatThrownBy(() -> archive.fetch(SEGMENT, dir.resolve("out")))
            .isInstanceOf(BackupVerificationException.class)
            .hasMessageContaining(SEGMENT + " has its " + WalArchive.DATA_OBJECT + " but no "
                + WalArchive.META_OBJECT + ": the record is lost");
    }

    @Test
    void aPushCommittedBetweenLookingForTheRecordAndForTheDataIsReadNotCalledLost() throws IOException {
        byte[] content = walLike(20_000, 7);
        Path source = file(SEGMENT, content);
        // The reader looks for the record, finds none, and a concurrent push commits before it looks for the data:
        // the store answers as it would then.
        boolean[] committed = {false};
        ForwardingStore racing = new ForwardingStore(store) {
            @Override
            public InputStream open(String backupId, String objectName) throws IOException {
                if (!committed[0] && objectName.equals(WalArchive.META_OBJECT)) {
                    committed[0] = true;
                    InputStream unseen = null;
                    try {
                        unseen = store.open(backupId, objectName);
                    } catch (NoSuchBackupException e) {
                        archive.push(source);
                        throw e;
                    }
                    return unseen;
                }
                return store.open(backupId, objectName);
            }
        };
        WalArchive reader = WalArchive.builder(racing).decryptionKey(DecryptionKey.passphrase(PASSPHRASE)).build();

        reader.fetch(SEGMENT, dir.resolve("out"));

        assertThat(committed[0]).isTrue();
        assertThat(Files.readAllBytes(dir.resolve("out"))).isEqualTo(content);
    }

    @Test
    void aPublicKeyPushesAndOnlyThePrivateKeyFetches() throws IOException {
        pair = pair != null ? pair : OpenPgpKeyPair.generator("WAL <wal@example.com>").noPassphrase().generate();
        WalArchive pushOnly = WalArchive.builder(store).encryption(Encryption.recipients(pair.recipient())).build();
        byte[] content = walLike(70_000, 5);
        pushOnly.push(file(SEGMENT, content));
        assertThatThrownBy(() -> pushOnly.fetch(SEGMENT, dir.resolve("x"))).isInstanceOf(IllegalStateException.class);
        assertThat(Files.readString(storeRoot.resolve(SEGMENT).resolve(WalArchive.META_OBJECT)))
            .contains("\"encryption\":\"recipients:" + pair.fingerprint() + "\"");

        try (Identity identity = Identity.of(pair.secretKeyArmored())) {
            WalArchive.builder(store).decryptionKey(identity).build().fetch(SEGMENT, dir.resolve("out"));
        }
        assertThat(Files.readAllBytes(dir.resolve("out"))).isEqualTo(content);
        assertThatThrownBy(() -> archive.fetch(SEGMENT, dir.resolve("out2")))
            .isInstanceOf(BackupDecryptionException.class);
    }

    @Test
    void namesThatAreNotWalFilesAreRefused() throws IOException {
        Path notWal = file("postgresql.conf", new byte[10]);

        assertThatThrownBy(() -> archive.push(notWal)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> archive.fetch("../etc/passwd", dir.resolve("x")))
            .isInstanceOf(IllegalArgumentException.class);
        assertThat(WalArchive.isWalFileName("00000001000000000000000A")).isTrue();
        assertThat(WalArchive.isWalFileName("00000001000000000000000a")).isFalse();
    }

    @Test
    void segmentsOfClustersWithSmallerSegmentsArePushedAndFetched() throws IOException {
        // initdb --wal-segsize=1 numbers 4096 segments per 4 GiB: the last eight digits go past 000000FF
        List<String> names = List.of("000000010000000000000100", "000000010000000100000FFF",
            "000000020000000000000A00.partial");
        for (int i = 0; i < names.size(); i++) {
            assertThat(WalArchive.isWalFileName(names.get(i))).as(names.get(i)).isTrue();
            archive.push(file(names.get(i), walLike(1 << 20, i)));
        }

        assertThat(archive.list()).containsExactlyElementsOf(names);
        assertThat(archive.contains(names.get(0))).isTrue();
        Path target = dir.resolve("RECOVERYXLOG");
        archive.fetch(names.get(1), target);
        assertThat(Files.readAllBytes(target)).isEqualTo(walLike(1 << 20, 1));
    }

    @Test
    void segmentNamesOfTimelineZeroAreNotWalFileNames() {
        // PostgreSQL's timelines start at 1
        assertThat(WalArchive.isWalFileName("000000000000000000000001")).isFalse();
        assertThat(WalArchive.isWalFileName("0000000100000000000001000")).isFalse();
    }

    @Test
    void gpgAndZstdAloneRestoreAnArchivedSegment() throws Exception {
        assumeTrue(ExternalTools.onPath("gpg") && ExternalTools.onPath("zstd"),
            "gpg or zstd is not on PATH: skipping the emergency fetch");
        byte[] content = walLike(300_000, 6);
        archive.push(file(SEGMENT, content));
        Path home = Files.createTempDirectory("gnupg", PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
        try {
            Path out = dir.resolve("emergency");
            // the command docs/pitr.md gives, with the passphrase on stdin
            Process p = new ProcessBuilder("sh", "-c", "gpg --homedir " + home + " --batch --pinentry-mode loopback"
                + " --passphrase-fd 0 --decrypt " + storeRoot.resolve(SEGMENT).resolve(WalArchive.DATA_OBJECT)
                + " | zstd -d -q -o " + out)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (var stdin = p.getOutputStream()) {
                stdin.write("wal archive passphrase\n".getBytes(StandardCharsets.UTF_8));
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(Files.readAllBytes(out)).isEqualTo(content);
            String meta = Files.readString(storeRoot.resolve(SEGMENT).resolve(WalArchive.META_OBJECT));
            String sha = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(content));
            assertThat(meta).contains("\"sha256\":\"" + sha + "\"");
        } finally {
            new ProcessBuilder("gpgconf", "--homedir", home.toString(), "--kill", "gpg-agent").start()
                .waitFor(10, TimeUnit.SECONDS);
            try (Stream<Path> paths = Files.walk(home)) {
                paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

}
