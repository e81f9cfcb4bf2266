package dev.drkit.postgres;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PgCluster#restore}: a cluster made from a copy of another one's data directory (a base backup). */
class PgClusterRestoreTest {

    private static PgCluster origin;
    private static Path backup;

    @BeforeAll
    static void makeBackup() throws Exception {
        origin = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("restore-origin").build());
        origin.execute("CREATE TABLE t (v int); INSERT INTO t SELECT generate_series(1, 42)");
        // settings a copy must not keep: archiving to somewhere and streaming from its origin
        origin.execute("ALTER SYSTEM SET archive_command = 'cp %p /nonexistent/%f'");
        origin.execute("ALTER SYSTEM SET primary_conninfo = 'host=192.0.2.1'");
        backup = Files.createTempDirectory("drkit-restore-test-");
        Process p = new ProcessBuilder(origin.binaries().tool("pg_basebackup").toString(),
            "-h", origin.socketDirectory().toString(), "-p", Integer.toString(origin.port()),
            "-U", origin.superuser(), "-D", backup.resolve("base").toString(), "-Fp", "-X", "stream", "-c", "fast",
            "--no-sync").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0).as(output).isTrue();
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (origin != null) {
            origin.close();
        }
        if (backup != null) {
            try (Stream<Path> walk = Files.walk(backup)) {
                walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static void copyBackup(Path target) throws IOException {
        Path source = backup.resolve("base");
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(target.resolve(source.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, target.resolve(source.relativize(file).toString()));
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @Test
    void startsACopyReachableOnlyThroughItsSocketWithoutItsOriginsArchiveCommand() throws IOException {
        Path directory;
        try (PgCluster copy = PgCluster.restore(PgClusterConfig.forTests().toBuilder().name("restored").build(),
            PgClusterRestoreTest::copyBackup)) {
            directory = copy.directory();
            copy.start();

            assertThat(copy.psql("postgres", "postgres", "SELECT count(*), sum(v) FROM t")).isEqualTo("42|903");
            assertThat(copy.psql("postgres", "postgres", "SELECT current_setting('archive_mode') || ','"
                + " || current_setting('archive_command') || ',' || current_setting('primary_conninfo')"))
                .isEqualTo("off,(disabled),");
            assertThat(Files.readString(copy.dataDirectory().resolve("postgresql.auto.conf")))
                .doesNotContain("archive_command", "primary_conninfo", "/nonexistent");
            // the copy's roles and passwords are unknown here: TCP is refused, the socket is the only way in
            assertThatThrownBy(copy::connect).isInstanceOf(PostgresException.class);
            assertThat(copy.psql("postgres", "postgres", "SELECT setting FROM pg_settings WHERE name = 'port'"))
                .isEqualTo(Integer.toString(copy.port()));
        }
        assertThat(directory).doesNotExist();
    }

    @Test
    void aCopyRunsOnItsOwnFilesWhateverDirectoryArchiveOrStandbysItsOriginsConfigurationNames() {
        // settings an origin may well have in its postgresql.conf, each naming the origin or its neighbours
        String originSettings = "\ndata_directory = '" + origin.dataDirectory() + "'\n"
            + "external_pid_file = '" + origin.directory().resolve("copy-wrote-this.pid") + "'\n"
            + "archive_mode = on\narchive_command = 'cp %p " + origin.directory().resolve("archive") + "/%f'\n"
            + "synchronous_standby_names = 'FIRST 1 (s1)'\n";
        try (PgCluster copy = PgCluster.restore(PgClusterConfig.forTests().toBuilder().name("restored-own").build(),
            target -> {
                copyBackup(target);
                String conf = Files.readString(target.resolve("postgresql.conf"));
                Files.writeString(target.resolve("postgresql.conf"), conf + originSettings);
            })) {
            copy.start();

            assertThat(copy.psql("postgres", "postgres", "SHOW data_directory"))
                .isEqualTo(copy.dataDirectory().toString());
            // with the origin's synchronous_standby_names, a write would wait for a standby named s1 for ever
            copy.psql("postgres", "postgres", "CREATE TABLE written_in_the_copy (v int)");
            assertThat(copy.psql("postgres", "postgres", "SELECT current_setting('archive_mode') || ','"
                + " || current_setting('archive_command') || ',' || current_setting('external_pid_file')"))
                .isEqualTo("off,(disabled),");
        }
        assertThat(origin.directory().resolve("copy-wrote-this.pid")).doesNotExist();
        assertThat(origin.psql("postgres", "postgres", "SELECT count(*) FROM t")).isEqualTo("42");
        assertThat(origin.psql("postgres", "postgres",
            "SELECT count(*) FROM pg_class WHERE relname = 'written_in_the_copy'")).isEqualTo("0");
    }

    @Test
    void refusesACopyWhoseTablespaceOrWalIsALinkOutsideItAndTouchesNothingThere() throws IOException {
        Path outside = Files.createDirectories(backup.resolve("origin-tablespace"));
        Path originsFile = Files.writeString(outside.resolve("16385"), "the origin's table");
        var before = Files.getOwner(outside);

        assertThatThrownBy(() -> PgCluster.restore(PgClusterConfig.forTests().toBuilder().name("linked").build(),
            target -> {
                copyBackup(target);
                Files.createSymbolicLink(target.resolve("pg_tblspc").resolve("16384"), outside);
            }))
            .isInstanceOf(PostgresException.class).hasMessageContaining("symbolic link, pg_tblspc/16384");
        assertThatThrownBy(() -> PgCluster.restore(PgClusterConfig.forTests().toBuilder().name("mapped").build(),
            target -> {
                copyBackup(target);
                Files.writeString(target.resolve("tablespace_map"), "16384 " + outside + "\n");
            }))
            .isInstanceOf(PostgresException.class).hasMessageContaining("tablespace_map");
        assertThat(Files.getOwner(outside)).isEqualTo(before);
        assertThat(Files.readString(originsFile)).isEqualTo("the origin's table");
    }

    @Test
    void overridesTheCopysSettingsWhateverFormItsAutoConfUses() {
        try (PgCluster copy = PgCluster.restore(PgClusterConfig.forTests().toBuilder().name("restored-forms").build(),
            target -> {
                copyBackup(target);
                Files.writeString(target.resolve("extra.conf"), "cluster_name = 'from-an-include'\n");
                Files.writeString(target.resolve("postgresql.auto.conf"), "listen_addresses '0.0.0.0'\n"
                    + "LISTEN_ADDRESSES = '0.0.0.0'\ninclude 'extra.conf'\n", java.nio.file.StandardOpenOption.APPEND);
            })) {
            copy.start();

            assertThat(copy.psql("postgres", "postgres", "SHOW listen_addresses")).isEqualTo("127.0.0.1");
            assertThat(copy.psql("postgres", "postgres", "SHOW cluster_name")).isEqualTo("restored-forms");
        }
    }

    @Test
    void refusesSomethingThatIsNotADataDirectory() {
        assertThatThrownBy(() -> PgCluster.restore(PgClusterConfig.forTests().toBuilder().name("not-data").build(),
            dir -> Files.writeString(dir.resolve("hello"), "x")))
            .isInstanceOf(PostgresException.class).hasMessageContaining("no PG_VERSION");
    }

    @Test
    void refusesACopyOfAnotherMajorVersion() {
        assertThatThrownBy(() -> PgCluster.restore(PgClusterConfig.forTests().toBuilder().name("other-major").build(),
            dir -> {
                copyBackup(dir);
                Files.writeString(dir.resolve("PG_VERSION"), "9\n");
            }))
            .isInstanceOf(PostgresException.class).hasMessageContaining("PostgreSQL 9 cluster");
    }

    @Test
    void passesOnTheWritersFailure() {
        assertThatThrownBy(() -> PgCluster.restore(PgClusterConfig.forTests().toBuilder().name("failing").build(),
            dir -> {
                throw new IOException("tape jammed");
            }))
            .isInstanceOf(PostgresException.class).hasMessageContaining("tape jammed")
            .hasCauseInstanceOf(IOException.class);
    }
}
