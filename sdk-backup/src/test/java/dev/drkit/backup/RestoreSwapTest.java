package dev.drkit.backup;

import dev.drkit.backup.internal.BackupIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static dev.drkit.backup.Engines.KEY;
import static dev.drkit.backup.Engines.engine;
import static org.assertj.core.api.Assertions.assertThat;

/** What a restore replaces is kept: never moved onto something else, by another restore or otherwise. */
class RestoreSwapTest {

    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void aNameAsideTakenBySomethingElseIsLeftAloneAndTheNextOneUsed(@TempDir Path dir) throws Exception {
        InMemoryBackupStore store = new InMemoryBackupStore();
        String id = backupOf(store, dir, "restored");
        Path target = Files.writeString(dir.resolve("target"), "ORIGINAL");
        Path taken = Files.writeString(dir.resolve("target.pre-restore-" + BackupIds.stamp(T)), "SOMEONE ELSE'S");

        RestoreResult result = engine(store).clock(Clock.fixed(T, ZoneOffset.UTC)).build().restore(id, KEY, target);

        assertThat(target).hasContent("restored");
        assertThat(taken).hasContent("SOMEONE ELSE'S");
        assertThat(result.previous()).hasValue(dir.resolve("target.pre-restore-" + BackupIds.stamp(T) + "-1"));
        assertThat(result.previous().orElseThrow()).hasContent("ORIGINAL");
    }

    @Test
    void twoRestoresOfOneTargetInTheSameSecondKeepTheOriginal(@TempDir Path dir) throws Exception {
        InMemoryBackupStore store = new InMemoryBackupStore();
        String id = backupOf(store, dir, "restored");
        BarrierClock clock = new BarrierClock();
        BackupEngine engine = engine(store).clock(clock).build();
        for (int round = 0; round < 20; round++) {
            Path roundDir = Files.createDirectory(dir.resolve("round-" + round));
            Path target = Files.writeString(roundDir.resolve("target"), "ORIGINAL");
            ExecutorService pool = Executors.newFixedThreadPool(2, r -> new Thread(r, "restore-" + r.hashCode()));
            List<Future<RestoreResult>> restores = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    restores.add(pool.submit(() -> engine.restore(id, KEY, target)));
                }
                for (Future<RestoreResult> restore : restores) {
                    restore.get();
                }
            } finally {
                pool.shutdown();
                clock.barrier.reset();
            }

            assertThat(target).hasContent("restored");
            List<String> contents = new ArrayList<>();
            try (Stream<Path> files = Files.list(roundDir)) {
                for (Path file : files.filter(f -> !f.equals(target)).toList()) {
                    contents.add(Files.readString(file));
                }
            }
            assertThat(contents).as("round %d: the two copies set aside", round)
                .containsExactlyInAnyOrder("ORIGINAL", "restored");
        }
    }

    @Test
    void aFileTargetIsReplacedInOneStepAndNeverGoesMissing(@TempDir Path dir) throws Exception {
        InMemoryBackupStore store = new InMemoryBackupStore();
        String id = backupOf(store, dir, "restored");
        Path parent = Files.createDirectory(dir.resolve("parent"));
        Path target = Files.writeString(parent.resolve("target"), "ORIGINAL");
        Object originalFile = Files.getAttribute(target, "unix:ino");

        List<String> events = new ArrayList<>();
        RestoreResult result;
        try (WatchService watch = parent.getFileSystem().newWatchService()) {
            // inotify, in order: a rename away from the name is a delete of it, a rename onto it a create
            parent.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
            result = engine(store).clock(Clock.fixed(T, ZoneOffset.UTC)).build().restore(id, KEY, target);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!events.contains("ENTRY_CREATE target") && System.nanoTime() < deadline) {
                WatchKey key = watch.poll(100, TimeUnit.MILLISECONDS);
                if (key != null) {
                    for (WatchEvent<?> event : key.pollEvents()) {
                        events.add(event.kind().name() + " " + event.context());
                    }
                    key.reset();
                }
            }
        }

        assertThat(events).as("events in the target's directory").contains("ENTRY_CREATE target")
            .doesNotContain("ENTRY_DELETE target");
        assertThat(target).hasContent("restored");
        Path kept = result.previous().orElseThrow();
        assertThat(kept).isEqualTo(parent.resolve("target.pre-restore-" + BackupIds.stamp(T))).hasContent("ORIGINAL");
        assertThat(Files.getAttribute(kept, "unix:ino")).isEqualTo(originalFile);
        assertThat(Files.getAttribute(kept, "unix:nlink")).isEqualTo(1);
    }

    private static String backupOf(InMemoryBackupStore store, Path dir, String content) throws Exception {
        Path source = Files.writeString(dir.resolve("source-" + content), content);
        return engine(store).build().backup(BackupSource.file(source)).id();
    }

    /** A fixed clock at which two restoring threads meet (if both can), right before they name what they set aside. */
    private static final class BarrierClock extends Clock {
        final CyclicBarrier barrier = new CyclicBarrier(2);
        private final ThreadLocal<Boolean> met = ThreadLocal.withInitial(() -> false);

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            // a restore reads the clock first to name what it sets aside
            if (Thread.currentThread().getName().startsWith("restore-") && !met.get()) {
                met.set(true);
                try {
                    // bounded: a restore holding the swap lock must not wait here for one blocked on that lock
                    barrier.await(200, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (BrokenBarrierException | TimeoutException e) {
                    // not met: go on
                }
            }
            return T;
        }
    }
}
