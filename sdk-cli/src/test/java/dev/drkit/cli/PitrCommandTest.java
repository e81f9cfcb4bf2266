package dev.drkit.cli;

import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code drkit pitr verify} through the CLI entry point, against an archive made by a real PostgreSQL 15. */
class PitrCommandTest {

    private static Path root;
    private static Path archive;
    private static Path base;
    private static PgCluster cluster;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void makeArchive() throws Exception {
        root = Files.createTempDirectory("drkit-cli-pitr-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        archive = Files.createDirectory(root.resolve("archive"));
        Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rwxrwxrwx"));
        base = root.resolve("base");
        cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("cli-pitr")
            .setting("archive_mode", "on")
            .setting("archive_command", "(test ! -f " + archive + "/%f && cp %p " + archive + "/%f) || cmp -s %p " + archive + "/%f")
            .build());
        cluster.execute("CREATE TABLE t (v text)");
        Process p = new ProcessBuilder(cluster.binaries().tool("pg_basebackup").toString(),
            "-h", cluster.socketDirectory().toString(), "-p", Integer.toString(cluster.port()),
            "-U", cluster.superuser(), "-D", base.toString(), "-Fp", "-X", "none", "-c", "fast", "--no-sync")
            .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0).as(output).isTrue();
        cluster.execute("INSERT INTO t SELECT repeat('x', 200) FROM generate_series(1, 50000)");
        cluster.execute("SELECT pg_switch_wal()");
        cluster.execute("INSERT INTO t VALUES ('last')");
        String current = cluster.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())").orElseThrow();
        cluster.execute("SELECT pg_switch_wal()");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(archive.resolve(current)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(archive.resolve(current)).exists();
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private int run(String... args) {
        CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private static Path copyOfArchive(String name) throws IOException {
        Path copy = Files.createDirectory(root.resolve(name));
        try (Stream<Path> files = Files.list(archive)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return copy;
    }

    @Test
    void cleanArchiveExitsZeroWithAReport() {
        int code = run("pitr", "verify", "--archive", archive.toString(), "--base-backup", base.toString());

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).startsWith("OK: WAL archive").contains("consistency reached");
    }

    @Test
    void jsonReportIsOneObject() {
        int code = run("pitr", "verify", "--archive", archive.toString(), "--base-backup", base.toString(),
            "--json", "--rpo", "1h", "--archive-timeout", "60s");

        assertThat(code).isEqualTo(ExitCodes.OK);
        assertThat(out.toString().strip()).startsWith("{\"format\":\"drkit.wal-archive-report/1\",\"ok\":true")
            .endsWith("}");
    }

    @Test
    void missingSegmentExitsOneNamingIt() throws IOException {
        Path damaged = copyOfArchive("missing");
        List<String> segments;
        try (Stream<Path> files = Files.list(damaged)) {
            segments = files.map(f -> f.getFileName().toString()).filter(n -> n.length() == 24).sorted().toList();
        }
        String middle = segments.get(segments.size() - 2);
        Files.delete(damaged.resolve(middle));

        int code = run("pitr", "verify", "--archive", damaged.toString(), "--base-backup", base.toString());

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(out.toString()).startsWith("FAILED").contains(middle + " is missing");
        assertThat(err.toString()).contains("drkit pitr verify: ").contains(middle);
    }

    @Test
    void targetTimeBeforeTheBackupExitsOne() {
        int code = run("pitr", "verify", "--archive", archive.toString(), "--base-backup", base.toString(),
            "--target-time", "2001-01-01T00:00:00Z");

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(out.toString()).contains("NOT reachable").contains("before the base backup");
    }

    @Test
    void unreadableArchiveExitsThree() {
        int code = run("pitr", "verify", "--archive", root.resolve("nowhere").toString(),
            "--base-backup", base.toString());

        assertThat(code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("is not a directory");
    }

    @Test
    void badDurationIsAUsageError() {
        int code = run("pitr", "verify", "--archive", archive.toString(), "--rpo", "five minutes");

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("--rpo must be a duration");
    }

    @Test
    void aStateFileInTheArchiveIsAUsageErrorAndNothingIsWritten() throws IOException {
        Path link = root.resolve("archive-link");
        Files.createSymbolicLink(link, archive);
        List<String> before;
        try (Stream<Path> files = Files.list(archive)) {
            before = files.map(f -> f.getFileName().toString()).sorted().toList();
        }

        int direct = run("pitr", "verify", "--archive", archive.toString(), "--state",
            archive.resolve("wal-verify.state").toString());
        int throughLink = run("pitr", "verify", "--archive", archive.toString(), "--state",
            link.resolve("wal-verify.state").toString());

        assertThat(direct).as(err.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(throughLink).as(err.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("is in the archive");
        try (Stream<Path> files = Files.list(archive)) {
            assertThat(files.map(f -> f.getFileName().toString()).sorted().toList()).isEqualTo(before);
        }
    }

    @Test
    void archiveIsRequired() {
        int code = run("pitr", "verify");

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("--archive");
    }

    @Test
    void aPlainArchiveWithAKeyIsAUsageErrorNotAStoreWithEverySegmentMissing() throws IOException {
        Path passphrase = Files.writeString(root.resolve("verify-passphrase"), "a passphrase, not for this archive\n");
        Files.setPosixFilePermissions(passphrase, PosixFilePermissions.fromString("rw-------"));

        int code = run("pitr", "verify", "--archive", archive.toString(), "--base-backup", base.toString(),
            "--passphrase-file", passphrase.toString());

        assertThat(code).as(err.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains(PitrCommand.KEYS_FOR_PLAIN_ARCHIVE).doesNotContain("missing");
        assertThat(out.toString()).isEmpty();
        // without the key, the same archive verifies
        assertThat(run("pitr", "verify", "--archive", archive.toString(), "--base-backup", base.toString()))
            .as(err.toString()).isZero();
    }
}
