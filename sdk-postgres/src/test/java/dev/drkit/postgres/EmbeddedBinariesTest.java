package dev.drkit.postgres;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The server binaries from the zonky jar: unpacked, run, and used for a whole cluster with a replica. */
class EmbeddedBinariesTest {

    @Test
    void unpacksTheEmbeddedServerWhenNothingIsInstalledAndRunsItsInitdb() throws Exception {
        Path cache = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        PgBinaries embedded = PgBinaries.locator()
            .environment(Map.of("PATH", "/nonexistent"))
            .debianRoot(Path.of("/nonexistent"))
            .locate();

        assertThat(embedded.source()).isEqualTo(PgBinaries.Source.EMBEDDED);
        assertThat(embedded.majorVersion()).isEqualTo(15);
        assertThat(embedded.version()).startsWith("15.");
        assertThat(embedded.binDirectory()).startsWith(cache);
        assertThat(embedded.searched()).anyMatch(s -> s.contains("pg_config on PATH: not found"));
        Process initdb = new ProcessBuilder(embedded.tool("initdb").toString(), "--version").redirectErrorStream(true).start();
        String output = new String(initdb.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(initdb.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(initdb.exitValue()).isZero();
        assertThat(output).startsWith("initdb (PostgreSQL) " + embedded.version());
        // Readable and runnable by an unprivileged user, writable only by the owner.
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(embedded.tool("postgres"))))
            .isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(embedded.binDirectory().getParent())))
            .isEqualTo("rwxr-xr-x");
    }

    @Test
    void saysClearlyWhichToolsTheEmbeddedBinariesLack() {
        PgBinaries embedded = PgBinaries.embedded();

        assertThat(embedded.hasTool("pg_ctl")).isTrue();
        for (String tool : new String[] {"pg_basebackup", "pg_dump", "pg_waldump", "pg_verifybackup"}) {
            assertThat(embedded.hasTool(tool)).as(tool).isFalse();
        }
        assertThatThrownBy(() -> embedded.tool("pg_dump", "a logical backup"))
            .isInstanceOf(MissingToolException.class)
            .hasMessageContaining("PostgreSQL tool 'pg_dump' (needed for a logical backup) was not found")
            .hasMessageContaining("the embedded binaries ship only initdb, pg_ctl and postgres")
            .hasMessageContaining("PG_BIN")
            .satisfies(e -> {
                MissingToolException mte = (MissingToolException) e;
                assertThat(mte.tool()).isEqualTo("pg_dump");
                assertThat(mte.neededFor()).isEqualTo("a logical backup");
                assertThat(mte.searched()).singleElement().asString().contains(embedded.binDirectory().toString());
                assertThat(mte.context()).containsEntry("tool", "pg_dump");
            });
    }

    @Test
    void runsAClusterAndAReplicaFromTheEmbeddedBinaries() {
        PgBinaries embedded = PgBinaries.embedded();
        PgClusterConfig config = PgClusterConfig.forTests().toBuilder().name("embedded").binaries(embedded).build();
        try (PgCluster primary = PgCluster.start(config)) {
            assertThat(primary.queryValue("SELECT version()")).hasValueSatisfying(
                v -> assertThat(v).startsWith("PostgreSQL " + embedded.version()));
            assertThatThrownBy(() -> primary.createReplica(ReplicaOptions.builder("needs-pgbb")
                .method(BaseBackupMethod.PG_BASEBACKUP).build()))
                .isInstanceOf(MissingToolException.class)
                .hasMessageContaining("'pg_basebackup' (needed for creating replica 'needs-pgbb' with pg_basebackup)");

            // AUTO falls back to the low-level backup API, which needs only the server.
            try (PgCluster replica = primary.createReplica(ReplicaOptions.async("embedded-replica"))) {
                primary.execute("CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2), (3)");
                replica.awaitReplay(primary.currentLsn(), Duration.ofSeconds(30));
                assertThat(replica.queryLong("SELECT sum(v) FROM t")).isEqualTo(6);
                assertThat(replica.binaries()).isEqualTo(embedded);
            }
        }
    }
}
