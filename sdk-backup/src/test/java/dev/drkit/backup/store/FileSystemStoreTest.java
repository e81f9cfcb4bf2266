package dev.drkit.backup.store;

import dev.drkit.backup.internal.TarArchiver;
import dev.drkit.backup.internal.store.FileWriterLock;
import dev.drkit.core.DrkitException;
import dev.drkit.core.internal.PosixModes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FileSystemStoreTest extends BackupStoreContract {

    @TempDir
    Path temp;

    Path root() {
        return temp.resolve("store");
    }

    @Override
    BackupStore openStore(Duration lockTimeout) {
        return FileSystemStore.builder(root()).lockTimeout(lockTimeout).build();
    }

    @Override
    void addForeignEntries() throws IOException {
        Files.writeString(root().resolve("notes.txt"), "kept by the operator");
        Files.createDirectory(root().resolve("lost+found"));
        Files.writeString(root().resolve("lost+found").resolve("#1234"), "fsck found this");
        Files.createDirectory(root().resolve("empty-dir"));
        Files.writeString(root().resolve(".tmp-notes"), "not a drkit temp name");
        Files.createDirectory(root().resolve("with-foreign-name"));
        Files.writeString(root().resolve("with-foreign-name").resolve("a b"), "invalid object name");
    }

    @Override
    Map<String, String> foreignEntries() throws IOException {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root())) {
            for (Path path : (Iterable<Path>) all::iterator) {
                String name = root().relativize(path).toString();
                if (name.isEmpty() || name.equals(".lock") || name.matches("b[0-9].*")) {
                    continue;
                }
                entries.put(name, Files.isRegularFile(path) ? Files.readString(path) : "<dir>");
            }
        }
        return entries;
    }

    @Override
    List<String> leftovers() throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> entries = Files.list(root())) {
            entries.map(p -> p.getFileName().toString())
                .filter(n -> n.startsWith(".tmp-") && !n.equals(".tmp-notes") || n.startsWith(".deleting-"))
                .forEach(names::add);
        }
        return names;
    }

    @Override
    List<String> childStoreArguments() {
        return List.of("fs", root().toString());
    }

    @Test
    void locationIsTheRealPathOfTheRoot() throws IOException {
        assertThat(store.location()).isEqualTo(root().toRealPath().toString());
        assertThat(store.toString()).contains(store.location());
    }

    @Test
    void createsAMissingRootWithMode0700() throws IOException {
        assumeTrue(posix());
        Path nested = temp.resolve("a").resolve("new-store");
        try (BackupStore created = FileSystemStore.open(nested)) {
            assertThat(created.list()).isEmpty();
        }
        assertThat(mode(nested)).isEqualTo("0700");
    }

    @Test
    void objectsAre0600AndDirectories0700FromTheStart() throws IOException {
        assumeTrue(posix());
        try (PendingBackup pending = store.begin("b1")) {
            Path staging = onlyStagingDirectory();
            assertThat(mode(staging)).isEqualTo("0700");
            try (OutputStream out = pending.create("data")) {
                out.write(1);
                assertThat(mode(staging.resolve("data"))).isEqualTo("0600");
            }
            pending.commit();
        }
        assertThat(mode(root().resolve("b1"))).isEqualTo("0700");
        assertThat(mode(root().resolve("b1").resolve("data"))).isEqualTo("0600");
        assertThat(mode(root().resolve(".lock"))).isEqualTo("0600");
    }

    @Test
    void aLockFileReplacedByASymbolicLinkIsNeverWrittenThrough() throws IOException {
        Path victim = Files.writeString(temp.resolve("victim"), "not the store's");
        Files.delete(root().resolve(".lock"));
        Files.createSymbolicLink(root().resolve(".lock"), victim);

        assertThatThrownBy(() -> store.begin("b1")).isInstanceOf(IOException.class)
            .hasMessageContaining("symbolic link");
        assertThatThrownBy(() -> store.delete("b1")).isInstanceOf(IOException.class)
            .hasMessageContaining("symbolic link");
        assertThat(Files.readString(victim)).isEqualTo("not the store's");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void refusesARootThatIsAFile() throws IOException {
        Path file = Files.writeString(temp.resolve("a-file"), "x");
        assertThatThrownBy(() -> FileSystemStore.open(file))
            .isInstanceOf(StoreUnavailableException.class)
            .hasMessageContaining(file.toString()).hasMessageContaining("not a directory")
            .satisfies(e -> assertThat(((DrkitException) e).kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT));
        assertThat(Files.readString(file)).isEqualTo("x");
    }

    @Test
    void refusesARootItCannotWrite() throws IOException {
        assumeTrue(posix());
        Path readOnly = Files.createDirectory(temp.resolve("read-only"));
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-x------"));
        try {
            assumeTrue(!Files.isWritable(readOnly), "this user (root?) may write any directory: nothing to test");
            assertThatThrownBy(() -> FileSystemStore.open(readOnly))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining(readOnly.toString());
        } finally {
            Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void openedReadOnlyItReadsEverythingAndWritesNothingNotEvenTheLockFile() throws Exception {
        write(store, "b1", Map.of("data", "kept".getBytes(StandardCharsets.UTF_8)));
        store.close();
        Files.delete(root().resolve(".lock"));
        List<String> before = tree(root());

        try (FileSystemStore readOnly = FileSystemStore.openReadOnly(root())) {
            assertThat(readOnly.readOnly()).isTrue();
            assertThat(readOnly.list()).containsExactly("b1");
            assertThat(readOnly.objects("b1")).containsExactly("data");
            assertThat(read(readOnly, "b1", "data")).asString(StandardCharsets.UTF_8).isEqualTo("kept");
            assertThatThrownBy(() -> readOnly.begin("b2")).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("opened read-only: cannot write backup b2");
            assertThatThrownBy(() -> readOnly.delete("b1")).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("opened read-only: cannot delete backup b1");
        }

        assertThat(tree(root())).isEqualTo(before).doesNotContain(".lock");
    }

    @Test
    void aStoreHoldingOnlyForeignEntriesAndLeftoversIsEmpty() throws IOException {
        addForeignEntries();
        Files.createDirectories(root().resolve(".tmp-b1-0123456789abcdef"));

        assertThat(store.isEmpty()).isTrue();
        write(store, "b1", Map.of("data", new byte[] {7}));
        assertThat(store.isEmpty()).isFalse();
    }

    @Test
    void forcingABackupToDiskNeedsItComplete() throws IOException {
        write(store, "b1", Map.of("data", new byte[] {7}));

        assertThat(store.isEmpty()).isFalse();
        ((FileSystemStore) store).forceToDisk("b1");
        assertThatThrownBy(() -> ((FileSystemStore) store).forceToDisk("b2"))
            .isInstanceOf(NoSuchBackupException.class);
        assertThat(store.list()).containsExactly("b1");
    }

    @Test
    void openedReadOnlyAMissingRootIsNotCreated() {
        Path missing = temp.resolve("no-such-store");

        assertThatThrownBy(() -> FileSystemStore.openReadOnly(missing))
            .isInstanceOf(StoreUnavailableException.class)
            .hasMessageContaining(missing + " does not exist");
        assertThat(missing).doesNotExist();
    }

    @Test
    void openedReadOnlyARootItCannotWriteWorks() throws IOException {
        assumeTrue(posix());
        write(store, "b1", Map.of("data", new byte[] {7}));
        Files.setPosixFilePermissions(root(), PosixFilePermissions.fromString("r-x------"));
        try (FileSystemStore readOnly = FileSystemStore.openReadOnly(root())) {
            assertThat(readOnly.list()).containsExactly("b1");
        } finally {
            Files.setPosixFilePermissions(root(), PosixFilePermissions.fromString("rwx------"));
        }
    }

    private static List<String> tree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.map(p -> dir.relativize(p) + "@" + p.toFile().lastModified()).sorted().toList();
        }
    }

    @Test
    void rejectsANegativeLockTimeout() {
        assertThatThrownBy(() -> FileSystemStore.builder(root()).lockTimeout(Duration.ofSeconds(-1)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("lockTimeout must not be negative, but was PT-1S");
    }

    @Test
    void leftoversOfACrashedDeletionAreNeverListedAndRemovedByTheNextWriter() throws Exception {
        write(store, "b1", Map.of("data", new byte[] {1}));
        Path crashed = Files.createDirectory(root().resolve(".deleting-b0-0123456789abcdef"));
        Files.write(crashed.resolve("data"), new byte[100]);
        Path staged = Files.createDirectory(root().resolve(".tmp-b9-fedcba9876543210"));
        Files.write(staged.resolve("data"), new byte[100]);

        assertThat(store.list()).containsExactly("b1");
        write(store, "b2", Map.of("data", new byte[] {2}));

        assertThat(Files.exists(crashed)).isFalse();
        assertThat(Files.exists(staged)).isFalse();
        assertThat(store.list()).containsExactly("b1", "b2");
    }

    @Test
    void deleteNeverFollowsALinkOutOfTheStore() throws Exception {
        write(store, "b1", Map.of("data", new byte[] {1}));
        Path outside = Files.createDirectory(temp.resolve("outside"));
        Path precious = Files.writeString(outside.resolve("precious"), "keep me");
        Files.createSymbolicLink(root().resolve("b1").resolve("link-to-dir"), outside);
        Files.createSymbolicLink(root().resolve("b1").resolve("link-to-file"), precious);

        assertThat(store.objects("b1")).containsExactly("data");
        store.delete("b1");

        assertThat(store.list()).isEmpty();
        assertThat(Files.readString(precious)).isEqualTo("keep me");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aLinkedDirectoryIsNotABackup() throws Exception {
        Path outside = Files.createDirectory(temp.resolve("outside"));
        Files.writeString(outside.resolve("data"), "x");
        Files.createSymbolicLink(root().resolve("b1"), outside);

        assertThat(store.list()).isEmpty();
        assertThatThrownBy(() -> store.open("b1", "data")).isInstanceOf(NoSuchBackupException.class);
        assertThatThrownBy(() -> store.delete("b1")).isInstanceOf(NoSuchBackupException.class);
        assertThat(Files.readString(outside.resolve("data"))).isEqualTo("x");
    }

    @Test
    void anEmptyDirectoryWithTheIdStillBlocksTheCommit() throws Exception {
        try (PendingBackup pending = store.begin("b1")) {
            try (OutputStream out = pending.create("data")) {
                out.write(1);
            }
            Files.createDirectory(root().resolve("b1"));
            Files.writeString(root().resolve("b1").resolve("a b"), "someone else's");
            assertThatThrownBy(pending::commit).isInstanceOf(BackupAlreadyExistsException.class);
        }
        assertThat(Files.readString(root().resolve("b1").resolve("a b"))).isEqualTo("someone else's");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aFullFileSystemFailsTheWriteAndLeavesEarlierBackupsIntact() throws Exception {
        Path small = Files.createDirectory(temp.resolve("tmpfs"));
        TestMount tmpfs = TestMount.tmpfs(small, "1m");
        assumeTrue(tmpfs != null, "cannot mount a 1 MiB tmpfs here (needs root and a permissive sandbox)");
        try (tmpfs; BackupStore full = FileSystemStore.builder(small.resolve("store")).build()) {
            byte[] earlier = randomBytes(300_000, 11);
            write(full, "b1", Map.of("data", earlier));

            assertThatThrownBy(() -> write(full, "b2", Map.of("data", randomBytes(2_000_000, 12))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("No space left on device");

            assertThat(full.list()).containsExactly("b1");
            assertThat(read(full, "b1", "data")).isEqualTo(earlier);
            try (Stream<Path> entries = Files.list(small.resolve("store"))) {
                assertThat(entries.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(".lock", "b1");
            }
            // the space came back: a small backup fits again
            write(full, "b3", Map.of("data", new byte[1000]));
            assertThat(full.list()).containsExactly("b1", "b3");
        }
    }

    // --- a commit publishes only objects written whole ----------------------------------------------------------

    @Test
    void anObjectWhoseWriteFailedCannotBeCommitted() throws Exception {
        try (PendingBackup pending = store.begin("b1")) {
            OutputStream out = pending.create("data");
            out.write(randomBytes(1000, 13));
            // an interrupt closes the file's channel under the write, as a cancelled task's would
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> out.write(new byte[256 * 1024])).isInstanceOf(IOException.class);
            } finally {
                Thread.interrupted();
            }
            assertThatThrownBy(out::close).isInstanceOf(IOException.class);
            try (OutputStream manifest = pending.create("manifest.json")) {
                manifest.write('{');
            }

            assertThatThrownBy(pending::commit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Backup b1 cannot be committed: its object data was not written completely")
                .hasMessageContaining("close the pending backup to discard it")
                .hasCauseInstanceOf(IOException.class);
            assertThat(store.list()).isEmpty();
        }
        assertThat(store.list()).isEmpty();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void anObjectThatRanOutOfSpaceCannotBeCommittedEvenThoughItsCloseSucceeded() throws Exception {
        Path small = Files.createDirectory(temp.resolve("tmpfs"));
        TestMount tmpfs = TestMount.tmpfs(small, "1m");
        assumeTrue(tmpfs != null, "cannot mount a 1 MiB tmpfs here (needs root and a permissive sandbox)");
        try (tmpfs; BackupStore full = FileSystemStore.builder(small.resolve("store")).build();
             PendingBackup pending = full.begin("b1")) {
            OutputStream out = pending.create("data");
            assertThatThrownBy(() -> {
                for (int i = 0; i < 40; i++) {
                    out.write(new byte[64 * 1024]);
                }
            }).isInstanceOf(IOException.class).hasMessageContaining("No space left on device");
            // what was written is forced to disk without complaint: only the failed write tells it is truncated
            out.close();

            assertThatThrownBy(pending::commit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("its object data was not written completely")
                .hasMessageContaining("No space left on device");
            assertThat(full.list()).isEmpty();
        }
    }

    @Test
    void anObjectThatCouldNotBeCreatedCannotBeCommitted() throws Exception {
        try (PendingBackup pending = store.begin("b1")) {
            try (OutputStream out = pending.create("data")) {
                out.write(1);
            }
            Files.writeString(onlyStagingDirectory().resolve("manifest.json"), "not written by this backup");
            assertThatThrownBy(() -> pending.create("manifest.json")).isInstanceOf(IOException.class);

            assertThatThrownBy(pending::commit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("its object manifest.json was not written completely")
                .hasMessageContaining("FileAlreadyExistsException");
            assertThat(store.list()).isEmpty();
        }
        assertThat(leftovers()).isEmpty();
    }

    // --- a commit that fails, and so does the cleanup after it -------------------------------------------------

    @Test
    void aCommitsFailureIsThrownWithTheCleanupsFailureSuppressed() throws Exception {
        Path elsewhere = Files.writeString(temp.resolve("elsewhere"), "x");
        try (PendingBackup pending = store.begin("b1")) {
            try (OutputStream out = pending.create("data")) {
                out.write(1);
            }
            // a mount point cannot be removed (EBUSY), not even by root: the staging directory's removal fails
            TestMount busy = TestMount.bind(elsewhere, onlyStagingDirectory().resolve("data"));
            assumeTrue(busy != null, "cannot bind-mount here (needs root and a permissive sandbox)");
            try (busy) {
                // something that is not drkit's took the id meanwhile: the commit fails
                Files.createDirectory(root().resolve("b1"));

                assertThatThrownBy(pending::commit).isInstanceOf(BackupAlreadyExistsException.class)
                    .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                        .isInstanceOf(IOException.class)
                        .extracting(Throwable::getMessage).asString().contains("busy"));
            }
        }
        // the lock was released, and the next writer removes the staging directory left behind
        Files.delete(root().resolve("b1"));
        write(store, "b2", Map.of("data", new byte[] {2}));
        assertThat(store.list()).containsExactly("b2");
        assertThat(leftovers()).isEmpty();
    }

    private Path onlyStagingDirectory() throws IOException {
        try (Stream<Path> entries = Files.list(root())) {
            List<Path> staging = entries.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList();
            assertThat(staging).hasSize(1);
            assertThat(staging.get(0).getFileName().toString()).matches("\\.tmp-b1-[0-9a-f]{16}");
            return staging.get(0);
        }
    }

    private static boolean posix() {
        return Path.of(".").getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static String mode(Path path) throws IOException {
        return PosixModes.octal(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    // --- leftovers and directories that cannot be removed or read -------------------------------------------------

    @Test
    void aLeftoverThatCannotBeRemovedDoesNotStopTheNextWriter() throws Exception {
        Path stuck = Files.createDirectory(root().resolve(".tmp-b0-0123456789abcdef"));
        Path file = Files.write(stuck.resolve("data"), new byte[10]);
        // root may remove any file, but not an immutable one
        assumeTrue(run("chattr", "+i", file.toString()) == 0, "chattr +i is not available here");
        try {
            write(store, "b1", Map.of("data", new byte[] {1}));
            write(store, "b2", Map.of("data", new byte[] {2}));
            assertThat(store.list()).containsExactly("b1", "b2");
            assertThat(stuck).exists();
        } finally {
            run("chattr", "-i", file.toString());
        }
        write(store, "b3", Map.of("data", new byte[] {3}));
        assertThat(stuck).doesNotExist();
    }

    @Test
    void aDirectoryThatCannotBeReadDoesNotFailTheListing() throws Exception {
        assumeTrue(posix());
        write(store, "b1", Map.of("data", new byte[] {1}));
        write(store, "b2", Map.of("data", new byte[] {2}));
        write(store, "b3", Map.of("data", new byte[] {3}));
        Files.setPosixFilePermissions(root().resolve("b2"), PosixFilePermissions.fromString("---------"));
        try {
            // in a user namespace, even root is held to the mode of a file it owns: the listing runs there
            assumeTrue(run("unshare", "-U", "true") == 0, "no user namespaces here");
            Process child = new ProcessBuilder("unshare", "-U", Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), ListMain.class.getName(),
                root().toString()).redirectErrorStream(true).start();
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(output).as(output).contains("LISTED [b1, b3]");
            assertThat(child.exitValue()).as(output).isZero();
        } finally {
            Files.setPosixFilePermissions(root().resolve("b2"), PosixFilePermissions.fromString("rwx------"));
        }
    }

    /** Lists the store at {@code args[0]}, read-only, in a child JVM. */
    static final class ListMain {
        public static void main(String[] args) throws Exception {
            try (FileSystemStore store = FileSystemStore.openReadOnly(Path.of(args[0]))) {
                System.out.println("LISTED " + store.list());
            }
        }
    }

    // --- the writer lock is never dropped by this process reading its file ----------------------------------------

    @Test
    void aLockIsNotDroppedWhenThisProcessTriesItThroughAnotherPathToItsFile() throws Exception {
        Path lockFile = root().resolve(".lock");
        Path alias = Files.createLink(temp.resolve("alias.lock"), lockFile);
        try (PendingBackup pending = store.begin("b1")) {
            assertThat(probeLock(lockFile)).isEqualTo("LOCKED");
            assertThatThrownBy(() -> FileWriterLock.acquire(alias, Duration.ZERO, "alias", "b2", "writing b2"))
                .isInstanceOf(StoreLockedException.class).hasMessageContaining("(this process)");
            assertThat(probeLock(lockFile)).as("held after the second try").isEqualTo("LOCKED");
        }
        assertThat(probeLock(lockFile)).isEqualTo("GOT-LOCK");
    }

    @Test
    void aBackupOfADirectoryHoldingTheStoreLeavesItsWriterLockAlone() throws Exception {
        write(store, "b1", Map.of("data", new byte[] {1}));
        List<String> archived = new ArrayList<>();
        try (PendingBackup pending = store.begin("b2")) {
            TarArchiver.write(temp, OutputStream.nullOutputStream(), entry -> archived.add(entry.path()));
            assertThat(probeLock(root().resolve(".lock"))).isEqualTo("LOCKED");
        }
        assertThat(archived).contains("store/b1/data").doesNotContain("store/.lock");
    }

    /** Whether another process can take the OS lock on {@code lockFile} now: GOT-LOCK or LOCKED. */
    private static String probeLock(Path lockFile) throws Exception {
        Process probe = new ProcessBuilder("python3", "-c", "import fcntl,sys\nf=open(sys.argv[1],'r+')\n"
            + "try:\n fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB);print('GOT-LOCK')\nexcept OSError:\n print('LOCKED')",
            lockFile.toString()).redirectErrorStream(true).start();
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        probe.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private static int run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }
}
