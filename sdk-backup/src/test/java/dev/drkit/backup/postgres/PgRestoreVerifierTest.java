package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.BackupIoException;
import dev.drkit.backup.BackupManifest;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.PassphraseEncryption;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.ForwardingStore;
import dev.drkit.backup.store.TestMount;
import dev.drkit.core.DrkitException;
import dev.drkit.core.drill.StepOutcome;
import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.PgBinaries;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ReplicaOptions;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Restore verification against a real PostgreSQL 15 server, for what the common cases leave out: the
 * {@code postgres} database's dump and databases with awkward names, a server that warns on every connection,
 * a store or a scratch disk that fails halfway (no verdict, so no report), and a base backup taken from a standby,
 * checked with and without {@code pg_verifybackup}.
 */
class PgRestoreVerifierTest {

    static final String PASSWORD = "pw-" + UUID.randomUUID();
    static final Secret PASSPHRASE = Secret.ofString("verifier test passphrase", "passphrase");
    /** A database name with a space, double quotes and upper case: quoted everywhere or it breaks. */
    static final String AWKWARD = "Mixed \"Case\" db";

    static PgCluster source;
    static Secret password;
    static PgServer server;

    @TempDir
    static Path temp;

    @BeforeAll
    static void startSource() throws Exception {
        source = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("pgvsource").build());
        source.execute("CREATE ROLE backup LOGIN SUPERUSER REPLICATION PASSWORD '" + PASSWORD + "'");
        try (Connection c = source.connect("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL)");
            st.execute("INSERT INTO settings SELECT 'key ' || i, 'value ' || i FROM generate_series(1, 250) i");
            // in the dump's DATABASE PROPERTIES and COMMENT entries, which pg_restore applies only with --create
            st.execute("COMMENT ON DATABASE postgres IS 'the database initdb makes'");
            st.execute("ALTER DATABASE postgres SET work_mem = '8MB'");
        }
        source.execute("CREATE DATABASE shop");
        try (Connection c = source.connect("shop"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)");
            st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer int REFERENCES customers, note text)");
            st.execute("INSERT INTO customers SELECT i, 'customer ' || i FROM generate_series(1, 100) i");
            st.execute("INSERT INTO orders SELECT i, 1 + i % 100, md5(i::text) FROM generate_series(1, 5000) i");
        }
        source.execute("CREATE DATABASE \"" + AWKWARD.replace("\"", "\"\"") + "\"");
        password = Secret.ofString(PASSWORD, "backup password");
        server = PgServer.builder(PgCluster.HOST, source.port(), "backup").password(password).build();
    }

    @AfterAll
    static void stopSource() {
        if (source != null) {
            source.close();
        }
    }

    static BackupEngine engine(BackupStore store) {
        Encryption encryption = PassphraseEncryption.builder(PASSPHRASE).s2kBytes(PassphraseEncryption.MIN_S2K_BYTES)
            .build();
        return BackupEngine.builder(store).encryption(encryption).build();
    }

    static BackupEngine engine(Path store) {
        return engine(FileSystemStore.open(store));
    }

    static PgRestoreVerifier.Builder verifier(BackupEngine engine) {
        return PgRestoreVerifier.builder(engine, DecryptionKey.passphrase(PASSPHRASE));
    }

    // ------------------------------------------------------------------------------------------ database names

    @Test
    void everyDumpOfAnAllRunVerifiesThePostgresDatabasesToo() {
        BackupEngine engine = engine(temp.resolve("all-store"));
        List<BackupInfo> made = PgBackups.all(engine, server, true);
        Path history = temp.resolve("all-history.jsonl");
        PgRestoreVerifier verifier = verifier(engine).history(history).build();

        Map<String, RestoreVerificationReport> dumps = new TreeMap<>();
        for (BackupInfo info : made) {
            RestoreVerificationReport report = verifier.verify(info.id());
            assertThat(report.passed()).as(report.toText()).isTrue();
            report.database().ifPresent(db -> dumps.put(db, report));
        }

        assertThat(dumps).containsOnlyKeys("postgres", "shop", AWKWARD);
        for (RestoreVerificationReport report : dumps.values()) {
            assertThat(report.checks()).as(report.toText()).extracting(RestoreVerificationReport.Check::name)
                .containsExactly("restore", "pg_restore", "row counts", "schema", "amcheck");
            // compared with what was recorded, not skipped: the scratch database's name is in neither digest
            assertThat(report.checks()).as(report.toText()).extracting(RestoreVerificationReport.Check::outcome)
                .containsOnly(StepOutcome.PASS);
        }
        assertThat(dumps.get("postgres").check("row counts").orElseThrow().detail())
            .startsWith("1 tables, 250 rows, as recorded");
        assertThat(dumps.get("shop").check("row counts").orElseThrow().detail())
            .startsWith("2 tables, 5100 rows, as recorded");
        assertThat(dumps.get(AWKWARD).check("row counts").orElseThrow().detail())
            .startsWith("0 tables, 0 rows, as recorded");
        assertThat(RestoreVerificationHistory.at(history).read().reports()).hasSize(made.size());
    }

    // ------------------------------------------------------------------------------------------ psql's output

    @Test
    void aBaseBackupWhoseDatabasesWarnOnEveryConnectionStillVerifies() throws Exception {
        // A collation version recorded where the C locale has none: the server warns on every connection to these
        // databases. The base backup copies pg_database as it is, so the scratch cluster made from it warns too.
        source.execute("UPDATE pg_database SET datcollversion = '0.1' WHERE datname IN ('postgres', 'shop')");
        try {
            try (Connection c = source.connect("postgres")) {
                java.sql.SQLWarning warning = c.getWarnings();
                assertThat(warning == null ? null : warning.getMessage()).as("the warning each connection gets")
                    .contains("collation version");
            }
            BackupEngine engine = engine(temp.resolve("warning-store"));
            BackupInfo info = engine.backup(PgBackupSource.baseBackup(server).source());

            RestoreVerificationReport report = verifier(engine).build().verify(info.id());

            assertThat(report.passed()).as(report.toText()).isTrue();
            assertThat(report.checks()).extracting(RestoreVerificationReport.Check::name)
                .containsExactly("restore", "pg_verifybackup", "start", "row counts", "schema", "amcheck");
            assertThat(report.check("row counts").orElseThrow().outcome()).isEqualTo(StepOutcome.PASS);
            // postgres, shop, template1 and the awkward one: every database that accepts connections but template0
            assertThat(report.check("row counts").orElseThrow().detail()).isEqualTo("3 tables, 5350 rows, as "
                + "recorded (4 databases)");
            assertThat(report.check("amcheck").orElseThrow().detail()).contains(" in 4 databases ");
        } finally {
            source.execute("UPDATE pg_database SET datcollversion = NULL WHERE datname IN ('postgres', 'shop')");
        }
    }

    // ------------------------------------------------------------------------------------------ no verdict

    @Test
    void aStoreThatFailsHalfwayThroughIsAnEnvironmentFailureAndNoReportIsMade() {
        FlakyStore store = new FlakyStore(FileSystemStore.open(temp.resolve("flaky-store")));
        BackupEngine engine = engine(store);
        BackupInfo dump = engine.backup(PgBackupSource.dump(server, "shop").source());
        BackupInfo base = engine.backup(PgBackupSource.baseBackup(server).withRowCounts(false).source());
        BackupInfo globals = engine.backup(PgBackupSource.globals(server).source());
        Path history = temp.resolve("flaky-history.jsonl");
        PgRestoreVerifier verifier = verifier(engine).history(history).build();

        store.failReads = true;
        for (BackupInfo info : List.of(dump, base, globals)) {
            assertThatThrownBy(() -> verifier.verify(info.id())).as(info.id())
                .isInstanceOfSatisfying(BackupIoException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                    assertThat(e.getMessage()).contains("could not be read", FlakyStore.FAILURE);
                });
        }
        assertThat(history).doesNotExist();

        // the backups were never at fault: read whole, each passes
        store.failReads = false;
        for (BackupInfo info : List.of(dump, base, globals)) {
            RestoreVerificationReport report = verifier.verify(info.id());
            assertThat(report.passed()).as(report.toText()).isTrue();
        }
        assertThat(RestoreVerificationHistory.at(history).read().reports()).hasSize(3);
    }

    @Test
    void aScratchDiskThatFillsUpDuringTheExtractionIsAnEnvironmentFailureAndNoReportIsMade() throws Exception {
        BackupEngine engine = engine(temp.resolve("full-disk-store"));
        BackupInfo info = engine.backup(PgBackupSource.baseBackup(server).withRowCounts(false).source());
        assertAFullScratchDiskIsNoVerdict(engine, info, "s-full", "4m", "No space left on device");
    }

    @Test
    void aScratchDiskThatFillsUpDuringPgRestoreIsAnEnvironmentFailureNotAFailedCheck() throws Exception {
        source.execute("CREATE DATABASE big");
        try {
            try (Connection c = source.connect("big"); Statement st = c.createStatement()) {
                // about 40 MB on disk, more than the scratch disk has left once its server is running
                st.execute("CREATE TABLE filler AS SELECT i, repeat(md5(i::text), 8) AS pad "
                    + "FROM generate_series(1, 120000) i");
            }
            BackupEngine engine = engine(temp.resolve("full-restore-store"));
            BackupInfo info = engine.backup(PgBackupSource.dump(server, "big").withRowCounts(false).source());
            assertAFullScratchDiskIsNoVerdict(engine, info, "s-rfull", "72m", "filled up while pg_restore",
                "no verdict on the backup", "Check free disk space");
        } finally {
            source.execute("DROP DATABASE big");
        }
    }

    @Test
    void aPgRestoreThatOutlivesTheToolTimeoutIsNoVerdictAndStopsTheRestore() throws Exception {
        Path bin = binariesWithout("pg_restore");
        // reads a little of the dump, then hangs, as on a lock or a slow disk
        Files.writeString(bin.resolve("pg_restore"), "#!/bin/sh\nhead -c 1000 >/dev/null\nexec sleep 600\n");
        Files.setPosixFilePermissions(bin.resolve("pg_restore"), PosixFilePermissions.fromString("rwxr-xr-x"));
        BackupEngine engine = engine(temp.resolve("stalling-store"));
        BackupInfo info = engine.backup(PgBackupSource.dump(server, "shop").source());
        Path history = temp.resolve("stalling-history.jsonl");

        assertThatThrownBy(() -> verifier(engine).binaries(PgBinaries.in(bin)).toolTimeout(Duration.ofSeconds(2))
            .history(history).build().verify(info.id()))
            .isInstanceOfSatisfying(DrkitException.class, e -> {
                assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                assertThat(e.getMessage()).contains("pg_restore did not finish restoring backup " + info.id()
                    + " within the tool timeout of 2 s; no verdict");
            });
        assertThat(history).doesNotExist();
    }

    /**
     * Verifies {@code info} with a scratch directory on a tmpfs of {@code size}, which it fills: an environment
     * failure whose message holds {@code messageParts}, no report, and the scratch cluster's directory removed.
     */
    private static void assertAFullScratchDiskIsNoVerdict(BackupEngine engine, BackupInfo info, String scratchName,
                                                          String size, String... messageParts) throws Exception {
        Path scratch = Files.createDirectories(temp.resolve(scratchName)); // short: the socket path is limited
        Path history = temp.resolve(scratchName + "-history.jsonl");
        TestMount disk = TestMount.tmpfs(scratch, size);
        assumeTrue(disk != null, "cannot mount a " + size + " tmpfs here (needs root and a permissive sandbox)");
        try (disk) {
            // When the JVM is root the scratch server would run as another user, who must be able to reach it.
            for (Path dir : List.of(temp, scratch)) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            }
            PgRestoreVerifier verifier = verifier(engine).scratchDirectory(scratch).history(history).build();

            assertThatThrownBy(() -> verifier.verify(info.id()))
                .isInstanceOfSatisfying(DrkitException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                    assertThat(e.getMessage()).contains(messageParts);
                });
            try (var left = Files.list(scratch)) {
                assertThat(left).as("the scratch cluster's directory is removed").isEmpty();
            }
        }
        assertThat(history).doesNotExist();
    }

    @Test
    void aScratchDirectoryThatCannotBeMadeIsAnEnvironmentFailureAndNoReportIsMade() throws Exception {
        BackupEngine engine = engine(temp.resolve("no-scratch-store"));
        BackupInfo info = engine.backup(PgBackupSource.globals(server).source());
        Path file = Files.writeString(temp.resolve("a-file"), "not a directory");
        Path history = temp.resolve("no-scratch-history.jsonl");

        assertThatThrownBy(() -> verifier(engine).scratchDirectory(file.resolve("scratch")).history(history).build()
            .verify(info.id()))
            .isInstanceOfSatisfying(DrkitException.class, e -> {
                assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                assertThat(e.getMessage()).contains(file.resolve("scratch").toString());
            });
        assertThat(history).doesNotExist();
    }

    /** A file system store whose data objects, while {@link #failReads} is set, fail halfway with an I/O error. */
    static final class FlakyStore extends ForwardingStore {
        static final String FAILURE = "injected: the store's disk failed halfway";

        volatile boolean failReads;

        FlakyStore(BackupStore store) {
            super(store);
        }

        @Override
        public InputStream open(String backupId, String objectName) throws IOException {
            InputStream in = store.open(backupId, objectName);
            if (!failReads || !objectName.startsWith(BackupManifest.DATA_OBJECT_NAME)) {
                return in;
            }
            long half = store.size(backupId, objectName) / 2;
            return new FilterInputStream(in) {
                private long read;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (read >= half) {
                        throw new IOException(FAILURE);
                    }
                    int n = super.read(b, off, (int) Math.min(len, half - read));
                    read += Math.max(n, 0);
                    return n;
                }
            };
        }
    }

    // ------------------------------------------------------------------------------------------ standbys

    @Test
    void aBaseBackupOfAStandbyVerifiesWithAndWithoutPgVerifybackup() throws Exception {
        try (PgCluster standby = source.createReplica(ReplicaOptions.builder("pgvstandby").build())) {
            standby.awaitReplay(source.currentLsn(), Duration.ofSeconds(60));
            PgServer ofStandby = PgServer.builder(PgCluster.HOST, standby.port(), "backup").password(password).build();
            BackupEngine engine = engine(temp.resolve("standby-store"));
            BackupInfo info = engine.backup(PgBackupSource.baseBackup(ofStandby).source());
            // Taken from a standby, the backup holds standby.signal and its manifest lists it; the extraction leaves
            // it out, so that the scratch server does not wait for a primary.
            Map<String, byte[]> files = tarFiles(engine, info.id(), "standby.signal", "backup_manifest",
                "backup_label");
            assertThat(files).containsKey("standby.signal");
            assertThat(new String(files.get("backup_manifest"), StandardCharsets.UTF_8))
                .contains("\"Path\": \"standby.signal\"");
            assertThat(new String(files.get("backup_label"), StandardCharsets.UTF_8)).contains("BACKUP FROM: standby");

            RestoreVerificationReport withTool = verifier(engine).build().verify(info.id());
            RestoreVerificationReport withoutTool = verifier(engine).binaries(withoutPgVerifybackup()).build()
                .verify(info.id());

            for (RestoreVerificationReport report : List.of(withTool, withoutTool)) {
                assertThat(report.passed()).as(report.toText()).isTrue();
                assertThat(report.checks()).extracting(RestoreVerificationReport.Check::name)
                    .containsExactly("restore", "pg_verifybackup", "start", "row counts", "schema", "amcheck");
                assertThat(report.check("row counts").orElseThrow().outcome()).isEqualTo(StepOutcome.PASS);
            }
            assertThat(withTool.check("pg_verifybackup").orElseThrow().detail())
                .doesNotContain(PgRestoreVerifier.DRKIT_CHECKED);
            assertThat(withoutTool.check("pg_verifybackup").orElseThrow().detail())
                .contains(PgRestoreVerifier.DRKIT_CHECKED, "none is missing or extra");
        }
    }

    /** The content of the files {@code names} in base backup {@code id}'s tar, those it holds. */
    private static Map<String, byte[]> tarFiles(BackupEngine engine, String id, String... names) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        engine.restore(id, DecryptionKey.passphrase(PASSPHRASE), tar);
        Map<String, byte[]> found = new TreeMap<>();
        try (TarArchiveInputStream entries = new TarArchiveInputStream(
            new java.io.ByteArrayInputStream(tar.toByteArray()))) {
            TarArchiveEntry entry;
            while ((entry = entries.getNextEntry()) != null) {
                if (List.of(names).contains(entry.getName())) {
                    found.put(entry.getName(), entries.readAllBytes());
                }
            }
        }
        return found;
    }

    /** Every PostgreSQL program but {@code tool}, as links in a directory of their own (made once). */
    private static Path binariesWithout(String tool) throws IOException {
        // When the JVM is root the scratch server runs as another user, who must be able to reach the links.
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwx--x--x"));
        Path bin = temp.resolve("bin-without-" + tool);
        if (!Files.isDirectory(bin)) {
            Files.createDirectory(bin, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                "rwxr-xr-x")));
            try (var tools = Files.list(source.binaries().binDirectory())) {
                for (Path other : tools.toList()) {
                    if (!other.getFileName().toString().equals(tool)) {
                        Files.createSymbolicLink(bin.resolve(other.getFileName()), other.toRealPath());
                    }
                }
            }
        }
        return bin;
    }

    private static PgBinaries withoutPgVerifybackup() throws IOException {
        Path bin = binariesWithout("pg_verifybackup");
        PgBinaries binaries = PgBinaries.in(bin);
        assertThat(binaries.hasTool("pg_verifybackup")).isFalse();
        return binaries;
    }
}
