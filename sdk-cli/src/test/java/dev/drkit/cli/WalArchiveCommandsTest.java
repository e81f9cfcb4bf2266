package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.OpenPgpKeyPair;
import dev.drkit.backup.postgres.ArchiveReport;
import dev.drkit.backup.postgres.PgBackupSource;
import dev.drkit.backup.postgres.PgServer;
import dev.drkit.backup.postgres.WalArchive;
import dev.drkit.backup.postgres.WalArchiveVerifier;
import dev.drkit.backup.postgres.WalReadAhead;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.ForwardingStore;
import dev.drkit.backup.store.PendingBackup;
import dev.drkit.backup.store.TestMount;
import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code drkit wal-push} and {@code wal-fetch} as PostgreSQL 15 runs them: a primary whose {@code archive_command} is
 * the real command in its own JVM while a workload runs, then a restored base backup whose {@code restore_command}
 * is {@code wal-fetch} replays the archive to its end and comes up with every row; then the archive is verified and
 * damaged, and each fault gets its exit code.
 */
class WalArchiveCommandsTest {

    private static final String PASSPHRASE = "wal archive passphrase for tests";
    private static final Pattern SEGMENT_NAME = Pattern.compile("[0-9A-F]{24}");

    private static Path root;
    private static Path store;
    private static Path passphraseFile;
    private static Path base;
    private static String drkit;
    private static PgCluster primary;
    private static PgCluster restored;
    private static long rowsBeforeMarker;
    private static Instant beforeMarker;
    private static String lastSegment;
    private static Path fetchRuns;
    /** A backup store apart from the WAL store, with a base backup and a dump drkit made. */
    private static Path backups;
    private static String storedBase;
    private static String storedDump;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void archiveAWorkloadAndRestoreIt() throws Exception {
        root = Files.createTempDirectory("drkit-cli-wal-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Optional<String> user = PgCluster.serverUser();
        drkit = javaCommandLine(root.resolve("lib"));
        store = Files.createDirectory(root.resolve("wal"));
        passphraseFile = root.resolve("wal.pass");
        Files.writeString(passphraseFile, PASSPHRASE + "\n");
        Files.setPosixFilePermissions(passphraseFile, PosixFilePermissions.fromString("rw-------"));
        if (user.isPresent()) {
            // the server runs the commands as its own user: it owns the store and the passphrase file
            run(List.of("chown", "-R", user.get(), store.toString(), passphraseFile.toString()));
        }
        String keys = " --store " + store + " --passphrase-file " + passphraseFile;
        primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("wal-primary")
            .setting("archive_mode", "on")
            .setting("archive_command", drkit + " wal-push" + keys + " %p")
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
        storeABaseBackupAndADump();

        // the workload: writes across several segments while the archiver pushes them
        for (int round = 0; round < 4; round++) {
            primary.execute("INSERT INTO t SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 20000) g");
            primary.execute("UPDATE t SET v = upper(v) WHERE id % 7 = " + round);
            if (round % 2 == 1) {
                primary.execute("SELECT pg_switch_wal()");
            }
        }
        rowsBeforeMarker = primary.queryLong("SELECT count(*) FROM t");
        beforeMarker = Instant.parse(primary.queryValue(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')").orElseThrow());
        Thread.sleep(200);
        primary.execute("INSERT INTO t VALUES (-1, 'marker')");
        lastSegment = primary.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())").orElseThrow();
        primary.execute("SELECT pg_switch_wal()");
        awaitArchived(lastSegment, Duration.ofSeconds(180));

        // a restore of the base backup that reads WAL only through wal-fetch with read-ahead; each drkit run is
        // counted, so the test can tell how many segments the shell part served without one
        Path spool = Files.createDirectory(root.resolve("restore-spool"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        fetchRuns = Files.createFile(root.resolve("wal-fetch-runs"));
        if (user.isPresent()) {
            run(List.of("chown", user.get(), spool.toString(), fetchRuns.toString()));
        }
        String fetch = "{ echo %f >> " + fetchRuns + "; " + drkit + " wal-fetch --spool " + spool + keys
            + " %f %p; }";
        restored = PgCluster.create(PgClusterConfig.forTests().toBuilder().name("wal-restored")
            .setting("archive_mode", "off")
            .setting("restore_command", WalReadAhead.restoreCommand(spool, store, fetch))
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
        // the restored cluster holds the primary's roles and password, not the one this PgCluster generated: let
        // the test connect to this scratch copy on the loopback address without one
        Files.writeString(data.resolve("pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");
        if (user.isPresent()) {
            run(List.of("chown", "-R", user.get(), data.toString()));
        }
        run(List.of("chmod", "-R", "go-rwx", data.toString()));
        restored.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (restored.isInRecovery() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    /** As drkit pg backup --base-backup and --dbname make them, encrypted with the WAL store's passphrase. */
    private static void storeABaseBackupAndADump() throws IOException {
        String password = "backup role password";
        primary.execute("CREATE ROLE backup LOGIN SUPERUSER REPLICATION PASSWORD '" + password + "'");
        backups = root.resolve("backups");
        try (BackupStore target = FileSystemStore.open(backups);
             Secret passphrase = Secret.ofString(PASSPHRASE, "backups");
             Secret login = Secret.ofString(password, "login")) {
            BackupEngine engine = BackupEngine.builder(target).encryption(Encryption.passphrase(passphrase)).build();
            PgServer server = PgServer.builder(PgCluster.HOST, primary.port(), "backup").password(login).build();
            storedBase = engine.backup(PgBackupSource.baseBackup(server).withRowCounts(false).source()).id();
            storedDump = engine.backup(PgBackupSource.dump(server, "postgres").withRowCounts(false).source()).id();
        }
    }

    @AfterAll
    static void cleanUp() throws IOException {
        for (PgCluster c : new PgCluster[] {restored, primary}) {
            if (c != null) {
                c.close();
            }
        }
        if (root != null) {
            deleteTree(root);
        }
    }

    /** A java command line that any user can run: the test classpath copied where the server's user can read it. */
    private static String javaCommandLine(Path lib) throws Exception {
        Files.createDirectories(lib);
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path source = Path.of(entry);
            if (entry.isEmpty() || !Files.exists(source) || entry.contains("test-classes")) {
                continue;
            }
            Path target = lib.resolve((n++) + "-" + source.getFileName());
            if (Files.isDirectory(source)) {
                run(List.of("cp", "-r", source.toString(), target.toString()));
            } else {
                Files.copy(source, target);
            }
            entries.add(target.toString());
        }
        run(List.of("chmod", "-R", "a+rX", lib.toString()));
        String java = ProcessHandle.current().info().command().orElse("java");
        // a launcher script, as an installation has one: PostgreSQL 15 builds archive_command in a 1024-byte buffer
        Path script = lib.resolveSibling("drkit");
        Files.writeString(script, "#!/bin/sh\nexec " + java + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "
            + String.join(":", entries) + " " + Drkit.class.getName() + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script.toString();
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(command + ": " + output).isTrue();
    }

    private static void awaitArchived(String segment, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(store.resolve(segment).resolve("wal.json")) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(store.resolve(segment).resolve("wal.json")).as(primary.logTail(40)).exists();
    }

    private static void deleteTree(Path path) throws IOException {
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private int drkit(String... args) {
        CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private static Path copyOfStore(String name) throws Exception {
        Path copy = root.resolve(name);
        run(List.of("cp", "-r", store.toString(), copy.toString()));
        return copy;
    }

    // ------------------------------------------------------------------------------------------------ recovery

    @Test
    void theRestoredBaseBackupReplayedTheWholeArchiveThroughWalFetch() {
        assertThat(restored.isInRecovery()).as(restored.logTail(40)).isFalse();
        assertThat(restored.queryLong("SELECT count(*) FROM t WHERE id >= 0")).isEqualTo(rowsBeforeMarker);
        assertThat(restored.queryValue("SELECT v FROM t WHERE id = -1")).contains("marker");
        // at the end of the archive recovery asked for files that do not exist and promoted to a new timeline
        assertThat(restored.timeline()).isEqualTo(2);
        String log = restored.logTail(400);
        assertThat(log).contains("restored log file \"" + lastSegment + "\" from archive");
        // a missing file is quiet: nothing from wal-fetch in the server's log
        assertThat(log).doesNotContain("wal-fetch:");
    }

    @Test
    void theRestoreTookMostSegmentsFromTheReadAheadSpoolWithoutADrkitRun() throws IOException {
        java.util.Set<String> restoredSegments = Pattern.compile("restored log file \"([0-9A-F]{24})\" from archive")
            .matcher(restored.logTail(400)).results().map(m -> m.group(1))
            .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        List<String> runs = Files.readAllLines(fetchRuns);
        List<String> withoutARun = restoredSegments.stream().filter(n -> !runs.contains(n)).toList();
        assertThat(restoredSegments.size()).isGreaterThanOrEqualTo(4);
        // the first segment starts a run, which fetches the ones after it; the shell part serves those
        assertThat(withoutARun).as("drkit runs: " + runs + "; restored: " + restoredSegments)
            .hasSizeGreaterThanOrEqualTo(restoredSegments.size() - 2)
            .doesNotContain(restoredSegments.iterator().next());
    }

    @Test
    void theArchiveHoldsEverySegmentEncryptedAndTheBackupHistoryFile() throws IOException {
        List<String> names;
        try (Stream<Path> entries = Files.list(store)) {
            names = entries.map(e -> e.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
        assertThat(names).contains(lastSegment).anyMatch(n -> n.endsWith(".backup"));
        byte[] stored = Files.readAllBytes(store.resolve(lastSegment).resolve("wal.zst.pgp"));
        assertThat(stored.length).isLessThan(16 << 20);
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("marker");
    }

    @Test
    void pitrVerifyReadsTheEncryptedStoreWithTheKey() throws IOException {
        int code = drkit("pitr", "verify", "--archive", store.toString(), "--base-backup", base.toString(),
            "--passphrase-file", passphraseFile.toString());

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).startsWith("OK: WAL archive " + store.toRealPath())
            .contains("consistency reached");
    }

    @Test
    void pitrVerifyOfAStoreWithoutAKeyIsAUsageError() {
        assertThat(drkit("pitr", "verify", "--archive", store.toString())).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("is a drkit WAL store: give --passphrase-file");
    }

    @Test
    void pitrVerifyWithAWrongKeyExitsOneSayingSo() throws IOException {
        Path wrong = root.resolve("wrong.pass");
        Files.writeString(wrong, "not the passphrase\n");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));

        int code = drkit("pitr", "verify", "--archive", store.toString(), "--passphrase-file", wrong.toString());

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString().strip()).startsWith("drkit pitr verify: WAL archive").contains("cannot decrypt")
            .contains("passphrase").doesNotContain("not the passphrase");
    }

    @Test
    void pitrVerifyNamesADamagedStoredSegment() throws Exception {
        Path damaged = copyOfStore("damaged-verify");
        Path object = damaged.resolve(lastSegment).resolve("wal.zst.pgp");
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 3] ^= 0x01;
        Files.write(object, bytes);

        int code = drkit("pitr", "verify", "--archive", damaged.toString(), "--base-backup", base.toString(),
            "--passphrase-file", passphraseFile.toString());

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(out.toString()).contains("fault stored-object").contains(lastSegment + "/wal.zst.pgp is damaged");
    }

    @Test
    void aDrillFromTheStoreReadsItThroughWalFetchAndLeavesItAndNoCredentialsBehind() throws Exception {
        List<String> storeBefore = names(store);
        List<String> drillDirsBefore = drillDirectories();

        int code = drkit("pitr", "drill", "--base-backup", base.toString(), "--archive", store.toString(),
            "--passphrase-file", passphraseFile.toString(), "--target-time", beforeMarker.toString(),
            "--expect-rows", "t=" + rowsBeforeMarker, "--check-sql", "SELECT count(*) FROM t WHERE id = -1",
            "--expect", "0", "--json");

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("\"passed\" : true");
        assertThat(names(store)).isEqualTo(storeBefore);
        // the class path copy and the key files for the server's wal-fetch are gone
        assertThat(drillDirectories()).isEqualTo(drillDirsBefore);
    }

    @Test
    void aDrillFromAStoreForARecipientReadsItWithTheIdentity() throws Exception {
        // the same WAL, stored again for a public key: the host that archives it could not read it back
        Path recipientStore = Files.createDirectory(root.resolve("wal-recipient"));
        Path fetched = Files.createDirectory(root.resolve("fetched"));
        OpenPgpKeyPair.KeyFiles keyFiles;
        try (OpenPgpKeyPair pair = OpenPgpKeyPair.generator("WAL drill <wal@example.com>").noPassphrase().generate();
             BackupStore source = FileSystemStore.openReadOnly(store);
             BackupStore target = FileSystemStore.open(recipientStore);
             Secret passphrase = Secret.ofString(PASSPHRASE, "wal")) {
            keyFiles = pair.writeTo(root, "wal-drill");
            WalArchive reading = WalArchive.builder(source).decryptionKey(DecryptionKey.passphrase(passphrase))
                .build();
            WalArchive writing = WalArchive.builder(target).encryption(Encryption.recipients(pair.recipient()))
                .build();
            for (String name : reading.list()) {
                Path segment = fetched.resolve(name);
                reading.fetch(name, segment);
                writing.push(segment);
            }
        }
        Optional<String> user = PgCluster.serverUser();
        if (user.isPresent()) {
            run(List.of("chown", "-R", user.get(), recipientStore.toString()));
        }
        List<String> drillDirsBefore = drillDirectories();

        int code = drkit("pitr", "drill", "--base-backup", base.toString(), "--archive", recipientStore.toString(),
            "--identity", keyFiles.secretKey().toString(), "--target-time", beforeMarker.toString(),
            "--expect-rows", "t=" + rowsBeforeMarker, "--check-sql", "SELECT count(*) FROM t WHERE id = -1",
            "--expect", "0", "--json");

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("\"passed\" : true");
        assertThat(drillDirectories()).isEqualTo(drillDirsBefore);
        // without the identity the recipient store cannot be read with the passphrase
        out.getBuffer().setLength(0);
        int wrongKey = drkit("pitr", "verify", "--archive", recipientStore.toString(), "--base-backup",
            base.toString(), "--passphrase-file", passphraseFile.toString());
        assertThat(wrongKey).as(out + "\n" + err).isNotEqualTo(ExitCodes.OK);
    }

    @Test
    void aDrillFromTheStoreWithoutAKeyIsAUsageError() {
        int code = drkit("pitr", "drill", "--base-backup", base.toString(), "--archive", store.toString(),
            "--target-time", beforeMarker.toString());

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("is a drkit WAL store: give --passphrase-file");
    }

    // --------------------------------------------------------------------------- a base backup drkit stored

    @Test
    void pitrVerifyReadsABaseBackupDrkitStoredWithoutStagingIt() throws IOException {
        int code = drkit("pitr", "verify", "--archive", store.toString(), "--base-backup", storedBase,
            "--base-backup-store", backups.toString(), "--passphrase-file", passphraseFile.toString(),
            "--target-time", beforeMarker.toString(), "--json");

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("backup " + storedBase + " in ").contains("\"consistent\":true")
            .contains("\"reachable\":true");
    }

    @Test
    void aDrillFromABaseBackupDrkitStoredRestoresItAndReplaysTheWalStore() throws Exception {
        List<String> backupsBefore = names(backups);

        int code = drkit("pitr", "drill", "--base-backup", storedBase, "--base-backup-store", backups.toString(),
            "--archive", store.toString(), "--passphrase-file", passphraseFile.toString(),
            "--target-time", beforeMarker.toString(), "--expect-rows", "t=" + rowsBeforeMarker,
            "--check-sql", "SELECT count(*) FROM t WHERE id = -1", "--expect", "0");

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("from backup " + storedBase + " in ");
        assertThat(names(backups)).isEqualTo(backupsBefore);
    }

    @Test
    void aStoredBackupThatIsNotABaseBackupIsAUsageErrorNamingItsKind() {
        int verify = drkit("pitr", "verify", "--archive", store.toString(), "--base-backup", storedDump,
            "--base-backup-store", backups.toString(), "--passphrase-file", passphraseFile.toString());
        int drill = drkit("pitr", "drill", "--base-backup", storedDump, "--base-backup-store", backups.toString(),
            "--archive", store.toString(), "--passphrase-file", passphraseFile.toString(),
            "--target-time", beforeMarker.toString());

        assertThat(verify).isEqualTo(ExitCodes.USAGE);
        assertThat(drill).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("backup " + storedDump + " in ")
            .contains("is not a base backup (its pg.kind label is \"dump\")");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aStoredBaseBackupWithAWrongKeyFailsSayingSo() throws IOException {
        Path wrong = root.resolve("wrong-base.pass");
        Files.writeString(wrong, "not the passphrase\n");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
        // a plain WAL directory, so that only the base backup needs the key
        Path plain = Files.createDirectories(root.resolve("plain-wal-for-wrong-key"));

        int verify = drkit("pitr", "verify", "--archive", plain.toString(), "--base-backup", storedBase,
            "--base-backup-store", backups.toString(), "--passphrase-file", wrong.toString());
        String verifyErr = err.toString();
        err.getBuffer().setLength(0);
        int drill = drkit("pitr", "drill", "--base-backup", storedBase, "--base-backup-store", backups.toString(),
            "--archive", plain.toString(), "--passphrase-file", wrong.toString(),
            "--target-time", beforeMarker.toString());

        assertThat(verify).as(verifyErr).isEqualTo(ExitCodes.DATA);
        assertThat(verifyErr).contains(storedBase).contains("passphrase").doesNotContain("not the passphrase");
        assertThat(drill).as(err.toString()).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains(storedBase).contains("passphrase").doesNotContain("not the passphrase");
        // the failed drill's one line of answer, and nothing of the key
        assertThat(out.toString()).startsWith("FAILED: BAD_BASE_BACKUP").doesNotContain("not the passphrase");
    }

    @Test
    void aDamagedStoredBaseBackupFailsVerifyAndTheDrill() throws Exception {
        Path damaged = root.resolve("backups-damaged");
        run(List.of("cp", "-r", backups.toString(), damaged.toString()));
        Path data;
        try (Stream<Path> files = Files.walk(damaged.resolve(storedBase))) {
            data = files.filter(f -> f.getFileName().toString().startsWith("data")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(data);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(data, bytes);

        int verify = drkit("pitr", "verify", "--archive", store.toString(), "--base-backup", storedBase,
            "--base-backup-store", damaged.toString(), "--passphrase-file", passphraseFile.toString());
        String verifyOut = out.toString();
        String verifyErr = err.toString();
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        int drill = drkit("pitr", "drill", "--base-backup", storedBase, "--base-backup-store", damaged.toString(),
            "--archive", store.toString(), "--passphrase-file", passphraseFile.toString(),
            "--target-time", beforeMarker.toString());

        assertThat(verify).as(verifyOut + verifyErr).isEqualTo(ExitCodes.DATA);
        assertThat(verifyOut).doesNotStartWith("OK");
        assertThat(verifyErr).contains(storedBase).contains("damaged");
        assertThat(drill).as(out + "\n" + err).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains(storedBase).contains("damaged");
    }

    @Test
    void aDrillOverADamagedStoredSegmentNamesTheDamage() throws Exception {
        Path damaged = copyOfStore("damaged-drill");
        Path object = damaged.resolve(lastSegment).resolve("wal.zst.pgp");
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 3] ^= 0x01;
        Files.write(object, bytes);
        Optional<String> user = PgCluster.serverUser();
        if (user.isPresent()) {
            run(List.of("chown", "-R", user.get(), damaged.toString()));
        }

        int code = drkit("pitr", "drill", "--base-backup", base.toString(), "--archive", damaged.toString(),
            "--passphrase-file", passphraseFile.toString(), "--target-time", beforeMarker.toString());

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.DATA);
        // not "recovery ran out of WAL": the server stopped on wal-fetch's refusal, which the message quotes
        assertThat(err.toString()).contains("the restore_command failed hard fetching WAL")
            .contains(lastSegment + "/wal.zst.pgp is damaged").doesNotContain("ran out of WAL");
    }

    @Test
    void aDrillOverAStoredSegmentItCannotReadIsAnEnvironmentFailureNotDamage() throws Exception {
        Path unreadable = copyOfStore("unreadable-drill");
        Optional<String> user = PgCluster.serverUser();
        if (user.isPresent()) {
            run(List.of("chown", "-R", user.get(), unreadable.toString()));
        }
        // the scratch server's wal-fetch (its own user when this JVM is root) gets "permission denied"
        Files.setPosixFilePermissions(unreadable.resolve(lastSegment).resolve("wal.zst.pgp"), Set.of());

        int code = drkit("pitr", "drill", "--base-backup", base.toString(), "--archive", unreadable.toString(),
            "--passphrase-file", passphraseFile.toString(), "--target-time", beforeMarker.toString());

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("the restore_command failed hard fetching WAL")
            .contains("(environment error, exit 126").contains(lastSegment).doesNotContain("ran out of WAL");
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.map(f -> dir.relativize(f) + " " + f.toFile().length()).sorted().toList();
        }
    }

    private static List<String> drillDirectories() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("drkit-pitr-drill-")).sorted()
                .toList();
        }
    }

    @Test
    void aResumedVerificationOfAStoreDownloadsOnlyTheWalItHasNotWalked() throws Exception {
        // the archive as it was before its last segment arrived
        Path growing = copyOfStore("growing");
        Path held = root.resolve("held-" + lastSegment);
        Files.move(growing.resolve(lastSegment), held);
        Path state = root.resolve("growing.state");
        Secret passphrase = Secret.ofString(PASSPHRASE, "wal");

        ArchiveReport first = verifyCounting(growing, passphrase, state, new ArrayList<>());
        Files.move(held, growing.resolve(lastSegment));
        List<String> downloaded = new ArrayList<>();
        ArchiveReport second = verifyCounting(growing, passphrase, state, downloaded);
        ArchiveReport whole = verifyCounting(growing, passphrase, null, new ArrayList<>());

        assertThat(first.ok()).as(first.toText()).isTrue();
        assertThat(second.ok()).as(second.toText()).isTrue();
        assertThat(second.resumed()).isTrue();
        // the segment the last walk stopped in, the new one, and the head of the first segment: nothing else
        assertThat(second.segmentsRead()).isBetween(1L, 2L);
        assertThat(downloaded).hasSize((int) second.segmentsRead() + 1).contains(lastSegment);
        assertThat(first.segmentsRead()).isGreaterThan(second.segmentsRead() + 2);
        // and it reaches what a walk of the whole archive reaches
        assertThat(second.walkedTo()).isEqualTo(whole.walkedTo());
        assertThat(second.newestReachable()).isEqualTo(whole.newestReachable());
        assertThat(whole.segmentsRead()).isEqualTo(first.segmentsRead() + 1);
    }

    /** Verifies the store at {@code dir} with the base backup; adds each segment it opens to {@code opened}. */
    private static ArchiveReport verifyCounting(Path dir, Secret passphrase, Path state, List<String> opened)
        throws IOException {
        try (BackupStore files = FileSystemStore.openReadOnly(dir);
             BackupStore counting = new CountingStore(files, opened)) {
            WalArchiveVerifier.Builder verifier = WalArchiveVerifier.builder().baseBackup(base)
                .archive(WalArchive.builder(counting).decryptionKey(DecryptionKey.passphrase(passphrase)).build());
            if (state != null) {
                verifier.stateFile(state);
            }
            return verifier.build().verify();
        }
    }

    /** A store that records which entries' WAL data it was asked for. */
    private static final class CountingStore extends ForwardingStore {
        private final List<String> opened;

        CountingStore(BackupStore store, List<String> opened) {
            super(store);
            this.opened = opened;
        }

        @Override
        public InputStream open(String backupId, String objectName) throws IOException {
            if (objectName.equals(WalArchive.DATA_OBJECT) && SEGMENT_NAME.matcher(backupId).matches()) {
                opened.add(backupId);
            }
            return store.open(backupId, objectName);
        }

        @Override
        public PendingBackup begin(String backupId) {
            throw new UnsupportedOperationException("verification writes nothing");
        }

        @Override
        public long delete(String backupId) {
            throw new UnsupportedOperationException("verification deletes nothing");
        }

        @Override
        public void close() {
            // the caller closes the store it wraps
        }
    }

    // ------------------------------------------------------------------------------------------------ faults

    @Test
    void walFetchOfAMissingFileExitsFourAndPrintsNothing() {
        int code = drkit("wal-fetch", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            "00000009.history", root.resolve("RECOVERYHISTORY").toString());

        assertThat(code).isEqualTo(ExitCodes.NOT_FOUND).isEqualTo(4);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).isEmpty();
        assertThat(root.resolve("RECOVERYHISTORY")).doesNotExist();
    }

    @Test
    void walPushOfTheSameSegmentAgainSucceedsAndOfOtherContentExitsOne() throws Exception {
        Path fetched = Files.createDirectories(root.resolve("push-again")).resolve(lastSegment);
        assertThat(drkit("wal-fetch", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            lastSegment, fetched.toString())).as(err.toString()).isZero();

        assertThat(drkit("wal-push", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            fetched.toString())).as(err.toString()).isZero();
        assertThat(err.toString()).contains("archived already with identical content");

        byte[] bytes = Files.readAllBytes(fetched);
        bytes[1 << 20] ^= 0x01;
        Files.write(fetched, bytes);
        err.getBuffer().setLength(0);
        int code = drkit("wal-push", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            fetched.toString());

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString().strip()).startsWith("drkit wal-push: WAL archive")
            .contains("already holds " + lastSegment + " with different content");
    }

    @Test
    void walFetchWithAWrongPassphraseExitsOneSayingSo() throws IOException {
        Path wrong = root.resolve("wrong-fetch.pass");
        Files.writeString(wrong, "wrong\n");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
        Path target = root.resolve("RECOVERYXLOG-wrong");

        int code = drkit("wal-fetch", "--store", store.toString(), "--passphrase-file", wrong.toString(), lastSegment,
            target.toString());

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains("cannot decrypt " + lastSegment).contains("passphrase");
        assertThat(target).doesNotExist();
    }

    @Test
    void walFetchOfACorruptedObjectExitsOneAndWritesNothing() throws Exception {
        Path damaged = copyOfStore("damaged-fetch");
        Path object = damaged.resolve(lastSegment).resolve("wal.zst.pgp");
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length - 30] ^= 0x10;
        Files.write(object, bytes);
        Path target = root.resolve("RECOVERYXLOG-damaged");

        int code = drkit("wal-fetch", "--store", damaged.toString(), "--passphrase-file", passphraseFile.toString(),
            lastSegment, target.toString());

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains(lastSegment + "/wal.zst.pgp is damaged");
        assertThat(target).doesNotExist();
        // opted in: an exit status PostgreSQL does not mistake for a missing file
        assertThat(drkit("wal-fetch", "--store", damaged.toString(), "--passphrase-file", passphraseFile.toString(),
            "--stop-recovery-on-damage", lastSegment, target.toString())).isEqualTo(126);
        assertThat(drkit("wal-fetch", "--store", damaged.toString(), "--passphrase-file", passphraseFile.toString(),
            "--stop-recovery-on-damage", "00000007.history", target.toString())).isEqualTo(ExitCodes.NOT_FOUND);
        try (Stream<Path> left = Files.list(root)) {
            assertThat(left.map(f -> f.getFileName().toString())).noneMatch(n -> n.contains(".drkit-"));
        }
    }

    @Test
    void walFetchWithStopRecoveryOnErrorExits126ForEveryFailureButAMissingFile() throws Exception {
        Path target = root.resolve("RECOVERYXLOG-on-error");
        String[] key = {"--passphrase-file", passphraseFile.toString()};
        Path notADirectory = Files.writeString(root.resolve("store-is-a-file"), "not a store");

        // Without the option these read as "file not found" to PostgreSQL (3 and 2), which ends recovery there.
        assertThat(drkit("wal-fetch", "--store", notADirectory.toString(), key[0], key[1], lastSegment,
            target.toString())).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(drkit("wal-fetch", "--stroe", store.toString(), key[0], key[1], lastSegment, target.toString()))
            .isEqualTo(ExitCodes.USAGE);

        err.getBuffer().setLength(0);
        assertThat(drkit("wal-fetch", "--stop-recovery-on-error", "--store", notADirectory.toString(), key[0], key[1],
            lastSegment, target.toString())).isEqualTo(WalFetchCommand.STOP_RECOVERY);
        assertThat(err.toString()).contains("(environment error, exit 126: recovery stops here)");
        assertThat(drkit("wal-fetch", "--stop-recovery-on-error", "--store", store.toString(), "--passphrase-file",
            root.resolve("no-such-passphrase-file").toString(), lastSegment, target.toString()))
            .isEqualTo(WalFetchCommand.STOP_RECOVERY);
        assertThat(drkit("wal-fetch", "--stop-recovery-on-error", "--store", store.toString(), key[0], key[1],
            lastSegment, root.resolve("no-such-directory").resolve(lastSegment).toString()))
            .isEqualTo(WalFetchCommand.STOP_RECOVERY);
        assertThat(drkit("wal-fetch", "--stop-recovery-on-damage", "--stroe", store.toString(), key[0], key[1],
            lastSegment, target.toString())).isEqualTo(WalFetchCommand.STOP_RECOVERY);
        assertThat(drkit("wal-fetch", "--stop-recovery-on-error", "--store", store.toString(), key[0], key[1],
            "00000009.history", target.toString())).isEqualTo(ExitCodes.NOT_FOUND);
        // an archive whose file system is not mounted: its mount point is an empty directory, not the archive's end
        Path notMounted = Files.createDirectories(root.resolve("archive-not-mounted"));
        err.getBuffer().setLength(0);
        assertThat(drkit("wal-fetch", "--store", notMounted.toString(), key[0], key[1], "00000009.history",
            target.toString())).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("holds no WAL file at all");
        assertThat(drkit("wal-fetch", "--stop-recovery-on-error", "--store", notMounted.toString(), key[0], key[1],
            lastSegment, target.toString())).isEqualTo(WalFetchCommand.STOP_RECOVERY);
        assertThat(target).doesNotExist();
    }

    @Test
    void walFetchRunByAServerInArchiveRecoveryStopsRecoveryOnErrorUnlessToldNot() throws Exception {
        Path wrong = root.resolve("wrong-in-recovery.pass");
        Files.writeString(wrong, "wrong\n");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
        // what PostgreSQL's working directory holds during a targeted restore: the data directory's marks
        Path dataDirectory = Files.createDirectories(root.resolve("data-in-recovery"));
        Files.writeString(dataDirectory.resolve("PG_VERSION"), "15\n");
        Files.writeString(dataDirectory.resolve("recovery.signal"), "");
        Files.createDirectories(dataDirectory.resolve("pg_wal"));
        String[] fetch = {"--store", store.toString(), "--passphrase-file", wrong.toString(), lastSegment,
            "pg_wal/RECOVERYXLOG"};

        CliRun inRecovery = fetchIn(dataDirectory, concat(fetch));
        CliRun toldNot = fetchIn(dataDirectory, concat(fetch, "--no-stop-recovery-on-error"));
        CliRun mistyped = fetchIn(dataDirectory, concat(fetch, "--stroe", "x"));
        Files.writeString(dataDirectory.resolve("standby.signal"), "");
        CliRun onAStandby = fetchIn(dataDirectory, concat(fetch));

        assertThat(inRecovery.code()).as(inRecovery.toString()).isEqualTo(WalFetchCommand.STOP_RECOVERY);
        assertThat(inRecovery.err()).contains("recovery stops here");
        assertThat(mistyped.code()).as(mistyped.toString()).isEqualTo(WalFetchCommand.STOP_RECOVERY);
        assertThat(toldNot.code()).as(toldNot.toString()).isEqualTo(ExitCodes.DATA);
        assertThat(onAStandby.code()).as(onAStandby.toString()).isEqualTo(ExitCodes.DATA);
        assertThat(dataDirectory.resolve("pg_wal")).isEmptyDirectory();
    }

    @Test
    void archiveRecoveryIsADataDirectoryWithRecoverySignalAndNoStandbySignal() throws IOException {
        Path directory = Files.createDirectories(root.resolve("signals"));
        assertThat(WalFetchCommand.inArchiveRecovery(directory)).isFalse();
        Files.writeString(directory.resolve("recovery.signal"), "");
        assertThat(WalFetchCommand.inArchiveRecovery(directory)).as("not a data directory").isFalse();
        Files.writeString(directory.resolve("PG_VERSION"), "15\n");
        assertThat(WalFetchCommand.inArchiveRecovery(directory)).isTrue();
        Files.writeString(directory.resolve("standby.signal"), "");
        assertThat(WalFetchCommand.inArchiveRecovery(directory)).as("a standby").isFalse();
    }

    /** drkit in a JVM of its own whose working directory is {@code directory}, as a server runs restore_command. */
    private static CliRun fetchIn(Path directory, String... args) throws Exception {
        Path out = Files.createTempFile(root, "fetch-in", ".out");
        Path errors = Files.createTempFile(root, "fetch-in", ".err");
        Process process = new ProcessBuilder(CliRun.childCommand(args)).directory(directory.toFile())
            .redirectOutput(out.toFile()).redirectError(errors.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("drkit " + String.join(" ", args) + " did not finish");
        }
        return new CliRun(process.exitValue(), Files.readString(out), Files.readString(errors));
    }

    @Test
    void walFetchOfAFileWhoseRecordIsLostIsDamageNotAMissingFile() throws Exception {
        Path copy = copyOfStore("record-lost");
        Files.delete(copy.resolve(lastSegment).resolve(WalArchive.META_OBJECT));
        Path target = root.resolve("RECOVERYXLOG-record-lost");

        int code = drkit("wal-fetch", "--store", copy.toString(), "--passphrase-file", passphraseFile.toString(),
            lastSegment, target.toString());

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains(lastSegment, "no " + WalArchive.META_OBJECT);
        assertThat(target).doesNotExist();
    }

    @Test
    void walPushRefusesAFileOfNoSegmentSizeUnderASegmentsName() throws Exception {
        Path truncated = Files.createDirectories(root.resolve("push-truncated")).resolve("000000010000000000000099");
        Files.write(truncated, new byte[100]);

        int code = drkit("wal-push", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            truncated.toString());

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains("100 bytes", "not archived");
        assertThat(store.resolve("000000010000000000000099")).doesNotExist();
    }

    @Test
    void walPushIntoAFullStoreExitsThreeAndKeepsWhatWasArchived() throws Exception {
        Path mountPoint = Files.createDirectory(root.resolve("full-store"));
        TestMount tmpfs = TestMount.tmpfs(mountPoint, "4m");
        assumeTrue(tmpfs != null, "cannot mount a 4 MiB tmpfs here (needs root and a permissive sandbox)");
        try (tmpfs) {
            Path fullStore = Files.createDirectory(mountPoint.resolve("wal"));
            Path pgWal = Files.createDirectories(root.resolve("full-store-pg_wal"));
            // zeros compress to almost nothing; random bytes do not, and a 16 MiB segment of them cannot fit
            Path small = Files.write(pgWal.resolve("000000010000000000000050"), new byte[16 << 20]);
            byte[] random = new byte[16 << 20];
            new java.util.Random(50).nextBytes(random);
            Path large = Files.write(pgWal.resolve("000000010000000000000051"), random);
            String[] key = {"--passphrase-file", passphraseFile.toString()};
            assertThat(drkit("wal-push", "--store", fullStore.toString(), key[0], key[1], small.toString()))
                .as(err.toString()).isZero();

            err.getBuffer().setLength(0);
            int code = drkit("wal-push", "--store", fullStore.toString(), key[0], key[1], large.toString());

            assertThat(code).isEqualTo(ExitCodes.ENVIRONMENT);
            assertThat(err.toString()).contains("No space left on device");
            try (Stream<Path> entries = Files.list(fullStore)) {
                assertThat(entries.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".lock")))
                    .containsExactly("000000010000000000000050");
            }
            Path back = root.resolve("full-store-fetched");
            assertThat(drkit("wal-fetch", "--store", fullStore.toString(), key[0], key[1], "000000010000000000000050",
                back.toString())).as(err.toString()).isZero();
            assertThat(Files.mismatch(back, small)).isEqualTo(-1L);
        }
    }

    @Test
    void walFetchIntoAFullPgWalExitsThreeOr126AndLeavesNothingThere() throws Exception {
        Path pgWal = Files.createDirectory(root.resolve("full-pg_wal"));
        TestMount tmpfs = TestMount.tmpfs(pgWal, "1m");
        assumeTrue(tmpfs != null, "cannot mount a 1 MiB tmpfs here (needs root and a permissive sandbox)");
        try (tmpfs) {
            Path target = pgWal.resolve("RECOVERYXLOG");
            String[] fetch = {"--store", store.toString(), "--passphrase-file", passphraseFile.toString()};

            int code = drkit(concat(fetch, lastSegment, target.toString()));
            int stopping = drkit(concat(fetch, "--stop-recovery-on-error", lastSegment, target.toString()));

            assertThat(code).isEqualTo(ExitCodes.ENVIRONMENT);
            assertThat(stopping).isEqualTo(WalFetchCommand.STOP_RECOVERY);
            assertThat(err.toString()).contains("No space left on device");
            try (Stream<Path> left = Files.list(pgWal)) {
                assertThat(left).isEmpty();
            }
        }
    }

    @Test
    void walFetchHelpShowsTheRestoreCommandsPlaceholdersFormatted() {
        String usage = Drkit.commandLine().getSubcommands().get("wal-fetch").getUsageMessage();

        assertThat(usage).contains("/etc/drkit/wal.pass %f %p'", "mv -f /spool/%f %p",
            "name in the archive (%f)", "--[no-]stop-recovery-on-error").doesNotContain("%%");
    }

    @Test
    void walFetchWithASpoolFetchesAheadAndLaterRunsAreAnsweredFromIt() throws Exception {
        Path copy = copyOfStore("read-ahead-store");
        List<String> segments;
        try (Stream<Path> entries = Files.list(copy)) {
            segments = entries.map(e -> e.getFileName().toString()).filter(n -> SEGMENT_NAME.matcher(n).matches())
                .filter(n -> n.startsWith("00000001")).sorted().toList();
        }
        assertThat(segments.size()).as(segments.toString()).isGreaterThanOrEqualTo(4);
        String first = segments.get(0);
        Path spool = root.resolve("read-ahead spool");
        Path pgWal = Files.createDirectories(root.resolve("read-ahead-data").resolve("pg_wal"));
        String[] keys = {"--store", copy.toString(), "--passphrase-file", passphraseFile.toString()};

        assertThat(drkit(concat(keys, "--spool", spool.toString(), "--read-ahead", "2", first,
            pgWal.resolve("RECOVERYXLOG").toString()))).as(err.toString()).isZero();
        assertThat(spooled(spool)).containsExactly(".boot", segments.get(1), segments.get(1) + ".record",
            segments.get(2), segments.get(2) + ".record");
        Map<String, byte[]> expected = new HashMap<>();
        for (String name : segments.subList(1, 3)) {
            Path plain = root.resolve("read-ahead-expected-" + name);
            assertThat(drkit(concat(keys, name, plain.toString()))).isZero();
            expected.put(name, Files.readAllBytes(plain));
        }
        // the store keeps only the records of both: what comes now comes from the spool
        for (String name : segments.subList(1, 3)) {
            Files.delete(copy.resolve(name).resolve(WalArchive.DATA_OBJECT));
        }

        // restore_command's shell part serves the first without any drkit run
        String command = WalReadAhead.restoreCommand(spool, copy, "exit 42").replace("%%", "\u0000")
            .replace("%f", segments.get(1)).replace("%p", "pg_wal/RECOVERYXLOG").replace("\u0000", "%");
        Process shell = new ProcessBuilder("/bin/sh", "-c", command).directory(pgWal.getParent().toFile())
            .redirectErrorStream(true).start();
        assertThat(shell.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(shell.exitValue()).as(new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
            .isZero();
        assertThat(Files.readAllBytes(pgWal.resolve("RECOVERYXLOG"))).isEqualTo(expected.get(segments.get(1)));
        // and a wal-fetch run takes the second from the spool too
        assertThat(drkit(concat(keys, "--spool", spool.toString(), "--read-ahead", "0", segments.get(2),
            pgWal.resolve("RECOVERYXLOG").toString()))).as(err.toString()).isZero();
        assertThat(Files.readAllBytes(pgWal.resolve("RECOVERYXLOG"))).isEqualTo(expected.get(segments.get(2)));
        assertThat(spooled(spool)).as("only the boot id its files were written under").containsExactly(".boot");
        // the next is in the store, not spooled: fetched as usual, and the ones after it are fetched ahead
        assertThat(drkit(concat(keys, "--spool", spool.toString(), segments.get(3),
            pgWal.resolve("RECOVERYXLOG").toString()))).as(err.toString()).isZero();
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aSpoolThatCannotBeUsedIsAWarningAndTheFileIsStillFetched() throws Exception {
        Path notADirectory = Files.writeString(root.resolve("spool-is-a-file"), "not a spool");
        Path target = root.resolve("RECOVERYXLOG-unusable-spool");

        int code = drkit("wal-fetch", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            "--spool", notADirectory.toString(), lastSegment, target.toString());

        assertThat(code).as(err.toString()).isZero();
        assertThat(err.toString()).contains("warning").contains("not a directory").contains("fetching without it");
        assertThat(Files.size(target)).isEqualTo(16L << 20);
        assertThat(notADirectory).hasContent("not a spool");
    }

    @Test
    void readAheadOptionsWithoutASpoolOrOutOfRangeAreUsageErrors() {
        String[] keys = {"--store", store.toString(), "--passphrase-file", passphraseFile.toString()};
        Path target = root.resolve("read-ahead-usage");
        assertThat(drkit(concat(keys, "--read-ahead", "4", lastSegment, target.toString())))
            .isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("--read-ahead and --parallel need --spool");
        assertThat(drkit(concat(keys, "--spool", root.resolve("s").toString(), "--read-ahead", "100000", lastSegment,
            target.toString()))).isEqualTo(ExitCodes.USAGE);
        assertThat(drkit(concat(keys, "--spool", root.resolve("s").toString(), "--parallel", "0", lastSegment,
            target.toString()))).isEqualTo(ExitCodes.USAGE);
        assertThat(target).doesNotExist();
    }

    private static List<String> spooled(Path spool) throws IOException {
        try (Stream<Path> files = Files.list(spool)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    private static String[] concat(String[] first, String... rest) {
        return Stream.concat(Stream.of("wal-fetch"), Stream.concat(Stream.of(first), Stream.of(rest)))
            .toArray(String[]::new);
    }

    @Test
    void aNameThatIsNotAWalFileIsAUsageError() {
        assertThat(drkit("wal-fetch", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            "../../etc/shadow", root.resolve("x").toString())).isEqualTo(ExitCodes.USAGE);
        assertThat(drkit("wal-push", "--store", store.toString(), "--passphrase-file", passphraseFile.toString(),
            passphraseFile.toString())).isEqualTo(ExitCodes.USAGE);
    }
}
