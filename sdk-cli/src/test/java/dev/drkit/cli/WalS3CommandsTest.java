package dev.drkit.cli;

import dev.drkit.backup.postgres.ArchiveCommands;
import dev.drkit.backup.postgres.WalArchive;
import dev.drkit.backup.postgres.WalSpool;
import dev.drkit.backup.store.S3TestServer;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ServerSideJava;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code drkit wal-push}, {@code wal-fetch} and {@code pitr verify} with an {@code s3://} WAL store on the local
 * S3-compatible server (never AWS), as PostgreSQL 15 runs them: a primary whose {@code archive_command} pushes to S3
 * while a workload runs, a restored base backup whose {@code restore_command} fetches from S3 and comes up with
 * every row, every segment fetched back byte for byte, the archive verified from S3; the batch mode's spool with an
 * S3 store; and a directory store that this process cannot write, read by a user who may only read it.
 */
class WalS3CommandsTest {

    private static final String PASSPHRASE = "wal on s3 passphrase for tests";

    private static S3TestServer server;
    private static S3Client s3;
    private static Path root;
    private static Path copies;
    private static Path passphraseFile;
    private static Path base;
    private static String prefix;
    private static String drkitAsServer;
    private static Optional<String> user;
    private static PgCluster primary;
    private static PgCluster restored;
    private static long rowsBeforeMarker;
    /** After the workload's rows were committed, before the marker row. */
    private static Instant beforeMarker;
    private static String lastSegment;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void archiveAWorkloadToS3AndRestoreIt() throws Exception {
        server = S3TestServer.get();
        s3 = server.client();
        System.setProperty("aws.accessKeyId", S3TestServer.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3TestServer.SECRET_KEY);
        prefix = "wal/" + UUID.randomUUID();
        root = Files.createTempDirectory("drkit-cli-wal-s3-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        user = PgCluster.serverUser();
        String drkit = ServerSideJava.commandLine(root.resolve("lib"), Drkit.class);
        passphraseFile = root.resolve("wal.pass");
        Files.writeString(passphraseFile, PASSPHRASE + "\n");
        Files.setPosixFilePermissions(passphraseFile, PosixFilePermissions.fromString("rw-------"));
        // the server's commands get the S3 credentials as an installation would: a 0600 shared credentials file
        Path credentials = root.resolve("aws-credentials");
        Files.writeString(credentials, "[default]\naws_access_key_id = " + S3TestServer.ACCESS_KEY
            + "\naws_secret_access_key = " + S3TestServer.SECRET_KEY + "\n");
        Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-------"));
        Path launcher = root.resolve("drkit-s3");
        Files.writeString(launcher, "#!/bin/sh\nunset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_PROFILE\n"
            + "AWS_SHARED_CREDENTIALS_FILE=" + ServerSideJava.shellQuote(credentials.toString())
            + " AWS_CONFIG_FILE=" + ServerSideJava.shellQuote(root.resolve("no-aws-config").toString())
            + " AWS_EC2_METADATA_DISABLED=true\nexport AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE"
            + " AWS_EC2_METADATA_DISABLED\nexec " + drkit + " \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        drkitAsServer = ServerSideJava.shellQuote(launcher.toString());
        copies = Files.createDirectory(root.resolve("copies"));
        chown(passphraseFile);
        chown(credentials);
        chown(copies);

        // archive_command pushes to S3, then keeps a plain copy to compare the fetched files with
        String push = drkitAsServer + " wal-push" + String.join(" ", storeArgs("")) + " --passphrase-file "
            + ServerSideJava.shellQuote(passphraseFile.toString()) + " %p && cp %p "
            + ServerSideJava.shellQuote(copies.toString()) + "/%f";
        primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("wal-s3-primary")
            .setting("archive_mode", "on")
            .setting("archive_command", push)
            .build());
        primary.execute("CREATE TABLE t (id int, v text)");
        base = root.resolve("base");
        Process p = new ProcessBuilder(primary.binaries().tool("pg_basebackup").toString(),
            "-h", primary.socketDirectory().toString(), "-p", Integer.toString(primary.port()),
            "-U", primary.superuser(), "-D", base.toString(), "-Fp", "-X", "none", "-c", "fast", "--no-sync")
            .redirectErrorStream(true).redirectOutput(root.resolve("pg_basebackup.out").toFile()).start();
        // with -X none, pg_basebackup returns once the server archived the backup's WAL through wal-push
        boolean done = p.waitFor(180, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        assertThat(done && p.exitValue() == 0).as(Files.readString(root.resolve("pg_basebackup.out"))
            + primary.logTail(30)).isTrue();
        for (int round = 0; round < 3; round++) {
            primary.execute("INSERT INTO t SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 20000) g");
            primary.execute("SELECT pg_switch_wal()");
        }
        rowsBeforeMarker = primary.queryLong("SELECT count(*) FROM t");
        beforeMarker = Instant.parse(primary.queryValue("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
            + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')").orElseThrow());
        Thread.sleep(200);
        primary.execute("INSERT INTO t VALUES (-1, 'marker')");
        lastSegment = primary.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())").orElseThrow();
        primary.execute("SELECT pg_switch_wal()");
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (!Files.exists(copies.resolve(lastSegment)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(copies.resolve(lastSegment)).as(primary.logTail(40)).exists();

        // a restore of the base backup that reads WAL only through wal-fetch from S3
        restored = PgCluster.create(PgClusterConfig.forTests().toBuilder().name("wal-s3-restored")
            .setting("archive_mode", "off")
            .setting("restore_command", drkitAsServer + " wal-fetch" + String.join(" ", storeArgs(""))
                + " --passphrase-file " + ServerSideJava.shellQuote(passphraseFile.toString()) + " %f %p")
            .build());
        Path data = restored.dataDirectory();
        try (Stream<Path> files = Files.list(data)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().equals("drkit.conf")) {
                    deleteTree(f);
                }
            }
        }
        try (Stream<Path> files = Files.walk(base)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = data.resolve(base.relativize(f).toString());
                if (f.equals(base) || target.getFileName().toString().equals("drkit.conf")) {
                    continue;
                }
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.createFile(data.resolve("recovery.signal"));
        Files.writeString(data.resolve("pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");
        if (user.isPresent()) {
            run(List.of("chown", "-R", user.get(), data.toString()));
        }
        run(List.of("chmod", "-R", "go-rwx", data.toString()));
        restored.start();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (restored.isInRecovery() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void cleanUp() throws IOException {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        for (PgCluster c : new PgCluster[] {restored, primary}) {
            if (c != null) {
                c.close();
            }
        }
        if (root != null) {
            deleteTree(root);
        }
    }

    /** The store options of {@code prefix + suffix} on the local server, each a separate word after a space. */
    private static List<String> storeArgs(String suffix) {
        return List.of("", "--store", "s3://" + S3TestServer.BUCKET + "/" + prefix + suffix, "--s3-endpoint",
            server.endpoint.toString(), "--s3-region", "us-east-1", "--s3-path-style");
    }

    /** {@code args}, then {@code option} with the S3 URI of {@code prefix + suffix}, then the other S3 options. */
    private static String[] withS3(String option, String suffix, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        List<String> store = new ArrayList<>(storeArgs(suffix).subList(1, storeArgs(suffix).size()));
        store.set(0, option);
        all.addAll(store);
        return all.toArray(String[]::new);
    }

    private int drkit(String... args) {
        CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    // ------------------------------------------------------------------------------------------------ S3 archive

    @Test
    void theRestoredBaseBackupReplayedTheWholeS3ArchiveThroughWalFetch() {
        assertThat(restored.isInRecovery()).as(restored.logTail(40)).isFalse();
        assertThat(restored.queryLong("SELECT count(*) FROM t WHERE id >= 0")).isEqualTo(rowsBeforeMarker);
        assertThat(restored.queryValue("SELECT v FROM t WHERE id = -1")).contains("marker");
        String log = restored.logTail(400);
        assertThat(log).contains("restored log file \"" + lastSegment + "\" from archive");
        assertThat(log).doesNotContain("wal-fetch:").doesNotContain(S3TestServer.SECRET_KEY);
    }

    @Test
    void everyPushedFileIsInTheBucketEncryptedAndFetchesBackByteIdentical() throws Exception {
        List<String> pushed;
        try (Stream<Path> files = Files.list(copies)) {
            pushed = files.map(f -> f.getFileName().toString()).sorted().toList();
        }
        assertThat(pushed).contains(lastSegment).anyMatch(n -> n.endsWith(".backup")).hasSizeGreaterThan(4);
        List<String> keys = s3.listObjectsV2Paginator(r -> r.bucket(S3TestServer.BUCKET).prefix(prefix + "/"))
            .contents().stream().map(S3Object::key).toList();
        Path fetched = Files.createDirectories(root.resolve("fetched"));
        for (String name : pushed) {
            assertThat(keys).contains(prefix + "/" + name + "/" + WalArchive.DATA_OBJECT,
                prefix + "/" + name + "/" + WalArchive.META_OBJECT);
            Path target = fetched.resolve(name);
            assertThat(drkit(withS3("--store", "", "wal-fetch", "--passphrase-file", passphraseFile.toString(), name,
                target.toString()))).as(name + ": " + err).isZero();
            assertThat(Files.readAllBytes(target)).as(name).isEqualTo(Files.readAllBytes(copies.resolve(name)));
        }
        byte[] stored = s3.getObjectAsBytes(r -> r.bucket(S3TestServer.BUCKET)
            .key(prefix + "/" + lastSegment + "/" + WalArchive.DATA_OBJECT)).asByteArray();
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("marker");
        // missing: exit 4 and quiet, as restore_command needs
        assertThat(drkit(withS3("--store", "", "wal-fetch", "--passphrase-file", passphraseFile.toString(),
            "00000009.history", fetched.resolve("RECOVERYHISTORY").toString()))).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void pushingAnArchivedSegmentAgainToS3SucceedsAndOtherContentExitsOne() throws Exception {
        Path again = Files.createDirectories(root.resolve("again")).resolve(lastSegment);
        Files.copy(copies.resolve(lastSegment), again);

        assertThat(drkit(withS3("--store", "", "wal-push", "--passphrase-file", passphraseFile.toString(),
            again.toString()))).as(err.toString()).isZero();
        assertThat(err.toString()).contains("archived already with identical content");

        byte[] bytes = Files.readAllBytes(again);
        bytes[1 << 20] ^= 0x01;
        Files.write(again, bytes);
        err.getBuffer().setLength(0);
        assertThat(drkit(withS3("--store", "", "wal-push", "--passphrase-file", passphraseFile.toString(),
            again.toString()))).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains("already holds " + lastSegment + " with different content");
    }

    @Test
    void pitrVerifyReadsTheS3ArchiveAndKeepsItsStateOutsideIt() throws Exception {
        Path state = root.resolve("verify-s3.state");
        List<String> before = bucketListing(prefix);

        int first = drkit(withS3("--archive", "", "pitr", "verify", "--base-backup", base.toString(),
            "--passphrase-file", passphraseFile.toString(), "--state", state.toString()));
        String firstOut = out.toString();
        out.getBuffer().setLength(0);
        int second = drkit(withS3("--archive", "", "pitr", "verify", "--base-backup", base.toString(),
            "--passphrase-file", passphraseFile.toString(), "--state", state.toString(), "--json"));

        assertThat(first).as(firstOut + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(firstOut).startsWith("OK: WAL archive s3://" + S3TestServer.BUCKET + "/" + prefix)
            .contains("consistency reached").doesNotContain("warning");
        assertThat(state).isRegularFile();
        assertThat(second).as(out + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("\"resumed\":true", "\"segmentsRead\":0");
        // nothing was written into the archive
        assertThat(bucketListing(prefix)).isEqualTo(before);
    }

    /** Every key under {@code keyPrefix} with its ETag and time. */
    private static List<String> bucketListing(String keyPrefix) {
        return s3.listObjectsV2Paginator(r -> r.bucket(S3TestServer.BUCKET).prefix(keyPrefix + "/")).contents()
            .stream().map(o -> o.key() + " " + o.eTag() + " " + o.lastModified()).sorted().toList();
    }

    @Test
    void pitrVerifyOfAnS3ArchiveFindsADamagedObject() throws Exception {
        // a copy of the archive under another prefix, with one segment's stored object damaged
        String copy = "-damaged";
        List<S3Object> objects = s3.listObjectsV2Paginator(r -> r.bucket(S3TestServer.BUCKET).prefix(prefix + "/"))
            .contents().stream().toList();
        for (S3Object o : objects) {
            byte[] bytes = s3.getObjectAsBytes(r -> r.bucket(S3TestServer.BUCKET).key(o.key())).asByteArray();
            if (o.key().endsWith(lastSegment + "/" + WalArchive.DATA_OBJECT)) {
                bytes[bytes.length / 3] ^= 0x01;
            }
            s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + copy + o.key().substring(prefix.length())),
                software.amazon.awssdk.core.sync.RequestBody.fromBytes(bytes));
        }

        int code = drkit(withS3("--archive", copy, "pitr", "verify", "--base-backup", base.toString(),
            "--passphrase-file", passphraseFile.toString()));

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(out.toString()).contains("fault stored-object").contains(lastSegment + "/wal.zst.pgp is damaged");
    }

    @Test
    void pitrVerifyOfAnS3ArchiveNeedsAKeyAndS3OptionsNeedAnS3Archive() {
        assertThat(drkit(withS3("--archive", "", "pitr", "verify"))).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("is a drkit WAL store: give --passphrase-file");
        err.getBuffer().setLength(0);
        assertThat(drkit("pitr", "verify", "--archive", copies.toString(), "--s3-region", "us-east-1"))
            .isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("apply only to an s3:// --archive");
        err.getBuffer().setLength(0);
        assertThat(drkit("pitr", "verify", "--archive", "gs://bucket/wal", "--passphrase-file",
            passphraseFile.toString())).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("s3://bucket/prefix");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aPitrDrillReplaysFromS3ThroughWalFetchToATargetTime() {
        String restoreCommand = drkitAsServer + " wal-fetch" + String.join(" ", storeArgs("")) + " --passphrase-file "
            + ServerSideJava.shellQuote(passphraseFile.toString()) + " %f %p";

        int code = drkit("pitr", "drill", "--base-backup", base.toString(), "--restore-command", restoreCommand,
            "--target-time", beforeMarker.toString(), "--expect-rows", "t=" + rowsBeforeMarker,
            "--check-sql", "SELECT count(*) FROM t WHERE id = -1", "--expect", "0", "--json");

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("\"passed\" : true");
    }

    // ------------------------------------------------------------------------------------------------ spool

    @Test
    void theBatchModePushesReadyFilesToS3AndItsShellTestAnswersFromTheMarkers() throws Exception {
        Path dir = Files.createDirectories(root.resolve("spool-s3"));
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        Files.createDirectories(pgWal.resolve("archive_status"));
        Path spool = dir.resolve("spool");
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Path file = pgWal.resolve(String.format("0000000100000000000000%02X", 0x40 + i));
            byte[] content = new byte[1 << 20];
            new SplittableRandom(7 + i).nextBytes(content);
            Files.write(file, content);
            Files.createFile(pgWal.resolve("archive_status").resolve(file.getFileName() + ".ready"));
            files.add(file);
        }

        int code = drkit(withS3("--store", "-spool", "wal-push", "--spool", spool.toString(), "--batch", "4",
            "--passphrase-file", passphraseFile.toString(), files.get(0).toString()));

        assertThat(code).as(err.toString()).isZero();
        // the file asked for and the next three: markers for the three others, none for the fifth
        assertThat(WalSpool.open(spool).markedNames()).containsExactly(name(files.get(1)), name(files.get(2)),
            name(files.get(3)));
        // the archive_command's shell test for a store that is not a directory: the marker's file identity
        Path fellThrough = dir.resolve("fell-through");
        String archiveCommand = WalSpool.archiveCommand(spool, null, "{ echo %f >> "
            + ServerSideJava.shellQuote(fellThrough.toString()) + "; exit 7; }");
        assertThat(runShell(archiveCommand, pgWal, name(files.get(1)))).isZero();
        assertThat(spool.resolve(name(files.get(1)) + WalSpool.MARKER_SUFFIX)).doesNotExist();
        // a file rewritten in place since its marker was written is not trusted: the push command runs
        Files.write(files.get(2), Files.readAllBytes(files.get(2)));
        assertThat(runShell(archiveCommand, pgWal, name(files.get(2)))).isEqualTo(7);
        // no marker: the push command runs
        assertThat(runShell(archiveCommand, pgWal, name(files.get(4)))).isEqualTo(7);
        assertThat(fellThrough).hasContent(name(files.get(2)) + "\n" + name(files.get(4)));
        // the four pushed files are in the bucket, and fetch back byte for byte
        for (Path file : files.subList(0, 4)) {
            Path target = dir.resolve("fetched-" + name(file));
            assertThat(drkit(withS3("--store", "-spool", "wal-fetch", "--passphrase-file",
                passphraseFile.toString(), name(file), target.toString()))).as(err.toString()).isZero();
            assertThat(Files.readAllBytes(target)).isEqualTo(Files.readAllBytes(file));
        }
        assertThat(drkit(withS3("--store", "-spool", "wal-fetch", "--passphrase-file", passphraseFile.toString(),
            name(files.get(4)), dir.resolve("x").toString()))).isEqualTo(ExitCodes.NOT_FOUND);
    }

    // ------------------------------------------------------------------------------------------------ read-only

    @Test
    void aDirectoryStoreThisUserCannotWriteIsVerifiedAndFetchedFrom() throws Exception {
        // a directory store of the archive, owned by another user (or made read-only), as a mounted backup is
        Path store = Files.createDirectory(root.resolve("readonly-store"));
        for (String name : List.of(Files.list(copies).map(f -> f.getFileName().toString()).sorted()
            .toArray(String[]::new))) {
            assertThat(drkit("wal-push", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
                copies.resolve(name).toString())).as(err.toString()).isZero();
        }
        Files.delete(store.resolve(".lock"));
        Path stateDir = Files.createDirectories(root.resolve("readonly-state"));
        Path fetched = Files.createDirectories(root.resolve("readonly-fetched"));
        run(List.of("chmod", "-R", "a+rX,a-w", store.toString(), stateDir.toString()));
        run(List.of("chmod", "-R", "a+rX", base.toString()));
        run(List.of("chmod", "a+rwx", fetched.toString()));
        List<String> before = listing(store);
        try {
            String keys = " --passphrase-file " + ServerSideJava.shellQuote(passphraseFile.toString());
            Result verify = asOtherUser(drkitAsServer + " pitr verify --archive "
                + ServerSideJava.shellQuote(store.toString()) + " --base-backup "
                + ServerSideJava.shellQuote(base.toString()) + keys + " --state "
                + ServerSideJava.shellQuote(stateDir.resolve("state").toString()));
            Result fetch = asOtherUser(drkitAsServer + " wal-fetch --store "
                + ServerSideJava.shellQuote(store.toString()) + keys + " " + lastSegment + " "
                + ServerSideJava.shellQuote(fetched.resolve(lastSegment).toString()));

            assertThat(verify.code).as(verify.output).isEqualTo(ExitCodes.OK);
            assertThat(verify.output).contains("consistency reached")
                .contains("warning: state file " + stateDir.resolve("state") + " cannot be written")
                .contains("the next run walks from the start");
            assertThat(fetch.code).as(fetch.output).isEqualTo(ExitCodes.OK);
            assertThat(Files.readAllBytes(fetched.resolve(lastSegment)))
                .isEqualTo(Files.readAllBytes(copies.resolve(lastSegment)));
            // nothing was written into the store: not even the lock file
            assertThat(listing(store)).isEqualTo(before).doesNotContain(".lock");
        } finally {
            run(List.of("chmod", "-R", "u+w", store.toString(), stateDir.toString()));
        }
    }

    @Test
    void aStateFileThatCannotBeWrittenIsAWarningAndTheVerdictStands() throws Exception {
        // a directory where the state file should be: it cannot be replaced by a file, whoever runs the check
        Path state = Files.createDirectories(root.resolve("state-is-a-directory"));

        int code = drkit("pitr", "verify", "--archive", copies.toString(), "--base-backup", base.toString(),
            "--state", state.toString());

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).startsWith("OK: WAL archive").contains("consistency reached")
            .contains("warning: state file " + state + " cannot be written");
        assertThat(state).isEmptyDirectory();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private record Result(int code, String output) {
    }

    /** Runs {@code command} in {@code /bin/sh} as the server's user (root's tests), or as this user otherwise. */
    private static Result asOtherUser(String command) throws Exception {
        List<String> argv = user.isPresent()
            ? List.of("runuser", "-u", user.get(), "--", "/bin/sh", "-c", command)
            : List.of("/bin/sh", "-c", command);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as(output).isTrue();
        return new Result(p.exitValue(), output);
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.map(f -> dir.relativize(f).toString()).sorted().toList();
        }
    }

    private static String name(Path file) {
        return file.getFileName().toString();
    }

    /** Runs {@code template} as PostgreSQL runs archive_command: %p, %f and %% replaced, in the data directory. */
    private static int runShell(String template, Path pgWal, String name) throws Exception {
        Process shell = new ProcessBuilder("/bin/sh", "-c", ArchiveCommands.substitute(template, name))
            .directory(pgWal.getParent().toFile()).redirectErrorStream(true).start();
        String output = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(shell.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();
        return shell.exitValue();
    }

    private static void chown(Path path) throws Exception {
        if (user.isPresent()) {
            run(List.of("chown", "-R", user.get(), path.toString()));
        }
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(command + ": " + output).isTrue();
    }

    private static void deleteTree(Path path) throws IOException {
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
