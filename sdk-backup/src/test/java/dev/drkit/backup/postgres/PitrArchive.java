package dev.drkit.backup.postgres;

import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ReplicaOptions;
import dev.drkit.postgres.StopMode;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real WAL archive made once by PostgreSQL 15, for tests that then copy and damage it: a primary archiving with
 * {@code cp}, a plain-format base backup with its manifest, a varied workload (bulk rows, TOASTed rows, one 20 MB
 * record spanning segments, an aborted and a two-phase transaction), segments closed with {@code pg_switch_wal()},
 * then a failover: the primary stops, its streaming replica is promoted to timeline 2 (archiving
 * {@code 00000002.history}) and takes more commits.
 *
 * <p>Copies are made of hard links; {@link #materialize(Path)} replaces one link with a private copy before a test
 * damages it, so the original stays intact.
 */
final class PitrArchive implements AutoCloseable {

    final Path root;
    final Path archive;
    final Path baseBackup;
    final PgCluster primary;
    final PgCluster promoted;
    /** Where the 20 MB logical message, which spans segments, starts at the earliest. */
    final long bigRecordStart;
    /** Where the 20 MB logical message ends. */
    final long bigRecordEnd;
    /** The segment ending with the switch after phase 1 (on timeline 1). */
    final long phaseOneSwitchSegno;
    final Instant backupStarted;
    final Instant phaseOneCommitted;
    final Instant lastCommitted;
    final int segmentSize = 16 << 20;

    private PitrArchive(Path root, Path archive, Path baseBackup, PgCluster primary, PgCluster promoted,
                        long bigRecordStart, long bigRecordEnd, long phaseOneSwitchSegno, Instant backupStarted, Instant phaseOneCommitted,
                        Instant lastCommitted) {
        this.root = root;
        this.archive = archive;
        this.baseBackup = baseBackup;
        this.primary = primary;
        this.promoted = promoted;
        this.bigRecordStart = bigRecordStart;
        this.bigRecordEnd = bigRecordEnd;
        this.phaseOneSwitchSegno = phaseOneSwitchSegno;
        this.backupStarted = backupStarted;
        this.phaseOneCommitted = phaseOneCommitted;
        this.lastCommitted = lastCommitted;
    }

    static Path newDirectory(Path parent, String name) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(name));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        return dir;
    }

    /**
     * {@code cp} into {@code dir}, refusing to overwrite a different file but accepting an identical one: a promoted
     * standby archives again segments it received with its base backup, and a bare {@code test ! -f} guard would
     * then stop archiving for good.
     */
    static String archiveCommand(Path dir) {
        return "(test ! -f " + dir + "/%f && cp %p " + dir + "/%f) || cmp -s %p " + dir + "/%f";
    }

    static PitrArchive build() throws Exception {
        Path root = Files.createTempDirectory("drkit-pitr-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path archive = newDirectory(root, "archive");
        Path baseBackup = root.resolve("base");
        PgCluster primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("pitr-primary")
            .setting("archive_mode", "on")
            .setting("archive_command", archiveCommand(archive))
            .setting("wal_level", "replica")
            .setting("max_prepared_transactions", "4")
            .build());
        PgCluster promoted = null;
        try {
            primary.execute("CREATE TABLE marker (id bigserial PRIMARY KEY, phase int NOT NULL, payload text)");
            primary.execute("CREATE TABLE big (id int PRIMARY KEY, v text)");
            primary.execute("ALTER TABLE big ALTER COLUMN v SET STORAGE EXTERNAL");
            Instant backupStarted = Instant.now();
            baseBackup(primary, baseBackup);

            // phase 1: bulk rows, a TOASTed row, one record across segments, an abort, a two-phase commit
            primary.execute("INSERT INTO marker (phase, payload) SELECT 1, repeat(md5(g::text), 6)"
                + " FROM generate_series(1, 30000) g");
            primary.execute("INSERT INTO big VALUES (1, (SELECT string_agg(md5(g::text), '') FROM"
                + " generate_series(1, 40000) g))");
            long bigStart = parseLsn(primary.queryValue("SELECT pg_current_wal_insert_lsn()::text").orElseThrow());
            long bigEnd = parseLsn(primary.queryValue(
                "SELECT pg_logical_emit_message(false, 'drkit', repeat('y', 20000000))::text").orElseThrow());
            primary.execute("BEGIN; INSERT INTO marker (phase) VALUES (-1); ROLLBACK");
            primary.execute("BEGIN; INSERT INTO marker (phase) VALUES (1); PREPARE TRANSACTION 'p1'");
            primary.execute("COMMIT PREPARED 'p1'");
            Instant phaseOne = Instant.parse(primary.queryValue(
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
                .orElseThrow());
            long switched = parseLsn(primary.queryValue("SELECT pg_switch_wal()::text").orElseThrow());
            long switchSegno = switched / (16 << 20);
            Thread.sleep(1100);

            // phase 2 on timeline 1, then a failover
            primary.execute("INSERT INTO marker (phase, payload) SELECT 2, 'two' FROM generate_series(1, 1000) g");
            primary.execute("SELECT pg_switch_wal()");
            promoted = primary.createReplica(ReplicaOptions.async("pitr-standby"));
            promoted.awaitReplay(primary.currentLsn(), Duration.ofSeconds(60));
            awaitArchived(primary);
            primary.stop(StopMode.FAST);
            promoted.promote();

            // phase 3 on timeline 2
            Thread.sleep(1100);
            promoted.execute("INSERT INTO marker (phase, payload) SELECT 3, repeat('z', 300)"
                + " FROM generate_series(1, 20000) g");
            promoted.execute("INSERT INTO marker (phase) VALUES (3)");
            Instant last = Instant.parse(promoted.queryValue(
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
                .orElseThrow());
            promoted.execute("SELECT pg_switch_wal()");
            awaitArchived(promoted);
            if (!Files.exists(archive.resolve("00000002.history"))) {
                throw new IllegalStateException("the promoted standby did not archive 00000002.history");
            }
            return new PitrArchive(root, archive, baseBackup, primary, promoted, bigStart, bigEnd, switchSegno,
                backupStarted, phaseOne, last);
        } catch (Exception | Error e) {
            if (promoted != null) {
                promoted.close();
            }
            primary.close();
            throw e;
        }
    }

    static void baseBackup(PgCluster cluster, Path target) throws IOException, InterruptedException {
        Path tool = cluster.binaries().tool("pg_basebackup");
        Process p = new ProcessBuilder(tool.toString(), "-h", cluster.socketDirectory().toString(),
            "-p", Integer.toString(cluster.port()), "-U", cluster.superuser(), "-D", target.toString(),
            "-Fp", "-X", "none", "-c", "fast", "--no-sync")
            .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("pg_basebackup failed: " + output);
        }
    }

    /** Waits until the segment before the current insert position has been archived. */
    static void awaitArchived(PgCluster cluster) throws InterruptedException {
        String current = cluster.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())").orElseThrow();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String last = cluster.queryValue("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
                .orElse("");
            if (last.length() >= 24 && last.substring(8, 24).compareTo(current.substring(8)) >= 0
                || last.length() >= 24 && nextSegment(last).equals(current.substring(8))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("segments before " + current + " were not archived within 60 s");
    }

    private static String nextSegment(String name) {
        long log = Long.parseLong(name.substring(8, 16), 16);
        long seg = Long.parseLong(name.substring(16, 24), 16) + 1;
        if (seg == 0x100) {
            log++;
            seg = 0;
        }
        return String.format("%08X%08X", log, seg);
    }

    static long parseLsn(String text) {
        return dev.drkit.backup.postgres.wal.Lsn.parse(text);
    }

    /** A copy of the archive made of hard links. */
    Path copyOfArchive(String name) throws IOException {
        Path copy = linkCopy(archive, root.resolve("copies").resolve(name + "-archive"));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxrwxrwx"));
        return copy;
    }

    /** A copy of the base backup made of hard links. */
    Path copyOfBaseBackup(String name) throws IOException {
        return linkCopy(baseBackup, root.resolve("copies").resolve(name + "-base"));
    }

    static Path linkCopy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.createLink(to.resolve(from.relativize(file).toString()), file);
                return FileVisitResult.CONTINUE;
            }
        });
        return to;
    }

    /** Replaces a hard link with a private copy, so it can be damaged. */
    static Path materialize(Path file) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.copy(file, temp);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    /** Segment names of a timeline in an archive directory, sorted. */
    static List<String> segments(Path dir, int timeline) throws IOException {
        String prefix = String.format("%08X", timeline);
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = new ArrayList<>();
            files.map(f -> f.getFileName().toString())
                .filter(n -> n.length() == 24 && n.startsWith(prefix))
                .sorted().forEach(names::add);
            return names;
        }
    }

    String segmentName(int timeline, long segno) {
        return String.format("%08X%08X%08X", timeline, segno >>> 8, segno & 0xFF);
    }

    @Override
    public void close() throws IOException {
        promoted.close();
        primary.close();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        }
    }

    static Map<String, String> archiveSettings(Path dir) {
        return Map.of("archive_command", archiveCommand(dir));
    }
}
