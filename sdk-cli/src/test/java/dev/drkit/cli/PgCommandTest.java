package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupSource;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.postgres.PgBackupSource;
import dev.drkit.backup.postgres.PgServer;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** drkit pg backup and drkit pg verify against a real PostgreSQL 15 server with password authentication. */
class PgCommandTest {

    static final String PASSWORD = "cli-" + UUID.randomUUID();
    static PgCluster source;

    @TempDir
    static Path dir;

    private static CliRun drkit(String... args) {
        return CliRun.of(args);
    }

    private static Path secretFile(String name, String value) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, value + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @BeforeAll
    static void startSource() {
        source = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("clisource").build());
        source.execute("CREATE ROLE backup LOGIN SUPERUSER REPLICATION PASSWORD '" + PASSWORD + "'");
        source.execute("CREATE DATABASE app");
        try (Connection c = source.connect("app"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id int PRIMARY KEY, name text)");
            st.execute("INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 500) i");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stopSource() {
        if (source != null) {
            source.close();
        }
    }

    private String[] backup(Path store, Path password, String... mode) throws IOException {
        Path passphrase = secretFile("passphrase", "pg cli passphrase");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("pg", "backup", "--host",
            PgCluster.HOST, "--port", Integer.toString(source.port()), "--user", "backup", "--password-file",
            password.toString(), "--store", store.toString(), "--passphrase-file", passphrase.toString()));
        args.addAll(java.util.List.of(mode));
        return args.toArray(String[]::new);
    }

    @Test
    void backsUpADatabaseAndVerifiesItByRestoring() throws Exception {
        Path store = dir.resolve("store");
        CliRun backup = drkit(backup(store, secretFile("password", PASSWORD), "--dbname", "app", "--label", "env=test"));
        assertThat(backup.code()).as(backup.err()).isEqualTo(0);
        String id = backup.out().trim();
        assertThat(id).isNotEmpty().doesNotContain("\n");

        Path history = dir.resolve("history.jsonl");
        CliRun verify = drkit("pg", "verify", "--store", store.toString(), "--id", id, "--passphrase-file",
            dir.resolve("passphrase").toString(), "--history", history.toString());
        assertThat(verify.code()).as(verify.out() + verify.err()).isEqualTo(0);
        assertThat(verify.out()).contains("PASS", "pg_restore", "row counts", "500 rows", "amcheck")
            .contains("History ").contains("1 runs, 1 passed, 0 failed; newest verified backup " + id);

        CliRun json = drkit("pg", "verify", "--store", store.toString(), "--id", id, "--passphrase-file",
            dir.resolve("passphrase").toString(), "--json");
        assertThat(json.code()).isEqualTo(0);
        assertThat(json.out()).startsWith("{\"format\":\"drkit.pg-restore-verification/1\"").contains("\"passed\":true");
    }

    @Test
    void allMakesTheGlobalsAndOneDumpPerDatabase() throws Exception {
        Path store = dir.resolve("all-store");
        CliRun backup = drkit(backup(store, secretFile("password-all", PASSWORD), "--all", "--json"));
        assertThat(backup.code()).as(backup.err()).isEqualTo(0);
        String[] lines = backup.out().trim().split("\n");
        assertThat(lines).hasSize(3);  // globals, app, postgres
        assertThat(backup.out()).contains("\"pg.kind\":\"globals\"", "\"pg.database\":\"app\"",
            "\"pg.database\":\"postgres\"", "\"pg.run.size\":\"3\"");
    }

    @Test
    void aConnectionStringInPlaceOfTheHostOrRoleIsAUsageErrorThatDoesNotRepeatIt() throws Exception {
        Path store = dir.resolve("uri-store");
        String[] args = backup(store, secretFile("password-uri", PASSWORD), "--dbname", "app");
        String uri = "postgresql://app:s3cret-in-uri@127.0.0.1:5432/app";
        String[] withUri = args.clone();
        String[] withSettings = args.clone();
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--host")) {
                withUri[i + 1] = uri;
            }
            if (args[i].equals("--user")) {
                withSettings[i + 1] = "app password=s3cret-in-user";
            }
        }

        CliRun host = drkit(withUri);
        CliRun user = drkit(withSettings);

        assertThat(host.code()).as(host.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(host.err()).contains("--host must be a host name or address, not a connection string")
            .doesNotContain("s3cret-in-uri");
        assertThat(user.code()).as(user.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(user.err()).contains("--user must be a role name").doesNotContain("s3cret-in-user");
        assertThat(store).doesNotExist();
    }

    @Test
    void aWrongPasswordExitsWithThreeAndAClearLineAndKeepsNothing() throws Exception {
        Path store = dir.resolve("wrong-store");
        String wrong = "wrong-" + UUID.randomUUID();
        CliRun backup = drkit(backup(store, secretFile("wrong", wrong), "--dbname", "app"));
        assertThat(backup.code()).isEqualTo(3);
        assertThat(backup.err()).startsWith("drkit pg backup: ").contains("password authentication failed")
            .doesNotContain(wrong).hasLineCount(1);
        assertThat(backup.out()).isEmpty();
        CliRun list = drkit("list", "--store", store.toString());
        assertThat(list.out()).doesNotContain("app.dump");
    }

    @Test
    void verifyExitsWithOneWhenTheRestoredRowsDoNotMatchTheRecordedCounts() throws Exception {
        Path store = dir.resolve("tamper-store");
        CliRun backup = drkit(backup(store, secretFile("password-tamper", PASSWORD), "--dbname", "app"));
        assertThat(backup.code()).as(backup.err()).isEqualTo(0);
        String honest = backup.out().trim();
        Secret passphrase = Secret.ofString("pg cli passphrase", "passphrase");
        Secret password = Secret.ofString(PASSWORD, "password");
        try (BackupStore backups = FileSystemStore.open(store)) {
            BackupEngine engine = BackupEngine.builder(backups).encryption(Encryption.passphrase(passphrase)).build();
            java.util.Map<String, String> recorded = engine.manifest(honest).labels();
            try (Connection c = source.connect("app"); Statement st = c.createStatement()) {
                st.execute("DELETE FROM items WHERE id > 490");
            }
            PgServer server = PgServer.builder(PgCluster.HOST, source.port(), "backup").password(password).build();
            // A later dump stored under the earlier dump's labels: its rows no longer match the recorded counts.
            String tampered = engine.backup(BackupSource.stream("app.dump",
                    () -> PgBackupSource.dump(server, "app").withRowCounts(false).open())
                .withLabelsAfterRead(() -> recorded)).id();

            CliRun verify = drkit("pg", "verify", "--store", store.toString(), "--id", tampered, "--passphrase-file",
                dir.resolve("passphrase").toString());

            assertThat(verify.code()).isEqualTo(1);
            assertThat(verify.out()).contains("FAIL", "recorded 1 tables and 500 rows, restored 1 tables and 490 rows");
            assertThat(verify.err()).startsWith("drkit pg verify: backup " + tampered + " failed verification: row counts")
                .hasLineCount(1);
        } finally {
            try (Connection c = source.connect("app"); Statement st = c.createStatement()) {
                st.execute("INSERT INTO items SELECT i, 'item ' || i FROM generate_series(491, 500) i");
            }
            password.close();
            passphrase.close();
        }
    }

    @Test
    void aModeIsRequired() throws Exception {
        CliRun backup = drkit(backup(dir.resolve("usage-store"), secretFile("password-usage", PASSWORD)));
        assertThat(backup.code()).isEqualTo(2);
        assertThat(backup.err()).contains("exactly one of --dbname DB, --all or --base-backup");
    }
}
