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
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code drkit pitr drill} through the CLI entry point, against an archive made by a real PostgreSQL 15. */
class PitrDrillCommandTest {

    private static Path root;
    private static Path archive;
    private static Path base;
    private static PgCluster cluster;
    /** After the first 5 rows, before the next 5. */
    private static Instant target;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void makeArchive() throws Exception {
        root = Files.createTempDirectory("drkit-cli-drill-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        archive = Files.createDirectory(root.resolve("archive"));
        Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rwxrwxrwx"));
        base = root.resolve("base");
        cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("cli-drill")
            .setting("archive_mode", "on")
            .setting("archive_command", "test ! -f " + archive + "/%f && cp %p " + archive + "/%f")
            .build());
        cluster.execute("CREATE TABLE marker (id serial PRIMARY KEY)");
        Process p = new ProcessBuilder(cluster.binaries().tool("pg_basebackup").toString(),
            "-h", cluster.socketDirectory().toString(), "-p", Integer.toString(cluster.port()),
            "-U", cluster.superuser(), "-D", base.toString(), "-Fp", "-X", "none", "-c", "fast", "--no-sync")
            .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0).as(output).isTrue();
        for (int i = 0; i < 5; i++) {
            cluster.execute("INSERT INTO marker DEFAULT VALUES");
        }
        target = Instant.parse(cluster.queryValue(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')").orElseThrow());
        Thread.sleep(200);
        for (int i = 0; i < 5; i++) {
            cluster.execute("INSERT INTO marker DEFAULT VALUES");
        }
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

    @Test
    void noTemporaryDirectoryForAStoreDrillIsAnEnvironmentErrorOnOneLine() throws Exception {
        Path passphrase = Files.writeString(root.resolve("passphrase"), "a passphrase for the drill\n");
        Files.setPosixFilePermissions(passphrase, PosixFilePermissions.fromString("rw-------"));
        Path missing = root.resolve("no-such-tmp");
        // a store nothing was pushed to yet: with a key, a directory that holds no plain archive file is read as one
        Path store = Files.createDirectories(root.resolve("empty-wal-store"));

        CliRun drill = CliRun.inChild(root, env -> env.put("JAVA_TOOL_OPTIONS", "-Djava.io.tmpdir=" + missing),
            "pitr", "drill", "--base-backup", base.toString(), "--archive", store.toString(), "--passphrase-file",
            passphrase.toString(), "--target-time", target.toString());

        assertThat(drill.code).as(drill.toString()).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(drill.err).contains("drkit pitr drill: cannot create a temporary directory for the drill in "
            + missing).doesNotContain("\tat ");
    }

    @Test
    void matchingChecksExitZeroWithAJsonReport() {
        int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", archive.toString(),
            "--target-time", target.toString(), "--check-sql", "SELECT count(*) FROM marker", "--expect", "5",
            "--expect-rows", "marker=5", "--json");

        assertThat(code).as(err.toString()).isEqualTo(0);
        assertThat(out.toString()).contains("\"format\" : \"drkit.pitr-drill/2\"", "\"passed\" : true",
            "\"fetch\" :", "\"setup\" :", "\"adopt\" :", "\"replay\" :", "\"checks\" :", "\"rto\" :",
            "\"cleanup\" :", "\"total\" :");
    }

    @Test
    void aCheckThatDoesNotMatchExitsOneNamingIt() {
        int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", archive.toString(),
            "--target-time", target.toString(), "--check-sql", "SELECT count(*) FROM marker", "--expect", "10");

        assertThat(code).isEqualTo(1);
        assertThat(out.toString()).contains("FAIL", "expected \"10\", got \"5\"");
        assertThat(err.toString()).contains("step 'check sql 1' failed");
    }

    @Test
    void aTargetBeyondTheArchiveExitsOne() {
        int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", archive.toString(),
            "--target-time", target.plusSeconds(3600).toString());

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("recovery ended before configured recovery target was reached");
    }

    @Test
    void aFailedDrillStillPrintsOneJsonObjectWithItsReason() throws Exception {
        int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", archive.toString(),
            "--target-time", target.plusSeconds(3600).toString(), "--json");

        assertThat(code).isEqualTo(ExitCodes.DATA);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(out.toString());
        assertThat(json.get("format").asText()).startsWith("drkit.pitr-drill/");
        assertThat(json.get("passed").asBoolean()).isFalse();
        assertThat(json.get("reason").asText()).isEqualTo("TARGET_NOT_REACHED");
        assertThat(json.get("kind").asText()).isEqualTo("data");
        assertThat(json.get("error").asText()).contains("ran out of WAL");
    }

    @Test
    void aWrongSettingIsAUsageErrorBeforeTheKeyIsRead() {
        // the passphrase file does not exist: reading the key first would end the drill with exit 3 about it
        Path noPassphrase = root.resolve("no-such-passphrase");
        List<List<String>> wrongSettings = List.of(List.of("--target-time", "yesterday"),
            List.of("--target-time", target.toString(), "--timeout", "0"),
            List.of("--target-time", target.toString(), "--expect-rows", "marker"));
        for (List<String> wrong : wrongSettings) {
            List<String> args = new ArrayList<>(List.of("pitr", "drill", "--base-backup", "20261207T120000Z-0a1b2c3d",
                "--base-backup-store", root.resolve("store").toString(), "--passphrase-file", noPassphrase.toString(),
                "--archive", archive.toString()));
            args.addAll(wrong);
            out.getBuffer().setLength(0);
            err.getBuffer().setLength(0);

            assertThat(run(args.toArray(new String[0]))).as("%s: %s", wrong, err).isEqualTo(ExitCodes.USAGE);
            assertThat(err.toString()).as("%s", wrong).doesNotContain(noPassphrase.toString());
            assertThat(out.toString()).as("%s", wrong).isEmpty();
        }
    }

    @Test
    void aDrillThatCannotStartStillPrintsOneJsonObject() throws Exception {
        int code = run("pitr", "drill", "--base-backup", "20261207T120000Z-0a1b2c3d", "--base-backup-store",
            root.resolve("store").toString(), "--passphrase-file", root.resolve("no-such-passphrase").toString(),
            "--archive", archive.toString(), "--target-time", target.toString(), "--json");

        assertThat(code).as(err.toString()).isEqualTo(ExitCodes.ENVIRONMENT);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(out.toString());
        assertThat(json.get("passed").asBoolean()).isFalse();
        assertThat(json.get("kind").asText()).isEqualTo("environment");
        assertThat(json.get("error").asText()).contains("no-such-passphrase");
    }

    @Test
    void aBaseBackupPathThatDoesNotExistIsAnEnvironmentErrorAsForVerify() {
        int code = run("pitr", "drill", "--base-backup", base.resolveSibling("no-such-base").toString(),
            "--archive", archive.toString(), "--target-time", target.toString());

        assertThat(code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("no-such-base does not exist");
        assertThat(out.toString()).contains("FAILED: ENVIRONMENT");
    }

    @Test
    void bothWalSourcesAreAUsageError() {
        int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", archive.toString(),
            "--restore-command", "cp x/%f %p", "--target-time", target.toString());

        assertThat(code).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void anExpectWithoutItsQueryIsAUsageError() {
        int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", archive.toString(),
            "--target-time", target.toString(), "--expect", "5");

        assertThat(code).isEqualTo(2);
    }

    @Test
    void aTargetWithoutAZoneIsAUsageError() {
        int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", archive.toString(),
            "--target-time", "2026-11-23 14:05");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--target-time");
    }

    @Test
    void aDatabaseOrRoleThatDoesNotExistIsAFailedCheckNamingItNotAReplayTimeout() {
        for (List<String> wrong : List.of(List.of("--database", "no_such_db"), List.of("--user", "no_such_role"))) {
            out.getBuffer().setLength(0);
            err.getBuffer().setLength(0);
            List<String> args = new ArrayList<>(List.of("pitr", "drill", "--base-backup", base.toString(), "--archive",
                archive.toString(), "--target-time", target.toString(), "--check-sql", "SELECT count(*) FROM marker",
                "--expect", "5", "--timeout", "60s"));
            args.addAll(wrong);
            long started = System.nanoTime();

            int code = run(args.toArray(new String[0]));

            assertThat(code).as("%s: %s", wrong, err).isEqualTo(ExitCodes.DATA);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).as("%s", wrong).isLessThan(45);
            String name = wrong.get(1);
            assertThat(out.toString()).as("%s", wrong).contains("FAIL", (wrong.get(0).equals("--user") ? "role \""
                : "database \"") + name + "\" does not exist at the target time");
            assertThat(err.toString()).as("%s", wrong).contains("step 'check sql 1' failed")
                .doesNotContain("did not pause");
        }
    }

    @Test
    void anArchiveThatDoesNotExistIsAnEnvironmentErrorBeforeAnyServerStarts() throws Exception {
        Path missing = root.resolve("no-such-archive");

        int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", missing.toString(),
            "--target-time", target.toString(), "--json");

        assertThat(code).as(err.toString()).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("the archive " + missing + " does not exist").hasLineCount(2);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(out.toString());
        assertThat(json.get("kind").asText()).isEqualTo("environment");
        assertThat(json.get("error").asText()).contains("does not exist");
    }

    @Test
    void anArchiveTheServersUserCannotReadIsAnEnvironmentError() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(PgCluster.serverUser().isPresent(),
            "the server runs as this JVM's user, who can read what it made");
        Path locked = Files.createDirectory(root.resolve("locked"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path copy = Files.createDirectory(locked.resolve("archive"));
        try (Stream<Path> files = Files.list(archive)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }

        int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", copy.toString(),
            "--target-time", target.toString(), "--expect-rows", "marker=5");

        assertThat(code).as(err.toString()).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("the archive " + copy + " cannot be read by the scratch server's user "
            + PgCluster.serverUser().get(), locked + " is not searchable by it (mode 700)");
        assertThat(out.toString()).contains("FAILED: ENVIRONMENT");
    }

    @Test
    void aBaseBackupTarThatDoesNotExistIsAnEnvironmentError() {
        Path missing = root.resolve("no-such-base.tar");

        int code = run("pitr", "drill", "--base-backup-tar", missing.toString(), "--archive", archive.toString(),
            "--target-time", target.toString());

        assertThat(code).as(err.toString()).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("--base-backup-tar " + missing + " does not exist")
            .doesNotContain("restoring to");
        assertThat(out.toString()).contains("FAILED: ENVIRONMENT");
    }

    @Test
    void aPlainArchiveWithAKeyIsTheSameUsageErrorAsForVerify() throws IOException {
        Path passphrase = Files.writeString(root.resolve("drill-passphrase"), "a passphrase, not for this archive\n");
        Files.setPosixFilePermissions(passphrase, PosixFilePermissions.fromString("rw-------"));

        int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", archive.toString(),
            "--passphrase-file", passphrase.toString(), "--target-time", target.toString());

        assertThat(code).as(err.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains(PitrCommand.KEYS_FOR_PLAIN_ARCHIVE);
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aTimeoutBeyondSevenDaysIsAUsageErrorBeforeAnythingStarts() {
        for (String timeout : List.of("999999999d", "8d", "PT2000000H")) {
            out.getBuffer().setLength(0);
            err.getBuffer().setLength(0);

            int code = run("pitr", "drill", "--base-backup", base.toString(), "--archive", archive.toString(),
                "--target-time", target.toString(), "--timeout", timeout, "--json");

            assertThat(code).as("%s: %s", timeout, err).isEqualTo(ExitCodes.USAGE);
            assertThat(err.toString()).as(timeout).contains("--timeout must be at most 7d, but was \"" + timeout + "\"");
            assertThat(out.toString()).as(timeout).isEmpty();
        }
    }

    @Test
    void anUnforeseenFailureStillPrintsOneJsonObject() throws Exception {
        java.io.InputStream stdin = System.in;
        System.setIn(new java.io.InputStream() {
            @Override
            public int read() {
                throw new IllegalStateException("an input that fails in a way drkit does not foresee");
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return read();
            }
        });
        int code;
        try {
            code = run("pitr", "drill", "--base-backup-tar", "-", "--archive", archive.toString(),
                "--target-time", target.toString(), "--json");
        } finally {
            System.setIn(stdin);
        }

        assertThat(code).as(err.toString()).isEqualTo(ExitCodes.INTERNAL);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(out.toString());
        assertThat(json.get("passed").asBoolean()).isFalse();
        assertThat(json.get("kind").asText()).isEqualTo("internal");
        assertThat(json.get("error").asText()).contains("internal error (java.lang.IllegalStateException)");
        assertThat(err.toString()).contains("internal error (java.lang.IllegalStateException)");
    }
}
