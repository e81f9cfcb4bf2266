package dev.drkit.cli;

import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.postgres.ArchiveCommands;
import dev.drkit.backup.postgres.WalArchive;
import dev.drkit.backup.postgres.WalSpool;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ServerSideJava;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code drkit wal-push --spool} as PostgreSQL 15 runs it: a burst of segments archived through the spool's shell
 * test with far fewer JVM starts than segments, every segment in the store byte for byte; a batch killed with
 * SIGKILL leaves markers only for committed files and the archiver's next calls complete; the batch mode keeps the
 * exit codes of a single push.
 */
class WalPushBatchTest {

    private static final String PASSPHRASE = "wal batch passphrase for tests";
    private static final int BATCH = 6;

    private static Path root;
    private static Path passphraseFile;
    private static String drkit;
    private static Optional<String> user;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void prepare() throws Exception {
        root = Files.createTempDirectory("drkit-cli-walbatch-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        user = PgCluster.serverUser();
        drkit = ServerSideJava.commandLine(root.resolve("lib"), Drkit.class);
        passphraseFile = root.resolve("wal.pass");
        Files.writeString(passphraseFile, PASSPHRASE + "\n");
        Files.setPosixFilePermissions(passphraseFile, PosixFilePermissions.fromString("rw-------"));
        chown(passphraseFile);
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (root != null) {
            deleteTree(root);
        }
    }

    // ------------------------------------------------------------------------------------------------ PostgreSQL

    @Test
    void aBurstOfSegmentsIsArchivedThroughTheSpoolWithFewJvmStarts() throws Exception {
        Path dir = Files.createDirectory(root.resolve("burst"));
        Path store = Files.createDirectory(dir.resolve("wal"));
        Path spool = Files.createDirectory(dir.resolve("spool"));
        Path starts = dir.resolve("jvm-starts");
        Files.writeString(starts, "");
        Files.setPosixFilePermissions(starts, PosixFilePermissions.fromString("rw-rw-rw-"));
        chown(store);
        chown(spool);
        Path counting = dir.resolve("counting-drkit");
        Files.writeString(counting, "#!/bin/sh\necho start >> " + ServerSideJava.shellQuote(starts.toString())
            + "\nexec " + drkit + " \"$@\"\n");
        Files.setPosixFilePermissions(counting, PosixFilePermissions.fromString("rwxr-xr-x"));
        String push = ServerSideJava.shellQuote(counting.toString()) + " wal-push --spool "
            + ServerSideJava.shellQuote(spool.toString()) + " --batch " + BATCH + " --store "
            + ServerSideJava.shellQuote(store.toString()) + " --passphrase-file "
            + ServerSideJava.shellQuote(passphraseFile.toString()) + " %p";
        String archiveCommand = WalSpool.archiveCommand(spool, store, push);

        // archiving paused (archive_mode on, no command): the burst waits in pg_wal as .ready files
        try (PgCluster primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("wal-batch")
            .setting("archive_mode", "on")
            .setting("archive_command", "")
            .setting("wal_keep_size", "2GB")
            .build())) {
            primary.execute("CREATE TABLE t (id int)");
            List<String> segments = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                primary.execute("INSERT INTO t VALUES (" + i + ")");
                segments.add(primary.queryValue("SELECT pg_walfile_name(pg_switch_wal())").orElseThrow());
            }
            Path pgWal = primary.dataDirectory().resolve("pg_wal");
            List<String> ready = WalSpool.readyFiles(pgWal);
            assertThat(ready).containsAll(segments);

            primary.execute("ALTER SYSTEM SET archive_command = '" + archiveCommand.replace("'", "''") + "'");
            primary.execute("SELECT pg_reload_conf()");
            String last = segments.get(segments.size() - 1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (!primary.queryValue("SELECT coalesce(last_archived_wal, '') >= '" + last + "' FROM"
                + " pg_stat_archiver").orElse("f").equals("t") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(primary.queryLong("SELECT failed_count FROM pg_stat_archiver")).as(primary.logTail(40))
                .isZero();
            assertThat(primary.queryValue("SELECT last_archived_wal FROM pg_stat_archiver")).as(primary.logTail(40))
                .hasValueSatisfying(v -> assertThat(v).isGreaterThanOrEqualTo(last));

            // far fewer JVMs than files: the first run for each batch pushed it, the shell answered the rest
            int jvmStarts = Files.readAllLines(starts).size();
            int files = ready.size();
            assertThat(jvmStarts).as("JVM starts for " + files + " ready files in batches of " + BATCH)
                .isLessThanOrEqualTo((files + BATCH - 1) / BATCH + 1)
                .isLessThan(files);
            // every marker was used up; PostgreSQL marked every file done itself
            try (Stream<Path> left = Files.list(spool)) {
                assertThat(left.map(p -> p.getFileName().toString())).isEmpty();
            }
            assertThat(WalSpool.readyFiles(pgWal)).doesNotContainAnyElementsOf(segments);

            // every segment in the store, byte for byte what pg_wal holds, and fetchable by wal-fetch
            Path fetched = Files.createDirectories(dir.resolve("fetched"));
            for (String segment : segments) {
                Path target = fetched.resolve(segment);
                assertThat(drkit("wal-fetch", "--store", store.toString(), "--passphrase-file",
                    passphraseFile.toString(), segment, target.toString())).as(segment + ": " + err).isZero();
                assertThat(Files.readAllBytes(target)).as(segment)
                    .isEqualTo(Files.readAllBytes(pgWal.resolve(segment)));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ SIGKILL

    @Test
    void aBatchKilledMidwayLeavesMarkersOnlyForCommittedFilesAndTheNextCallsComplete() throws Exception {
        Path dir = Files.createDirectory(root.resolve("kill"));
        Path data = Files.createDirectory(dir.resolve("data"));
        Path pgWal = Files.createDirectories(data.resolve("pg_wal/archive_status"));
        Path store = Files.createDirectory(dir.resolve("wal"));
        Path spool = dir.resolve("spool");
        // large and incompressible, so the batch is still writing when it is killed
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String name = String.format("0000000100000000000000%02X", 0x10 + i);
            byte[] content = new byte[32 << 20];   // a segment size wal-push accepts: a power of two
            new SplittableRandom(i).nextBytes(content);
            Files.write(pgWal.getParent().resolve(name), content);
            Files.createFile(pgWal.resolve(name + ".ready"));
            names.add(name);
        }
        Path walDir = pgWal.getParent();

        Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
            "-cp", System.getProperty("java.class.path"), Drkit.class.getName(),
            "wal-push", "--spool", spool.toString(), "--batch", "8", "--store", store.toString(),
            "--passphrase-file", passphraseFile.toString(), "pg_wal/" + names.get(0))
            .directory(data.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("child.out").toFile())
            .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        // midway: at least two other files committed and the next one being written
        while (child.isAlive() && System.nanoTime() < deadline
            && !(committed(store).size() >= 3 && !staging(store).isEmpty())) {
            Thread.sleep(2);
        }
        child.destroyForcibly(); // SIGKILL
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("killed, not finished: " + Files.readString(dir.resolve("child.out")))
            .isEqualTo(128 + 9);
        List<String> unfinished = staging(store);
        assertThat(unfinished).as("a file was being written when the batch was killed").isNotEmpty();

        List<String> marked;
        try (FileSystemStore opened = FileSystemStore.open(store);
             Secret passphrase = Secrets.fromFile(passphraseFile);
             WalArchive archive = WalArchive.builder(opened).decryptionKey(DecryptionKey.passphrase(passphrase))
                 .build()) {
            WalSpool markers = WalSpool.open(spool);
            marked = markers.markedNames();
            assertThat(marked).as("markers written before the kill").isNotEmpty();
            List<String> inStore = committed(store);
            for (String name : marked) {
                assertThat(inStore).contains(name);
                assertThat(markers.isMarked(walDir.resolve(name), archive)).as(name).isTrue();
            }
            for (String leftover : unfinished) {
                assertThat(marked).noneMatch(leftover::contains);
            }
        }

        // the archiver goes on: each ready file through the archive_command, in order, as PostgreSQL calls it
        String archiveCommand = WalSpool.archiveCommand(spool, store, drkit + " wal-push --spool "
            + ServerSideJava.shellQuote(spool.toString()) + " --batch 3 --store "
            + ServerSideJava.shellQuote(store.toString()) + " --passphrase-file "
            + ServerSideJava.shellQuote(passphraseFile.toString()) + " %p");
        for (String name : names) {
            assertThat(runArchiveCommand(archiveCommand, data, name)).as(name).isZero();
            // PostgreSQL's part: the file is done once archive_command returned 0
            Files.move(pgWal.resolve(name + ".ready"), pgWal.resolve(name + ".done"));
        }
        assertThat(staging(store)).isEmpty();
        try (Stream<Path> left = Files.list(spool)) {
            assertThat(left.map(p -> p.getFileName().toString())).isEmpty();
        }
        for (String name : names) {
            Path target = dir.resolve("fetched-" + name);
            assertThat(drkit("wal-fetch", "--store", store.toString(), "--passphrase-file",
                passphraseFile.toString(), name, target.toString())).as(err.toString()).isZero();
            assertThat(Files.readAllBytes(target)).isEqualTo(Files.readAllBytes(walDir.resolve(name)));
        }
    }

    @Test
    void theOtherFilesPushedOnSeveralThreadsAllFetchBackIdenticalAndAreMarked() throws Exception {
        Path dir = Files.createDirectory(root.resolve("parallel"));
        Path pgWal = Files.createDirectories(dir.resolve("data/pg_wal/archive_status")).getParent();
        Path store = Files.createDirectory(dir.resolve("wal"));
        Path spool = dir.resolve("spool");
        List<Path> files = readyFiles(pgWal, 9, 31);

        assertThat(drkit("wal-push", "--spool", spool.toString(), "--batch", "9", "--parallel", "3", "--store",
            store.toString(), "--passphrase-file", passphraseFile.toString(), files.get(0).toString()))
            .as(err.toString()).isZero();

        assertThat(err.toString()).doesNotContain("stopped after");
        List<String> others = files.subList(1, files.size()).stream().map(f -> f.getFileName().toString()).toList();
        assertThat(WalSpool.open(spool).markedNames()).containsExactlyElementsOf(others);
        assertThat(committed(store)).hasSize(files.size());
        assertThat(staging(store)).isEmpty();
        for (Path file : files) {
            Path target = dir.resolve("fetched-" + file.getFileName());
            assertThat(drkit("wal-fetch", "--store", store.toString(), "--passphrase-file",
                passphraseFile.toString(), file.getFileName().toString(), target.toString())).as(err.toString())
                .isZero();
            assertThat(Files.readAllBytes(target)).as(file.getFileName().toString())
                .isEqualTo(Files.readAllBytes(file));
        }
    }

    @Test
    void aFailureAmongFilesPushedOnSeveralThreadsLeavesMarkersOnlyForTheFilesBeforeIt() throws Exception {
        Path dir = Files.createDirectory(root.resolve("parallel-conflict"));
        Path pgWal = Files.createDirectories(dir.resolve("data/pg_wal/archive_status")).getParent();
        Path store = Files.createDirectory(dir.resolve("wal"));
        Path spool = dir.resolve("spool");
        List<Path> files = readyFiles(pgWal, 6, 43);
        // the store holds the third name already, with other content
        Path foreign = Files.createDirectories(dir.resolve("other")).resolve(files.get(2).getFileName().toString());
        byte[] other = new byte[1 << 20];   // a segment's size (wal-push refuses others), other content
        java.util.Arrays.fill(other, (byte) 4);
        Files.write(foreign, other);
        assertThat(drkit("wal-push", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            foreign.toString())).as(err.toString()).isZero();

        assertThat(drkit("wal-push", "--spool", spool.toString(), "--parallel", "2", "--store", store.toString(),
            "--passphrase-file", passphraseFile.toString(), files.get(0).toString())).as(err.toString()).isZero();

        assertThat(err.toString()).contains("stopped after 1").contains("different content");
        // the file before the failure is marked; the failing one is not, nor any after it
        assertThat(WalSpool.open(spool).markedNames()).containsExactly(files.get(1).getFileName().toString());
        assertThat(staging(store)).isEmpty();
        err.getBuffer().setLength(0);
        assertThat(drkit("wal-push", "--spool", spool.toString(), "--parallel", "2", "--store", store.toString(),
            "--passphrase-file", passphraseFile.toString(), files.get(2).toString())).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains("already holds " + files.get(2).getFileName() + " with different content");
        // the files after it are archived when asked for, whether a thread had begun them or not
        for (Path later : files.subList(3, files.size())) {
            assertThat(drkit("wal-push", "--store", store.toString(), "--passphrase-file",
                passphraseFile.toString(), later.toString())).as(err.toString()).isZero();
            Path target = dir.resolve("fetched-" + later.getFileName());
            assertThat(drkit("wal-fetch", "--store", store.toString(), "--passphrase-file",
                passphraseFile.toString(), later.getFileName().toString(), target.toString())).isZero();
            assertThat(Files.readAllBytes(target)).isEqualTo(Files.readAllBytes(later));
        }
    }

    @Test
    void parallelNeedsTheSpoolAndASmallCount() {
        assertThat(drkit("wal-push", "--parallel", "2", "--store", root.resolve("x").toString(),
            "--passphrase-file", passphraseFile.toString(), root.resolve("000000010000000000000001").toString()))
            .isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("--parallel needs --spool");
        assertThat(drkit("wal-push", "--spool", root.resolve("s").toString(), "--parallel", "0", "--store",
            root.resolve("x").toString(), "--passphrase-file", passphraseFile.toString(),
            root.resolve("000000010000000000000001").toString())).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("--parallel must be between 1 and 64");
    }

    // ------------------------------------------------------------------------------------------------ faults

    @Test
    void aConflictAmongTheOtherFilesLeavesNoMarkerAndIsReportedWhenAskedFor() throws Exception {
        Path dir = Files.createDirectory(root.resolve("conflict"));
        Path pgWal = Files.createDirectories(dir.resolve("data/pg_wal/archive_status")).getParent();
        Path store = Files.createDirectory(dir.resolve("wal"));
        Path spool = dir.resolve("spool");
        List<Path> files = readyFiles(pgWal, 3, 7);
        // the store holds the second name already, with other content
        Path foreign = Files.createDirectories(dir.resolve("other")).resolve(files.get(1).getFileName().toString());
        byte[] other = new byte[1 << 20];   // a segment's size (wal-push refuses others), other content
        java.util.Arrays.fill(other, (byte) 1);
        Files.write(foreign, other);
        assertThat(drkit("wal-push", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            foreign.toString())).as(err.toString()).isZero();

        assertThat(drkit("wal-push", "--spool", spool.toString(), "--store", store.toString(), "--passphrase-file",
            passphraseFile.toString(), files.get(0).toString())).as(err.toString()).isZero();

        assertThat(err.toString()).contains("stopped after 0").contains("different content");
        assertThat(WalSpool.open(spool).markedNames()).isEmpty();
        err.getBuffer().setLength(0);
        assertThat(drkit("wal-push", "--spool", spool.toString(), "--store", store.toString(), "--passphrase-file",
            passphraseFile.toString(), files.get(1).toString())).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains("already holds " + files.get(1).getFileName() + " with different content");
    }

    @Test
    void anUnwritableStoreExitsThreeAndLeavesNoMarker() throws Exception {
        Path dir = Files.createDirectory(root.resolve("unwritable"));
        Path pgWal = Files.createDirectories(dir.resolve("data/pg_wal/archive_status")).getParent();
        List<Path> files = readyFiles(pgWal, 3, 11);
        Path notADirectory = Files.writeString(dir.resolve("wal"), "a file where the store should be");
        Path spool = dir.resolve("spool");

        int single = drkit("wal-push", "--store", notADirectory.toString(), "--passphrase-file",
            passphraseFile.toString(), files.get(0).toString());
        int batch = drkit("wal-push", "--spool", spool.toString(), "--store", notADirectory.toString(),
            "--passphrase-file", passphraseFile.toString(), files.get(0).toString());

        assertThat(single).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(batch).isEqualTo(single);
        assertThat(Files.exists(spool) ? WalSpool.open(spool).markedNames() : List.of()).isEmpty();
    }

    @Test
    void aStoreThatIsNotThereIsNotMadeOnTheLocalDiskButExitsThree() throws Exception {
        Path dir = Files.createDirectory(root.resolve("not-mounted"));
        Path pgWal = Files.createDirectories(dir.resolve("data/pg_wal/archive_status")).getParent();
        List<Path> files = readyFiles(pgWal, 1, 13);
        // the archive's mount point is there, the file system is not mounted: its cluster directory is missing
        Path mountPoint = Files.createDirectory(dir.resolve("archive"));
        Path store = mountPoint.resolve("cluster1").resolve("wal");

        int code = drkit("wal-push", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            files.get(0).toString());

        assertThat(code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("File store " + store + " does not exist", "not mounted");
        assertThat(mountPoint).isEmptyDirectory();
    }

    @Test
    void passphraseProblemsKeepTheirExitCodesAndAWrongPassphraseCannotFetchABatchPushedFile() throws Exception {
        Path dir = Files.createDirectory(root.resolve("passphrase"));
        Path pgWal = Files.createDirectories(dir.resolve("data/pg_wal/archive_status")).getParent();
        List<Path> files = readyFiles(pgWal, 3, 13);
        Path store = Files.createDirectory(dir.resolve("wal"));
        Path spool = dir.resolve("spool");
        Path readable = dir.resolve("world-readable.pass");
        Files.writeString(readable, PASSPHRASE + "\n");
        Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rw-r--r--"));

        int single = drkit("wal-push", "--store", store.toString(), "--passphrase-file", readable.toString(),
            files.get(0).toString());
        int batch = drkit("wal-push", "--spool", spool.toString(), "--store", store.toString(), "--passphrase-file",
            readable.toString(), files.get(0).toString());
        assertThat(single).isNotZero();
        assertThat(batch).isEqualTo(single);
        assertThat(drkit("wal-push", "--batch", "4", "--store", store.toString(), "--passphrase-file",
            passphraseFile.toString(), files.get(0).toString())).isEqualTo(ExitCodes.USAGE);
        assertThat(drkit("wal-push", "--spool", spool.toString(), "--batch", "0", "--store", store.toString(),
            "--passphrase-file", passphraseFile.toString(), files.get(0).toString())).isEqualTo(ExitCodes.USAGE);

        assertThat(drkit("wal-push", "--spool", spool.toString(), "--store", store.toString(), "--passphrase-file",
            passphraseFile.toString(), files.get(0).toString())).as(err.toString()).isZero();
        String other = files.get(2).getFileName().toString();
        assertThat(WalSpool.open(spool).markedNames()).containsExactly(files.get(1).getFileName().toString(), other);
        Path wrong = dir.resolve("wrong.pass");
        Files.writeString(wrong, "not the passphrase\n");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
        err.getBuffer().setLength(0);
        Path target = dir.resolve("RECOVERYXLOG");

        assertThat(drkit("wal-fetch", "--store", store.toString(), "--passphrase-file", wrong.toString(), other,
            target.toString())).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains("cannot decrypt " + other).doesNotContain("not the passphrase");
        assertThat(drkit("wal-fetch", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            other, target.toString())).isZero();
        assertThat(Files.readAllBytes(target)).isEqualTo(Files.readAllBytes(files.get(2)));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** {@code count} WAL-like files marked ready in {@code pgWal}. */
    private static List<Path> readyFiles(Path pgWal, int count, long seed) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path file = pgWal.resolve(String.format("0000000100000000000000%02X", 0x20 + i));
            byte[] content = new byte[1 << 20];
            new SplittableRandom(seed + i).nextBytes(content);
            Files.write(file, content);
            Files.createFile(pgWal.resolve("archive_status").resolve(file.getFileName() + ".ready"));
            files.add(file);
        }
        return files;
    }

    private static List<String> committed(Path store) throws IOException {
        try (Stream<Path> entries = Files.list(store)) {
            return entries.filter(p -> Files.exists(p.resolve(WalArchive.META_OBJECT)))
                .map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    private static List<String> staging(Path store) throws IOException {
        try (Stream<Path> entries = Files.list(store)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-")).toList();
        }
    }

    /** Runs {@code template} as PostgreSQL runs archive_command: %p, %f and %% replaced, in the data directory. */
    private static int runArchiveCommand(String template, Path data, String name) throws Exception {
        Process shell = new ProcessBuilder("/bin/sh", "-c", ArchiveCommands.substitute(template, name)).directory(data.toFile())
            .redirectErrorStream(true).start();
        String output = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(shell.waitFor(120, TimeUnit.SECONDS)).as(output).isTrue();
        return shell.exitValue();
    }

    private int drkit(String... args) {
        CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private static void chown(Path path) throws Exception {
        if (user.isPresent()) {
            Process p = new ProcessBuilder("chown", "-R", user.get(), path.toString()).redirectErrorStream(true)
                .start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(output).isTrue();
        }
    }

    private static void deleteTree(Path path) throws IOException {
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
