package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.BackupSource;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.PassphraseEncryption;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.ForwardingStore;
import dev.drkit.backup.store.PendingBackup;
import dev.drkit.core.drill.StepOutcome;
import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.PgBinaries;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * PostgreSQL backup sources and restore verification against a real PostgreSQL 15 server that asks for a password
 * (scram-sha-256 over TCP): dumps, base backups, the password's path to the tools, failing and killed tools.
 */
class PgBackupSourceTest {

    /** Has ':' and '\' so the PGPASSFILE escaping is exercised. */
    static final String PASSWORD = "pw:" + UUID.randomUUID() + "\\end";
    static final Secret PASSPHRASE = Secret.ofString("backup passphrase for tests", "passphrase");

    static PgCluster source;
    static Secret password;
    static PgServer server;

    @TempDir
    static Path temp;

    @BeforeAll
    static void startSource() throws Exception {
        source = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("pgsource").build());
        source.execute("CREATE ROLE backup LOGIN SUPERUSER REPLICATION PASSWORD '" + PASSWORD + "'");
        source.execute("CREATE DATABASE shop");
        try (Connection c = source.connect("shop"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)");
            st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer int REFERENCES customers, note text)");
            st.execute("CREATE INDEX orders_customer ON orders (customer)");
            st.execute("INSERT INTO customers SELECT i, 'customer ' || i FROM generate_series(1, 100) i");
            // Random text, so the dump is megabytes even compressed: larger than any pipe buffer.
            st.execute("INSERT INTO orders SELECT i, 1 + i % 100, md5(random()::text) || md5(i::text) "
                + "FROM generate_series(1, 200000) i");
        }
        password = Secret.ofString(PASSWORD, "backup password");
        server = PgServer.builder(PgCluster.HOST, source.port(), "backup").password(password).build();
    }

    @AfterAll
    static void stopSource() {
        if (source != null) {
            source.close();
        }
    }

    static BackupEngine engine(Path store) {
        return engine(FileSystemStore.open(store));
    }

    static BackupEngine engine(BackupStore store) {
        Encryption encryption = PassphraseEncryption.builder(PASSPHRASE).s2kBytes(PassphraseEncryption.MIN_S2K_BYTES)
            .build();
        return BackupEngine.builder(store).encryption(encryption).build();
    }

    static PgRestoreVerifier verifier(BackupEngine engine, Path history) {
        return PgRestoreVerifier.builder(engine, DecryptionKey.passphrase(PASSPHRASE)).history(history).build();
    }

    static Set<String> pgpassDirectories() throws IOException {
        return pgpassDirectories("drkit-pg-dump-");
    }

    /** The credential directories of one tool in the system temp directory, by name. */
    static Set<String> pgpassDirectories(String prefix) throws IOException {
        Set<String> dirs = new HashSet<>();
        try (var list = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).forEach(dirs::add);
        }
        return dirs;
    }

    @Test
    void overlappingBackupsThroughOneSourceEachRecordTheirOwnRun() throws Exception {
        source.execute("CREATE DATABASE overlap");
        try (Connection c = source.connect("overlap"); Statement st = c.createStatement()) {
            // random text: the dump is megabytes even compressed, so its data is still being stored when held
            st.execute("CREATE TABLE events (id int, note text)");
            st.execute("INSERT INTO events SELECT i, md5(random()::text) || md5(random()::text)"
                + " FROM generate_series(1, 50000) i");
        }
        BackupSource shared = PgBackupSource.dump(server, "overlap").source();
        CountDownLatch firstWriting = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        BackupEngine held = engine(new HeldStore(FileSystemStore.open(temp.resolve("overlap-1")), firstWriting,
            releaseFirst));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            // the first backup's dump has started (its counts taken) and its data is being stored, held there
            Future<BackupInfo> first = pool.submit(() -> held.backup(shared));
            assertThat(firstWriting.await(60, TimeUnit.SECONDS)).isTrue();
            try (Connection c = source.connect("overlap"); Statement st = c.createStatement()) {
                st.execute("INSERT INTO events SELECT i, 'later' FROM generate_series(50001, 50005) i");
            }
            BackupInfo second = engine(temp.resolve("overlap-2")).backup(shared);
            releaseFirst.countDown();

            assertThat(first.get(120, TimeUnit.SECONDS).labels()).containsEntry(PgLabels.ROWS, "50000");
            assertThat(second.labels()).containsEntry(PgLabels.ROWS, "50005");
        } finally {
            releaseFirst.countDown();
            pool.shutdownNow();
        }
    }

    /** A store whose object streams hold their writer, once 256 KiB are written, until released. */
    private static final class HeldStore extends ForwardingStore {
        private final CountDownLatch writing;
        private final CountDownLatch release;

        HeldStore(BackupStore store, CountDownLatch writing, CountDownLatch release) {
            super(store);
            this.writing = writing;
            this.release = release;
        }

        @Override
        public PendingBackup begin(String backupId) throws IOException {
            PendingBackup pending = store.begin(backupId);
            return new PendingBackup() {
                @Override
                public String backupId() {
                    return pending.backupId();
                }

                @Override
                public OutputStream create(String objectName) throws IOException {
                    return new FilterOutputStream(pending.create(objectName)) {
                        private long written;

                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            written += len;
                            if (written > 256 * 1024) {
                                holdUntilReleased();
                            }
                            out.write(b, off, len);
                        }

                        private void holdUntilReleased() throws IOException {
                            writing.countDown();
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new java.io.InterruptedIOException();
                            }
                        }
                    };
                }

                @Override
                public void commit() throws IOException {
                    pending.commit();
                }

                @Override
                public void close() throws IOException {
                    pending.close();
                }
            };
        }
    }

    @Test
    void aDumpIsLabelledAndPassesVerificationByRestoring() throws Exception {
        BackupEngine engine = engine(temp.resolve("dump-store"));
        BackupInfo info = engine.backup(PgBackupSource.dump(server, "shop").source());

        Map<String, String> labels = engine.manifest(info.id()).labels();
        assertThat(labels).containsEntry(PgLabels.KIND, "dump").containsEntry(PgLabels.DATABASE, "shop")
            .containsEntry(PgLabels.TABLES, "2").containsEntry(PgLabels.ROWS, "200100")
            .containsEntry(PgLabels.USER, "backup").containsKeys(PgLabels.COUNTS_SHA256, PgLabels.SCHEMA_SHA256,
                PgLabels.SYSTEM_IDENTIFIER);
        assertThat(labels.get(PgLabels.SERVER_VERSION_NUM)).startsWith("15");
        assertThat(labels.get(PgLabels.SYSTEM_IDENTIFIER)).isEqualTo(Long.toString(source.systemIdentifier()));

        Path history = temp.resolve("dump-history.jsonl");
        RestoreVerificationReport report = verifier(engine, history).verify(info.id());

        assertThat(report.passed()).as(report.toText()).isTrue();
        assertThat(report.checks()).extracting(RestoreVerificationReport.Check::name)
            .containsExactly("restore", "pg_restore", "row counts", "schema", "amcheck");
        // the two primary keys and orders_customer, besides the catalog's own
        assertThat(report.check("amcheck").orElseThrow().detail()).matches("\\d{3,} btree indexes in 1 database .*");
        assertThat(report.check("row counts").orElseThrow().detail()).contains("200100 rows");
        RestoreVerificationHistory.Contents past = RestoreVerificationHistory.at(history).read();
        assertThat(past.reports()).hasSize(1);
        assertThat(RestoreVerificationReport.fromJson(report.toJson()).toJson()).isEqualTo(report.toJson());
        List<RestoreVerificationHistory.MonthlySummary> months = RestoreVerificationHistory.at(history).monthly();
        assertThat(months).hasSize(1);
        assertThat(months.get(0).runs()).isEqualTo(1);
        assertThat(months.get(0).passed()).isEqualTo(1);
        assertThat(months.get(0).newestVerifiedBackup()).contains(info.id());
    }

    @Test
    void aDatabaseWhoseNameLooksLikeConnectionSettingsIsDumpedByNameAloneAndAllDatabasesStillBackUp() throws Exception {
        // pg_dump reads a --dbname holding '=' as a connection string: this name would set the host
        String odd = "host=192.0.2.1 dbname='it''s' \\ x";
        source.execute("CREATE DATABASE \"" + odd.replace("\"", "\"\"") + "\"");
        try {
            try (Connection c = source.connect(odd); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE marker (note text)");
                st.execute("INSERT INTO marker VALUES ('in the odd database')");
            }
            BackupEngine engine = engine(temp.resolve("odd-name-store"));

            List<BackupInfo> made = PgBackups.all(engine, server, true);

            BackupInfo dump = made.stream().filter(i -> odd.equals(engine.manifest(i.id()).labels()
                .get(PgLabels.DATABASE))).findFirst().orElseThrow();
            assertThat(engine.manifest(dump.id()).labels()).containsEntry(PgLabels.ROWS, "1");
            Path restored = temp.resolve("odd-name.dump");
            engine.restore(dump.id(), DecryptionKey.passphrase(PASSPHRASE), restored);
            assertThat(tableOfContents(restored)).contains("TABLE DATA public marker");
            assertThat(made).extracting(i -> engine.manifest(i.id()).labels().get(PgLabels.DATABASE))
                .contains("shop", odd);
        } finally {
            source.execute("DROP DATABASE \"" + odd.replace("\"", "\"\"") + "\"");
        }
    }

    @Test
    void aDumpLeavesCompressionToThePipelineUnlessAskedAndRestoresEitherWay() throws Exception {
        BackupEngine engine = engine(temp.resolve("dump-compression-store"));
        BackupInfo plain = engine.backup(PgBackupSource.dump(server, "shop").withRowCounts(false).source());
        BackupInfo gzipped = engine.backup(PgBackupSource.dump(server, "shop").withRowCounts(false)
            .withDumpCompression(true).source());

        Path plainDump = temp.resolve("plain.dump");
        Path gzippedDump = temp.resolve("gzipped.dump");
        engine.restore(plain.id(), DecryptionKey.passphrase(PASSPHRASE), plainDump);
        engine.restore(gzipped.id(), DecryptionKey.passphrase(PASSPHRASE), gzippedDump);

        // pg_restore's table of contents names the archive's compression: 0 (PostgreSQL 15) or none (16 on).
        assertThat(archiveCompression(plainDump)).isIn("0", "none");
        assertThat(archiveCompression(gzippedDump)).isNotIn("0", "none");
        assertThat(Files.size(plainDump)).isGreaterThan(Files.size(gzippedDump));
        assertThat(tableOfContents(plainDump).replaceAll("(?m)^;.*$", ""))
            .isEqualTo(tableOfContents(gzippedDump).replaceAll("(?m)^;.*$", ""));
        assertThat(tableOfContents(plainDump)).contains("TABLE DATA public orders");
    }

    @Test
    void allDatabasesKeepPgDumpsCompressionWhenTheEngineStoresUncompressed() throws Exception {
        Encryption encryption = PassphraseEncryption.builder(PASSPHRASE).s2kBytes(PassphraseEncryption.MIN_S2K_BYTES)
            .build();
        BackupEngine engine = BackupEngine.builder(FileSystemStore.open(temp.resolve("uncompressed-store")))
            .encryption(encryption).compression(dev.drkit.backup.Compression.none()).build();

        List<BackupInfo> made = PgBackups.all(engine, server, false);

        BackupInfo shop = made.stream().filter(i -> "shop".equals(engine.manifest(i.id()).labels()
            .get(PgLabels.DATABASE))).findFirst().orElseThrow();
        Path dump = temp.resolve("uncompressed-engine.dump");
        engine.restore(shop.id(), DecryptionKey.passphrase(PASSPHRASE), dump);
        assertThat(archiveCompression(dump)).isNotIn("0", "none");
    }

    @Test
    void aDamagedDumpFailsItsRestoreCheckThoughPgRestoreReadItAndNothingElseIsJudged() throws Exception {
        Path storeDir = temp.resolve("damaged-dump-store");
        BackupEngine engine = engine(storeDir);
        BackupInfo info = engine.backup(PgBackupSource.dump(server, "shop").withRowCounts(false).source());
        Path data = storeDir.resolve(info.id()).resolve(dev.drkit.backup.BackupManifest.DATA_OBJECT_NAME);
        byte[] bytes = Files.readAllBytes(data);
        bytes[bytes.length - 100] ^= 0x01;   // near the end: pg_restore has read almost all of it
        Files.write(data, bytes);

        RestoreVerificationReport report = verifier(engine, temp.resolve("damaged-dump-history.jsonl"))
            .verify(info.id());

        assertThat(report.passed()).isFalse();
        assertThat(report.checks()).extracting(RestoreVerificationReport.Check::name).containsExactly("restore");
        assertThat(report.check("restore").orElseThrow().detail()).contains(info.id());
    }

    static String archiveCompression(Path dump) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^;\\s+Compression: (\\S+)")
            .matcher(tableOfContents(dump));
        assertThat(m.find()).as("a Compression line in pg_restore --list").isTrue();
        return m.group(1);
    }

    static String tableOfContents(Path dump) throws Exception {
        Process p = new ProcessBuilder(source.binaries().tool("pg_restore").toString(), "--list", dump.toString())
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    @Test
    void aBaseBackupStoresThePgBasebackupTarAndStartsAfterPgVerifybackup() throws Exception {
        BackupEngine engine = engine(temp.resolve("base-store"));
        BackupInfo info = engine.backup(PgBackupSource.baseBackup(server).source());

        Map<String, String> labels = engine.manifest(info.id()).labels();
        assertThat(labels).containsEntry(PgLabels.KIND, "basebackup").containsEntry(PgLabels.TIMELINE, "1")
            .containsKeys(PgLabels.START_LSN, PgLabels.STOP_LSN, PgLabels.COUNTS_SHA256, PgLabels.SCHEMA_SHA256);
        assertThat(labels.get(PgLabels.START_LSN)).matches("[0-9A-F]+/[0-9A-F]+");

        // The stored payload is the tar stream pg_basebackup wrote: a data directory with its manifest and WAL.
        Path tar = temp.resolve("base.tar");
        engine.restore(info.id(), DecryptionKey.passphrase(PASSPHRASE), tar);
        List<String> names = new ArrayList<>();
        try (InputStream in = Files.newInputStream(tar); TarArchiveInputStream entries = new TarArchiveInputStream(in)) {
            TarArchiveEntry entry;
            while ((entry = entries.getNextEntry()) != null) {
                names.add(entry.getName());
            }
        }
        assertThat(names).contains("backup_label", "backup_manifest", "global/pg_control", "PG_VERSION");
        assertThat(names).anyMatch(n -> n.matches("pg_wal/[0-9A-F]{24}"));

        List<Map<String, String>> restores = new java.util.concurrent.CopyOnWriteArrayList<>();
        engine.onEvent(e -> {
            if (e.type() == dev.drkit.backup.BackupEvent.Type.RESTORE) {
                restores.add(e.details());
            }
        });
        RestoreVerificationReport report = verifier(engine, temp.resolve("base-history.jsonl")).verify(info.id());
        assertThat(report.passed()).as(report.toText()).isTrue();
        assertThat(report.checks()).extracting(RestoreVerificationReport.Check::name)
            .containsExactly("restore", "pg_verifybackup", "start", "row counts", "schema", "amcheck");
        assertThat(report.check("row counts").orElseThrow().outcome()).isEqualTo(StepOutcome.PASS);
        // The tar went straight into its extraction: it was never written whole to a scratch file.
        assertThat(restores).singleElement().satisfies(d -> assertThat(d).containsEntry("target", "stream"));
    }

    @Test
    void aBaseBackupDamagedNearItsEndFailsItsRestoreCheckAndIsNotStarted() throws Exception {
        Path storeDir = temp.resolve("damaged-base-ciphertext-store");
        BackupEngine engine = engine(storeDir);
        BackupInfo info = engine.backup(PgBackupSource.baseBackup(server).withRowCounts(false).source());
        Path data = storeDir.resolve(info.id()).resolve(dev.drkit.backup.BackupManifest.DATA_OBJECT_NAME);
        byte[] bytes = Files.readAllBytes(data);
        bytes[bytes.length - 100] ^= 0x01;   // near the end: the extraction has seen almost all of it
        Files.write(data, bytes);

        RestoreVerificationReport report = verifier(engine, temp.resolve("damaged-base-ciphertext.jsonl"))
            .verify(info.id());

        assertThat(report.passed()).isFalse();
        assertThat(report.checks()).extracting(RestoreVerificationReport.Check::name).containsExactly("restore");
        assertThat(report.check("restore").orElseThrow().detail()).contains(info.id());
    }

    @Test
    void thePasswordNeverShowsInTheToolsCommandLineOrEnvironmentAndItsFileIsRemoved() throws Exception {
        assertThePasswordOnlyReachesTheToolInItsFile(PgBackupSource.dump(server, "shop"), "pg_dump");
    }

    @Test
    void pgBasebackupAndPgDumpallAlsoGetThePasswordOnlyInAFileThatIsRemoved() throws Exception {
        assertThePasswordOnlyReachesTheToolInItsFile(PgBackupSource.baseBackup(server).withRowCounts(false),
            "pg_basebackup");
        // Globals are a few kilobytes: a long role comment makes them more than a pipe holds, so pg_dumpall stays
        // alive, blocked mid-output, while its /proc entries are read.
        source.execute("CREATE ROLE commented NOLOGIN");
        try {
            source.execute("DO $$ BEGIN EXECUTE format('COMMENT ON ROLE commented IS %L', repeat('x', 1000000)); END $$");
            assertThePasswordOnlyReachesTheToolInItsFile(PgBackupSource.globals(server), "pg_dumpall");
        } finally {
            source.execute("DROP ROLE commented");
        }
    }

    /**
     * Opens {@code source}, reads the running tool's {@code /proc/PID/cmdline} and {@code environ} while it is blocked
     * on a full pipe, checks neither holds the password and that its {@code PGPASSFILE} is 0600 in a 0700 directory,
     * then reads to the end and checks the file and its directory are gone.
     */
    private static void assertThePasswordOnlyReachesTheToolInItsFile(PgBackupSource source, String tool)
        throws Exception {
        String prefix = "drkit-" + tool.replace('_', '-') + "-";
        Set<String> before = pgpassDirectories(prefix);
        String pgpass;
        try (PgBackupSource.PgSourceStream stream = source.open()) {
            assertThat(stream.readNBytes(1024)).hasSize(1024);
            // The tool is now blocked on a full pipe: alive, mid-run, for as long as this test does not read.
            ProcessHandle running = ProcessHandle.of(stream.pid()).orElseThrow();
            assertThat(running.isAlive()).isTrue();
            byte[] cmdline = Files.readAllBytes(Path.of("/proc/" + running.pid() + "/cmdline"));
            byte[] environ = Files.readAllBytes(Path.of("/proc/" + running.pid() + "/environ"));
            String argv = new String(cmdline, StandardCharsets.UTF_8).replace('\0', ' ');
            String env = new String(environ, StandardCharsets.UTF_8);
            assertThat(argv).contains(tool, "--username=backup").doesNotContain(PASSWORD)
                .doesNotContain("password=");
            assertThat(env).doesNotContain(PASSWORD).doesNotContain("PGPASSWORD=");
            assertThat(indexOf(environ, PASSWORD.getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
            pgpass = environment(running.pid()).get("PGPASSFILE");
            assertThat(pgpass).isNotNull();
            Path file = Path.of(pgpass);
            assertThat(file.getParent().getFileName().toString()).startsWith(prefix);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
                .isEqualTo("rwx------");
            stream.transferTo(java.io.OutputStream.nullOutputStream());
        }
        assertThat(Path.of(pgpass)).doesNotExist();
        assertThat(Path.of(pgpass).getParent()).doesNotExist();
        assertThat(pgpassDirectories(prefix)).isEqualTo(before);
    }

    @Test
    void aKilledPgDumpFailsTheBackupKeepsNothingAndEarlierBackupsStay() throws Exception {
        BackupEngine engine = engine(temp.resolve("kill-store"));
        BackupInfo earlier = engine.backup(PgBackupSource.dump(server, "shop").withRowCounts(false).source());
        String[] pgpass = new String[1];
        long[] killed = new long[1];
        BackupSource killedMidway = BackupSource.stream("shop.dump", () -> {
            PgBackupSource.PgSourceStream stream = PgBackupSource.dump(server, "shop").open();
            pgpass[0] = environment(stream.pid()).get("PGPASSFILE");
            byte[] first = stream.readNBytes(4096);  // the dump is under way; the pipe behind it is full
            assertThat(first).hasSize(4096);
            killed[0] = stream.pid();
            ProcessHandle.of(stream.pid()).orElseThrow().destroyForcibly();  // SIGKILL
            return stream;
        });

        assertThatThrownBy(() -> engine.backup(killedMidway))
            .isInstanceOfSatisfying(PgToolException.class, e -> {
                assertThat(e.killed()).isTrue();
                assertThat(e.exitCode()).isEqualTo(128 + 9);
                assertThat(e.tool()).isEqualTo("pg_dump");
                assertThat(e.getMessage()).contains("killed by signal 9").doesNotContain(PASSWORD);
            });
        assertThat(killed[0]).isPositive();
        assertThat(engine.list()).extracting(BackupInfo::id).containsExactly(earlier.id());
        assertThat(engine.verify(earlier.id(), DecryptionKey.passphrase(PASSPHRASE)).passed()).isTrue();
        assertThat(pgpass[0]).isNotNull();
        assertThat(Path.of(pgpass[0])).doesNotExist();
        assertThat(Path.of(pgpass[0]).getParent()).doesNotExist();
    }

    @Test
    void aWrongPasswordFailsClearlyAndListsNoBackup() throws IOException {
        Set<String> before = pgpassDirectories();
        BackupEngine engine = engine(temp.resolve("wrong-store"));
        String wrong = "not-the-password-" + UUID.randomUUID();
        try (Secret bad = Secret.ofString(wrong, "wrong")) {
            PgServer wrongServer = PgServer.builder(PgCluster.HOST, source.port(), "backup").password(bad).build();
            assertThatThrownBy(() -> engine.backup(PgBackupSource.dump(wrongServer, "shop").source()))
                .isInstanceOfSatisfying(PgConnectionException.class, e -> {
                    assertThat(e.authenticationFailed()).isTrue();
                    assertThat(e.kind().exitCode()).isEqualTo(3);
                    assertThat(e.getMessage()).contains("password authentication failed").doesNotContain(wrong);
                });
            assertThatThrownBy(() -> engine.backup(PgBackupSource.baseBackup(wrongServer).source()))
                .isInstanceOf(PgConnectionException.class);
        }
        assertThat(engine.list()).isEmpty();
        assertThat(pgpassDirectories()).as("no PGPASSFILE left behind").isEqualTo(before);
    }

    @Test
    void anUnreachableServerFailsAsAnEnvironmentError() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        BackupEngine engine = engine(temp.resolve("unreachable-store"));
        PgServer nowhere = PgServer.builder(PgCluster.HOST, closedPort, "backup").password(password).build();
        assertThatThrownBy(() -> engine.backup(PgBackupSource.dump(nowhere, "shop").source()))
            .isInstanceOfSatisfying(PgConnectionException.class, e -> {
                assertThat(e.kind().exitCode()).isEqualTo(3);
                assertThat(e.getMessage()).contains(PgCluster.HOST + ":" + closedPort).contains("cannot connect");
            });
        assertThat(engine.list()).isEmpty();
    }

    @Test
    void aDumpWhoseRowsDoNotMatchTheRecordedCountsFailsVerification() throws Exception {
        BackupEngine engine = engine(temp.resolve("tamper-store"));
        BackupInfo honest = engine.backup(PgBackupSource.dump(server, "shop").source());
        Map<String, String> recorded = engine.manifest(honest.id()).labels();
        try (Connection c = source.connect("shop"); Statement st = c.createStatement()) {
            st.execute("INSERT INTO customers VALUES (1000, 'late customer')");
        }
        try {
            // A backup whose data does not match its recorded counts: a later dump under the earlier labels.
            BackupSource tampered = BackupSource.stream("shop.dump",
                () -> PgBackupSource.dump(server, "shop").withRowCounts(false).open())
                .withLabelsAfterRead(() -> recorded);
            BackupInfo info = engine.backup(tampered);

            Path history = temp.resolve("tamper-history.jsonl");
            RestoreVerificationReport report = verifier(engine, history).verify(info.id());

            assertThat(report.passed()).isFalse();
            RestoreVerificationReport.Check counts = report.check("row counts").orElseThrow();
            assertThat(counts.outcome()).isEqualTo(StepOutcome.FAIL);
            assertThat(counts.detail()).contains("recorded 2 tables and 200100 rows, restored 2 tables and 200101 rows");
            assertThat(report.check("schema").orElseThrow().outcome()).isEqualTo(StepOutcome.PASS);
            assertThat(report.toText()).contains("FAIL");
            RestoreVerificationHistory.MonthlySummary month = RestoreVerificationHistory.at(history).monthly().get(0);
            assertThat(month.failed()).isEqualTo(1);
            assertThat(month.newestVerifiedBackup()).isEmpty();
        } finally {
            try (Connection c = source.connect("shop"); Statement st = c.createStatement()) {
                st.execute("DELETE FROM customers WHERE id = 1000");
            }
        }
    }

    @Test
    void aDamagedBaseBackupFailsPgVerifybackupAndIsNotStarted() throws Exception {
        BackupEngine engine = engine(temp.resolve("damaged-base-store"));
        BackupInfo honest = engine.backup(PgBackupSource.baseBackup(server).withRowCounts(false).source());
        Damaged damaged = damage(engine, honest, "damaged-base");

        RestoreVerificationReport report = verifier(engine, temp.resolve("damaged-history.jsonl")).verify(damaged.id());

        assertThat(report.passed()).isFalse();
        RestoreVerificationReport.Check verify = report.check("pg_verifybackup").orElseThrow();
        assertThat(verify.outcome()).isEqualTo(StepOutcome.FAIL);
        assertThat(verify.detail()).contains(damaged.changed()).doesNotContain(PgRestoreVerifier.DRKIT_CHECKED);
        assertThat(report.check("start")).isEmpty();
    }

    @Test
    void withoutPgVerifybackupDrkitChecksTheManifestItselfPassingAGoodBaseBackupAndFailingADamagedOne()
        throws Exception {
        PgBinaries real = source.binaries();
        // When the JVM is root the scratch server runs as another user, who must be able to reach the links.
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwx--x--x"));
        Path bin = Files.createDirectory(temp.resolve("bin-without-pg-verifybackup"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try (var tools = Files.list(real.binDirectory())) {
            for (Path tool : tools.toList()) {
                if (!tool.getFileName().toString().equals("pg_verifybackup")) {
                    Files.createSymbolicLink(bin.resolve(tool.getFileName()), tool.toRealPath());
                }
            }
        }
        try {
            verifyWithout(PgBinaries.in(bin));
        } finally {
            try (var links = Files.list(bin)) {
                for (Path link : links.toList()) {
                    Files.delete(link);
                }
            }
        }
    }

    private static void verifyWithout(PgBinaries withoutVerifyBackup) throws IOException {
        assertThat(withoutVerifyBackup.hasTool("pg_verifybackup")).isFalse();
        assertThat(withoutVerifyBackup.hasTool("pg_restore")).isTrue();
        BackupEngine engine = engine(temp.resolve("no-verifybackup-store"));
        BackupInfo good = engine.backup(PgBackupSource.baseBackup(server).source());
        Damaged damaged = damage(engine, good, "no-verifybackup-damaged");
        PgRestoreVerifier verifier = PgRestoreVerifier.builder(engine, DecryptionKey.passphrase(PASSPHRASE))
            .binaries(withoutVerifyBackup).build();

        RestoreVerificationReport passed = verifier.verify(good.id());
        RestoreVerificationReport failed = verifier.verify(damaged.id());

        assertThat(passed.passed()).as(passed.toText()).isTrue();
        assertThat(passed.checks()).extracting(RestoreVerificationReport.Check::name)
            .containsExactly("restore", "pg_verifybackup", "start", "row counts", "schema", "amcheck");
        assertThat(passed.check("pg_verifybackup").orElseThrow().detail())
            .contains(PgRestoreVerifier.DRKIT_CHECKED, "files extracted");
        assertThat(failed.passed()).isFalse();
        RestoreVerificationReport.Check verify = failed.check("pg_verifybackup").orElseThrow();
        assertThat(verify.outcome()).isEqualTo(StepOutcome.FAIL);
        assertThat(verify.detail()).contains(PgRestoreVerifier.DRKIT_CHECKED, damaged.changed() + " was modified");
        assertThat(failed.check("start")).isEmpty();
    }

    /** A copy of base backup {@code honest} with one file's content changed, stored under its labels. */
    private record Damaged(String id, String changed) {
    }

    private static Damaged damage(BackupEngine engine, BackupInfo honest, String name) throws IOException {
        Map<String, String> recorded = engine.manifest(honest.id()).labels();
        Path tar = temp.resolve(name + "-honest.tar");
        engine.restore(honest.id(), DecryptionKey.passphrase(PASSPHRASE), tar);
        Path damaged = temp.resolve(name + ".tar");
        String changed = rewriteOneFile(tar, damaged);
        BackupInfo info = engine.backup(BackupSource.file(damaged).named("base.tar").withLabelsAfterRead(() -> recorded));
        return new Damaged(info.id(), changed);
    }

    @Test
    void aBaseBackupTarWithASymbolicLinkIsRefusedAndNothingIsWrittenThroughTheLink() throws Exception {
        Path outside = Files.createDirectories(temp.resolve("outside-the-scratch-directory"));
        Path scratch = Files.createDirectories(temp.resolve("s-link")); // short: the socket path is limited

        RestoreVerificationReport report = verifyHostileTar("link", scratch, tar -> {
            TarArchiveEntry link = new TarArchiveEntry("pg_tblspc/16384", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName(outside.toString());
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
            putFile(tar, "pg_tblspc/16384/PG_15_202209061/pwned", "written through the link");
        });

        RestoreVerificationReport.Check extract = report.check("extract").orElseThrow();
        assertThat(extract.outcome()).isEqualTo(StepOutcome.FAIL);
        assertThat(extract.detail()).contains("pg_tblspc/16384", "symbolic link");
        assertThat(report.check("pg_verifybackup")).isEmpty();
        assertThat(report.check("start")).isEmpty();
        try (var files = Files.list(outside)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aBaseBackupTarWithADotDotPathIsRefusedAndNothingIsWrittenOutsideTheDataDirectory() throws Exception {
        Path scratch = Files.createDirectories(temp.resolve("s-dots"));

        // The data directory is SCRATCH/drkit-pg-verify-*/data: base/../../../.. is the scratch directory's parent.
        RestoreVerificationReport report = verifyHostileTar("dotdot", scratch,
            tar -> putFile(tar, "base/../../../../pwned-by-dotdot", "written outside"));

        RestoreVerificationReport.Check extract = report.check("extract").orElseThrow();
        assertThat(extract.outcome()).isEqualTo(StepOutcome.FAIL);
        assertThat(extract.detail()).contains("'..' component");
        assertThat(report.check("start")).isEmpty();
        try (var files = Files.walk(temp)) {
            assertThat(files.filter(f -> f.getFileName().toString().equals("pwned-by-dotdot"))).isEmpty();
        }
    }

    interface TarWriter {
        void write(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream tar) throws IOException;
    }

    /** Stores a tar labelled as a base backup, PG_VERSION then {@code hostile}'s entries, and verifies it. */
    private static RestoreVerificationReport verifyHostileTar(String name, Path scratch, TarWriter hostile)
        throws IOException {
        Path tarFile = temp.resolve(name + "-base.tar");
        try (java.io.OutputStream out = Files.newOutputStream(tarFile);
             org.apache.commons.compress.archivers.tar.TarArchiveOutputStream tar =
                 new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(out)) {
            tar.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
            putFile(tar, "PG_VERSION", "15\n");
            hostile.write(tar);
        }
        // When the JVM is root the scratch server runs as another user, who must be able to reach its directory.
        for (Path dir : List.of(temp, scratch)) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        }
        BackupEngine engine = engine(temp.resolve(name + "-store"));
        BackupInfo info = engine.backup(BackupSource.file(tarFile).named("base.tar")
            .withLabelsAfterRead(() -> Map.of(PgLabels.KIND, PgLabels.KIND_BASE_BACKUP)));
        RestoreVerificationReport report = PgRestoreVerifier.builder(engine, DecryptionKey.passphrase(PASSPHRASE))
            .scratchDirectory(scratch).build().verify(info.id());
        assertThat(report.passed()).isFalse();
        assertThat(report.check("restore").orElseThrow().outcome()).isEqualTo(StepOutcome.PASS);
        return report;
    }

    private static void putFile(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream tar, String name,
                                String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(name, true);
        entry.setSize(bytes.length);
        tar.putArchiveEntry(entry);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    @Test
    void aBaseBackupOfABusyServerRecordsThatItsCountsCouldNotBeTakenAndStillVerifies() throws Exception {
        source.execute("CREATE DATABASE busy");
        try (Connection c = source.connect("busy"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE ticks (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())");
        }
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong inserted = new java.util.concurrent.atomic.AtomicLong();
        Thread writer = new Thread(() -> {
            try (Connection c = source.connect("busy"); Statement st = c.createStatement()) {
                while (!stop.get()) {
                    st.execute("INSERT INTO ticks DEFAULT VALUES");
                    inserted.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        try {
            while (inserted.get() < 10) {
                Thread.onSpinWait();
            }
            BackupEngine engine = engine(temp.resolve("busy-store"));
            BackupInfo info = engine.backup(PgBackupSource.baseBackup(server).source());
            stop.set(true);
            writer.join();

            Map<String, String> labels = engine.manifest(info.id()).labels();
            assertThat(labels).containsEntry(PgLabels.COUNTS_SKIPPED, "the data changed during the base backup")
                .doesNotContainKeys(PgLabels.COUNTS_SHA256);
            RestoreVerificationReport report = verifier(engine, temp.resolve("busy-history.jsonl")).verify(info.id());
            assertThat(report.passed()).as(report.toText()).isTrue();
            assertThat(report.check("row counts").orElseThrow().outcome()).isEqualTo(StepOutcome.SKIP);
            assertThat(report.check("row counts").orElseThrow().detail()).contains("changed during the base backup");
        } finally {
            stop.set(true);
            writer.join();
            source.execute("DROP DATABASE busy");
        }
    }

    @Test
    void aToolThatExitsNonZeroFailsTheBackupWithItsStderrTail() throws Exception {
        String limitedPassword = "limited-" + UUID.randomUUID();
        source.execute("CREATE ROLE limited LOGIN PASSWORD '" + limitedPassword + "'");
        Set<String> before = pgpassDirectories();
        try (Secret secret = Secret.ofString(limitedPassword, "limited")) {
            PgServer limited = PgServer.builder(PgCluster.HOST, source.port(), "limited").password(secret).build();
            BackupEngine engine = engine(temp.resolve("limited-store"));

            // No SELECT on the tables: pg_dump itself fails (counting is off, so it is the first to read them).
            assertThatThrownBy(() -> engine.backup(PgBackupSource.dump(limited, "shop").withRowCounts(false).source()))
                .isInstanceOfSatisfying(PgToolException.class, e -> {
                    assertThat(e.tool()).isEqualTo("pg_dump");
                    assertThat(e.exitCode()).isEqualTo(1);
                    assertThat(e.killed()).isFalse();
                    assertThat(e.stderrTail()).contains("permission denied");
                    assertThat(e.getMessage()).contains("exited with code 1", "permission denied", "nothing was kept")
                        .doesNotContain(limitedPassword);
                    assertThat(e.kind().exitCode()).isEqualTo(3);
                });
            // No REPLICATION: pg_basebackup is refused.
            assertThatThrownBy(() -> engine.backup(PgBackupSource.baseBackup(limited).withRowCounts(false).source()))
                .isInstanceOfSatisfying(PgToolException.class, e -> {
                    assertThat(e.tool()).isEqualTo("pg_basebackup");
                    assertThat(e.stderrTail()).containsIgnoringCase("replication");
                });
            assertThat(engine.list()).isEmpty();
        } finally {
            source.execute("DROP ROLE limited");
        }
        assertThat(pgpassDirectories()).isEqualTo(before);
    }

    /** Copies a tar, changing the content (not the size) of the first PG_VERSION under base/; returns its name. */
    private static String rewriteOneFile(Path from, Path to) throws IOException {
        String changed = null;
        try (InputStream in = Files.newInputStream(from); TarArchiveInputStream entries = new TarArchiveInputStream(in);
             java.io.OutputStream out = Files.newOutputStream(to);
             org.apache.commons.compress.archivers.tar.TarArchiveOutputStream tar =
                 new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(out)) {
            tar.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
            TarArchiveEntry entry;
            while ((entry = entries.getNextEntry()) != null) {
                byte[] content = entries.readAllBytes();
                if (changed == null && entry.getName().matches("base/\\d+/PG_VERSION")) {
                    changed = entry.getName();
                    content = "99\n".getBytes(StandardCharsets.US_ASCII);
                }
                tar.putArchiveEntry(entry);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        assertThat(changed).isNotNull();
        return changed;
    }

    private static Map<String, String> environment(long pid) {
        try {
            byte[] environ = Files.readAllBytes(Path.of("/proc/" + pid + "/environ"));
            Map<String, String> vars = new TreeMap<>();
            for (String kv : new String(environ, StandardCharsets.UTF_8).split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    vars.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            return vars;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
