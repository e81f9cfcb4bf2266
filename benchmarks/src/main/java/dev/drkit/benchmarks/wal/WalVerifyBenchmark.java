package dev.drkit.benchmarks.wal;

import dev.drkit.backup.postgres.ArchiveReport;
import dev.drkit.backup.postgres.WalArchiveVerifier;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Walking a WAL archive with {@link WalArchiveVerifier} (page headers, record headers, links, CRC-32C per record)
 * against two baselines over the same segment files: one CRC-32C over all their bytes, read through a stream (about
 * the floor: the walker reads segments into a buffer too), and mapped (which the walker did before: a page fault per
 * 4 KiB cost more than copying here). Divide the
 * archive's size (printed at setup) by the time per operation for MB/s. The archive is the directory named by the
 * {@code drkit.walArchive} system property, or one made at setup by a PostgreSQL 15 cluster (about 8 segments of
 * inserts).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WalVerifyBenchmark {

    private Path archive;
    private Path made;
    private List<Path> segments;
    private WalArchiveVerifier verifier;
    private final byte[] buffer = new byte[1 << 20];

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        String given = System.getProperty("drkit.walArchive");
        if (given != null) {
            archive = Path.of(given);
        } else {
            made = Files.createTempDirectory("drkit-walbench-");
            Files.setPosixFilePermissions(made, PosixFilePermissions.fromString("rwxr-xr-x"));
            archive = Files.createDirectory(made.resolve("archive"));
            Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rwxrwxrwx"));
            try (PgCluster cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("walbench")
                .setting("archive_mode", "on")
                .setting("archive_command", "(test ! -f " + archive + "/%f && cp %p " + archive + "/%f) || cmp -s %p " + archive + "/%f")
                .build())) {
                cluster.execute("CREATE TABLE t (id bigserial, v text)");
                cluster.execute("INSERT INTO t (v) SELECT repeat(md5(g::text), 4) FROM generate_series(1, 600000) g");
                String last = cluster.queryValue("SELECT pg_walfile_name(pg_switch_wal())").orElseThrow();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (!Files.exists(archive.resolve(last)) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
            }
        }
        try (Stream<Path> files = Files.list(archive)) {
            segments = files.filter(f -> f.getFileName().toString().matches("[0-9A-F]{24}")).sorted().toList();
        }
        long bytes = 0;
        for (Path segment : segments) {
            bytes += Files.size(segment);
        }
        System.out.printf("%nWAL archive %s: %d segments, %d MiB%n", archive, segments.size(), bytes >> 20);
        verifier = WalArchiveVerifier.builder().archive(archive).build();
        ArchiveReport report = verifier.verify();
        if (!report.faults().isEmpty()) {
            throw new IllegalStateException("the benchmark archive is not clean: " + report.toText());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (made != null) {
            try (Stream<Path> walk = Files.walk(made)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Reading every segment through a stream and CRC-32C over all of its bytes. */
    @Benchmark
    public long baselineReadAndCrc32c() throws IOException {
        CRC32C crc = new CRC32C();
        for (Path segment : segments) {
            try (InputStream in = Files.newInputStream(segment)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    crc.update(buffer, 0, n);
                }
            }
        }
        return crc.getValue();
    }

    /** Map every segment and CRC-32C all of its bytes (how the walker read segments before it read them). */
    @Benchmark
    public long baselineMapAndCrc32c() throws IOException {
        CRC32C crc = new CRC32C();
        for (Path segment : segments) {
            try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
                crc.update(channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()));
            }
        }
        return crc.getValue();
    }

    /** The verifier's walk over the whole archive (no base backup, no state file). */
    @Benchmark
    public long verifyArchive() {
        return verifier.verify().walkedTo();
    }
}
