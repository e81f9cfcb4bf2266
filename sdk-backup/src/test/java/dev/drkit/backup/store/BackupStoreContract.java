package dev.drkit.backup.store;

import dev.drkit.core.DrkitException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link BackupStore} must do, whatever keeps its bytes. A store implementation extends this class
 * (as {@code XxxStoreTest}) and says how to open a store on a fresh location of its own, how to plant entries that
 * are not drkit's, what an interrupted writer left, and how a child JVM opens the same store.
 */
abstract class BackupStoreContract {

    static final Duration SHORT_LOCK_TIMEOUT = Duration.ofMillis(300);

    BackupStore store;

    /** Opens (another instance of) the store on this test's location, which starts empty for every test. */
    abstract BackupStore openStore(Duration lockTimeout) throws Exception;

    /** Puts entries that are not drkit's into the store's location: files, keys, directories. */
    abstract void addForeignEntries() throws Exception;

    /** The foreign entries with their contents, to compare before and after. */
    abstract Map<String, String> foreignEntries() throws Exception;

    /** What interrupted or discarded writers left in the store's location (temp entries, uploads in progress). */
    abstract List<String> leftovers() throws Exception;

    /** The arguments with which {@link StoreChildMain} opens this test's store in a child JVM. */
    abstract List<String> childStoreArguments();

    /** How long a writer must be able to wait for the lock of a writer killed with {@code kill -9}. */
    Duration lockTimeoutAfterKilledHolder() {
        return Duration.ofSeconds(5);
    }

    @BeforeEach
    void openTheStore() throws Exception {
        store = openStore(SHORT_LOCK_TIMEOUT);
    }

    @AfterEach
    void closeTheStore() throws Exception {
        store.close();
    }

    // --- visibility --------------------------------------------------------------------------------------------

    @Test
    void anEmptyStoreListsNothing() throws Exception {
        assertThat(store.list()).isEmpty();
        assertThatThrownBy(() -> store.objects("b1")).isInstanceOf(NoSuchBackupException.class);
    }

    @Test
    void aCommittedBackupIsListedWithItsObjectsAndBytes() throws Exception {
        byte[] data = randomBytes(200_000, 1);
        byte[] manifest = "{\"id\":\"b1\"}".getBytes(StandardCharsets.UTF_8);
        write(store, "b1", Map.of("data.pgp", data, "manifest.json", manifest));

        assertThat(store.list()).containsExactly("b1");
        assertThat(store.objects("b1")).containsExactly("data.pgp", "manifest.json");
        assertThat(store.size("b1", "data.pgp")).isEqualTo(200_000);
        assertThat(store.size("b1", "manifest.json")).isEqualTo(manifest.length);
        assertThat(read(store, "b1", "data.pgp")).isEqualTo(data);
        assertThat(read(store, "b1", "manifest.json")).isEqualTo(manifest);
    }

    @Test
    void listsIdsInAscendingOrder() throws Exception {
        for (String id : List.of("2026-11-23T10-00-00Z", "2026-11-22T10-00-00Z", "2026-11-23T09-00-00Z")) {
            write(store, id, Map.of("data", new byte[] {1}));
        }
        assertThat(store.list())
            .containsExactly("2026-11-22T10-00-00Z", "2026-11-23T09-00-00Z", "2026-11-23T10-00-00Z");
    }

    @Test
    void aBackupIsInvisibleUntilCommitReturns() throws Exception {
        try (BackupStore reader = openStore(SHORT_LOCK_TIMEOUT); PendingBackup pending = store.begin("b1")) {
            try (OutputStream out = pending.create("data")) {
                out.write(randomBytes(10_000, 2));
            }
            try (OutputStream out = pending.create("manifest.json")) {
                out.write('{');
            }
            assertThat(store.list()).isEmpty();
            assertThat(reader.list()).isEmpty();
            assertThatThrownBy(() -> reader.objects("b1")).isInstanceOf(NoSuchBackupException.class);
            assertThatThrownBy(() -> reader.open("b1", "data")).isInstanceOf(NoSuchBackupException.class);
            assertThatThrownBy(() -> reader.size("b1", "data")).isInstanceOf(NoSuchBackupException.class);

            pending.commit();

            assertThat(reader.list()).containsExactly("b1");
            assertThat(reader.objects("b1")).containsExactly("data", "manifest.json");
        }
    }

    @Test
    void closingWithoutCommitLeavesNothing() throws Exception {
        try (PendingBackup pending = store.begin("b1")) {
            try (OutputStream out = pending.create("data")) {
                out.write(randomBytes(50_000, 3));
            }
        }
        assertThat(store.list()).isEmpty();
        assertThat(leftovers()).isEmpty();
        // and the lock was released: the same id can be written now
        write(store, "b1", Map.of("data", new byte[] {7}));
        assertThat(store.list()).containsExactly("b1");
    }

    @Test
    void closingWithAnObjectStillOpenDiscardsTheBackup() throws Exception {
        PendingBackup pending = store.begin("b1");
        OutputStream out = pending.create("data");
        out.write(randomBytes(1000, 4));
        pending.close();

        assertThat(store.list()).isEmpty();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aWriterFailingMidwayLeavesEarlierBackupsIntactAndNothingElse() throws Exception {
        byte[] earlier = randomBytes(30_000, 5);
        write(store, "b1", Map.of("data", earlier));

        assertThatThrownBy(() -> {
            try (PendingBackup pending = store.begin("b2")) {
                try (OutputStream out = pending.create("data")) {
                    out.write(randomBytes(100_000, 6));
                    throw new IOException("the source failed halfway");
                }
            }
        }).hasMessage("the source failed halfway");

        assertThat(store.list()).containsExactly("b1");
        assertThat(read(store, "b1", "data")).isEqualTo(earlier);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void readersTakeNoLock() throws Exception {
        write(store, "b1", Map.of("data", new byte[] {1, 2, 3}));
        try (BackupStore reader = openStore(Duration.ZERO); PendingBackup pending = store.begin("b2")) {
            assertThat(reader.list()).containsExactly("b1");
            assertThat(reader.objects("b1")).containsExactly("data");
            assertThat(read(reader, "b1", "data")).containsExactly(1, 2, 3);
            assertThat(pending.backupId()).isEqualTo("b2");
        }
    }

    // --- ids, names and misuse ---------------------------------------------------------------------------------

    @Test
    void rejectsInvalidIdsEverywhere() throws Exception {
        write(store, "b1", Map.of("data", new byte[] {1}));
        for (String bad : List.of("", ".hidden", "-x", "../b1", "a/b", "a\\b", "a b", "a\nb", "x".repeat(129),
            ".tmp-b1-0123456789abcdef", "..", ".")) {
            assertThatThrownBy(() -> store.begin(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("backup id");
            assertThatThrownBy(() -> store.objects(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.open(bad, "data")).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.size(bad, "data")).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.delete(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.open("b1", bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("object name");
        }
        try (PendingBackup pending = store.begin("b2")) {
            assertThatThrownBy(() -> pending.create("../escape")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("object name");
        }
        assertThat(store.list()).containsExactly("b1");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void acceptsTheLongestValidId() throws Exception {
        String id = "a".repeat(128);
        write(store, id, Map.of("m", new byte[] {1}));
        assertThat(store.list()).containsExactly(id);
    }

    @Test
    void refusesAnIdThatExists() throws Exception {
        byte[] original = randomBytes(5000, 7);
        write(store, "b1", Map.of("data", original));

        assertThatThrownBy(() -> store.begin("b1"))
            .isInstanceOf(BackupAlreadyExistsException.class)
            .hasMessageContaining(store.location()).hasMessageContaining("b1")
            .satisfies(e -> assertThat(((DrkitException) e).kind()).isEqualTo(DrkitException.Kind.DATA));

        assertThat(read(store, "b1", "data")).isEqualTo(original);
        // the refused writer released the lock
        write(store, "b2", Map.of("data", new byte[] {1}));
        assertThat(store.list()).containsExactly("b1", "b2");
    }

    @Test
    void missingBackupsAndObjectsAreTypedDataErrors() throws Exception {
        write(store, "b1", Map.of("data", new byte[] {1}));
        assertThatThrownBy(() -> store.objects("nope")).isInstanceOf(NoSuchBackupException.class)
            .hasMessageContaining(store.location()).hasMessageContaining("nope");
        assertThatThrownBy(() -> store.open("b1", "missing")).isInstanceOf(NoSuchBackupException.class)
            .hasMessageContaining("b1").hasMessageContaining("missing");
        assertThatThrownBy(() -> store.size("nope", "data")).isInstanceOf(NoSuchBackupException.class)
            .satisfies(e -> assertThat(((DrkitException) e).kind()).isEqualTo(DrkitException.Kind.DATA));
        assertThatThrownBy(() -> store.delete("nope")).isInstanceOf(NoSuchBackupException.class);
    }

    @Test
    void enforcesTheOrderOfWriting() throws Exception {
        try (PendingBackup pending = store.begin("b1")) {
            assertThatThrownBy(pending::commit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no object");
            OutputStream first = pending.create("a");
            assertThatThrownBy(() -> pending.create("b")).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(pending::commit).isInstanceOf(IllegalStateException.class);
            first.write(1);
            first.close();
            assertThatThrownBy(() -> pending.create("a")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a");
            pending.commit();
            assertThatThrownBy(() -> pending.create("c")).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(pending::commit).isInstanceOf(IllegalStateException.class);
        }
        assertThat(store.objects("b1")).containsExactly("a");
    }

    @Test
    void anEmptyObjectIsAnObject() throws Exception {
        write(store, "b1", Map.of("empty", new byte[0]));
        assertThat(store.objects("b1")).containsExactly("empty");
        assertThat(store.size("b1", "empty")).isZero();
        assertThat(read(store, "b1", "empty")).isEmpty();
    }

    // --- one writer at a time ----------------------------------------------------------------------------------

    @Test
    void aSecondWriterWaitsForTheLockTimeoutThenFailsNamingTheHolder() throws Exception {
        try (BackupStore second = openStore(SHORT_LOCK_TIMEOUT); PendingBackup first = store.begin("b1")) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> second.begin("b2"))
                .isInstanceOf(StoreLockedException.class)
                .hasMessageContaining(store.location())
                .hasMessageContaining("b2")
                .hasMessageContaining("pid " + ProcessHandle.current().pid())
                .hasMessageContaining("writing backup b1")
                .satisfies(e -> assertThat(((DrkitException) e).kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(SHORT_LOCK_TIMEOUT);
            assertThatThrownBy(() -> second.delete("b1")).isInstanceOf(StoreLockedException.class);
            assertThat(first.backupId()).isEqualTo("b1");
        }
        try (BackupStore second = openStore(SHORT_LOCK_TIMEOUT)) {
            write(second, "b2", Map.of("data", new byte[] {2}));
            assertThat(second.list()).containsExactly("b2");
        }
    }

    @Test
    void aSecondWriterGetsTheLockWhenTheFirstFinishesInTime() throws Exception {
        PendingBackup first = store.begin("b1");
        try (OutputStream out = first.create("data")) {
            out.write(1);
        }
        try (BackupStore second = openStore(Duration.ofSeconds(10))) {
            CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
                try {
                    write(second, "b2", Map.of("data", new byte[] {2}));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(200);
            assertThat(waiting).isNotDone();
            first.commit();
            waiting.get(10, TimeUnit.SECONDS);
            assertThat(second.list()).containsExactly("b1", "b2");
        }
    }

    @Test
    void writersInManyThreadsNeverOverlap() throws Exception {
        try (BackupStore shared = openStore(Duration.ofSeconds(20))) {
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String id = "b" + i;
                writers.add(CompletableFuture.runAsync(() -> {
                    try {
                        write(shared, id, Map.of("data", randomBytes(20_000, id.hashCode())));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            CompletableFuture.allOf(writers.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
            assertThat(shared.list()).containsExactly("b0", "b1", "b2", "b3", "b4", "b5");
            for (int i = 0; i < 6; i++) {
                assertThat(read(shared, "b" + i, "data")).isEqualTo(randomBytes(20_000, ("b" + i).hashCode()));
            }
        }
    }

    // --- delete ------------------------------------------------------------------------------------------------

    @Test
    void deleteRemovesOneBackupAndReportsTheBytesFreed() throws Exception {
        write(store, "b1", Map.of("data", randomBytes(3000, 8), "manifest.json", new byte[100]));
        write(store, "b2", Map.of("data", randomBytes(10, 9)));

        assertThat(store.delete("b1")).isEqualTo(3100);

        assertThat(store.list()).containsExactly("b2");
        assertThatThrownBy(() -> store.objects("b1")).isInstanceOf(NoSuchBackupException.class);
        assertThat(read(store, "b2", "data")).isEqualTo(randomBytes(10, 9));
        assertThat(leftovers()).isEmpty();
        // the id can be used again
        write(store, "b1", Map.of("data", new byte[] {1}));
        assertThat(store.list()).containsExactly("b1", "b2");
    }

    // --- foreign entries ---------------------------------------------------------------------------------------

    @Test
    void foreignEntriesAreNeverListedNorTouched() throws Exception {
        addForeignEntries();
        Map<String, String> before = foreignEntries();
        assertThat(before).isNotEmpty();

        assertThat(store.list()).isEmpty();
        write(store, "b1", Map.of("data", new byte[] {1}));
        try (PendingBackup discarded = store.begin("b2")) {
            try (OutputStream out = discarded.create("data")) {
                out.write(2);
            }
        }
        write(store, "b3", Map.of("data", new byte[] {3}));
        store.delete("b1");

        assertThat(store.list()).containsExactly("b3");
        assertThat(foreignEntries()).isEqualTo(before);
    }

    // --- a writer killed midway --------------------------------------------------------------------------------

    @Test
    void aWriterKilledMidwayLeavesNoListedBackupAndTheNextWriterCleansUp() throws Exception {
        byte[] earlier = randomBytes(40_000, 10);
        write(store, "b1", Map.of("data", earlier, "manifest.json", new byte[] {'{', '}'}));

        Process child = startChild("b2");
        try {
            assertThat(awaitLine(child, "HALF-WRITTEN")).as(() -> "the child's stderr:\n" + childErrors()).isTrue();
            assertThat(store.list()).containsExactly("b1");
            assertThatThrownBy(() -> store.begin("b3"))
                .isInstanceOf(StoreLockedException.class)
                .hasMessageContaining("pid " + child.pid())
                .hasMessageContaining("writing backup b2");
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs in the child
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        try (BackupStore after = openStore(lockTimeoutAfterKilledHolder())) {
            assertThat(after.list()).containsExactly("b1");
            assertThat(read(after, "b1", "data")).isEqualTo(earlier);
            assertThat(leftovers()).isNotEmpty();

            write(after, "b3", Map.of("data", new byte[] {3}));

            assertThat(after.list()).containsExactly("b1", "b3");
            assertThat(leftovers()).isEmpty();
            assertThat(read(after, "b1", "data")).isEqualTo(earlier);
        }
    }

    private Process startChild(String backupId) throws IOException {
        List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), StoreChildMain.class.getName(), backupId));
        command.addAll(childStoreArguments());
        childErrors = Files.createTempFile("drkit-store-child", ".err");
        return new ProcessBuilder(command).redirectError(childErrors.toFile()).start();
    }

    private Path childErrors;

    private String childErrors() {
        try {
            return Files.readString(childErrors);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static boolean awaitLine(Process child, String expected) throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.UTF_8));
        for (String line; (line = lines.readLine()) != null; ) {
            if (line.equals(expected)) {
                return true;
            }
        }
        return false;
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    static void write(BackupStore target, String id, Map<String, byte[]> objects) throws IOException {
        try (PendingBackup pending = target.begin(id)) {
            for (Map.Entry<String, byte[]> object : objects.entrySet()) {
                try (OutputStream out = pending.create(object.getKey())) {
                    out.write(object.getValue());
                }
            }
            pending.commit();
        }
    }

    static byte[] read(BackupStore source, String id, String name) throws IOException {
        try (InputStream in = source.open(id, name)) {
            return in.readAllBytes();
        }
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
