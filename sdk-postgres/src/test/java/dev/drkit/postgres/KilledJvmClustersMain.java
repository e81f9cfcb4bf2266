package dev.drkit.postgres;

import dev.drkit.postgres.internal.Postmasters;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Starts a cluster of every kind (a primary, its replica, a cluster stopped and started again, a restored copy and
 * one that keeps its files), prints each one's postmaster and directory, then waits to be killed with SIGKILL, for
 * {@link ExitCleanupTest}. Not a test itself.
 */
final class KilledJvmClustersMain {

    private KilledJvmClustersMain() {
    }

    public static void main(String[] args) throws Exception {
        PgClusterConfig config = PgClusterConfig.forTests();
        PgCluster primary = PgCluster.start(config.toBuilder().name("killed-primary").build());
        PgCluster replica = primary.createReplica(ReplicaOptions.async("killed-replica"));
        PgCluster restarted = PgCluster.start(config.toBuilder().name("killed-restarted").build());
        restarted.stop(StopMode.FAST);
        PgCluster restored = PgCluster.restore(config.toBuilder().name("killed-restored").build(),
            target -> copy(restarted.dataDirectory(), target));
        restored.start();
        restarted.start();
        PgCluster kept = PgCluster.start(config.toBuilder().name("killed-kept").deleteOnClose(false).build());
        for (PgCluster cluster : List.of(primary, replica, restarted, restored, kept)) {
            long pid = cluster.postmasterPid().orElseThrow();
            System.out.println("CLUSTER " + cluster.name() + " PID=" + pid + " TICKS="
                + Postmasters.startTicks(pid).orElseThrow() + " DIRECTORY=" + cluster.directory());
        }
        System.out.println("READY");
        System.out.flush();
        // No close(), and no exit: the test kills this JVM with SIGKILL, so no shutdown hook runs.
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void copy(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(target.resolve(source.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, target.resolve(source.relativize(file).toString()));
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
