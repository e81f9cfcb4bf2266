package dev.drkit.backup.postgres.internal;

import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The environment and the PGPASSFILE a PostgreSQL tool gets. */
class ChildEnvironmentTest {

    @Test
    void anInheritedPasswordOrConnectionSettingNeverReachesTheTool() {
        Map<String, String> env = ChildEnvironment.of(Map.of("PGPASSWORD", "leaked", "PGHOST", "elsewhere",
            "PGSERVICE", "other", "PATH", "/usr/bin", "PGSSLMODE", "verify-full"), Path.of("/x/pgpass"));

        assertThat(env).doesNotContainKeys("PGPASSWORD", "PGHOST", "PGSERVICE")
            .containsEntry("PGPASSFILE", "/x/pgpass").containsEntry("PATH", "/usr/bin")
            .containsEntry("PGSSLMODE", "verify-full").containsEntry("LC_ALL", "C");
        assertThat(env.values()).doesNotContain("leaked");
    }

    @Test
    void variablesASecretWasReadFromAndUnrelatedOnesNeverReachTheTool() {
        // as `drkit pg backup --password-env DB_PASSWORD --passphrase-env PGBACKUP_PASSPHRASE` reads them
        Secrets.envSource("DB_PASSWORD");
        Secrets.envSource("PGBACKUP_PASSPHRASE");
        Map<String, String> env = ChildEnvironment.of(Map.of("DB_PASSWORD", "db-secret", "PGBACKUP_PASSPHRASE",
            "backup-secret", "AWS_SECRET_ACCESS_KEY", "aws-secret", "PATH", "/usr/bin", "TZ", "UTC",
            "PGSSLROOTCERT", "/etc/ca.pem"), null);

        assertThat(env).containsOnlyKeys("PATH", "TZ", "PGSSLROOTCERT", "LC_ALL", "LANG");
        assertThat(env.values()).doesNotContain("db-secret", "backup-secret", "aws-secret");
    }

    @Test
    void withoutAPasswordThereIsNoPgpassfile() {
        assertThat(ChildEnvironment.of(Map.of("PGPASSFILE", "/home/u/.pgpass"), null)).doesNotContainKey("PGPASSFILE");
    }

    @Test
    void thePgpassLineEscapesColonsAndBackslashes() {
        try (Secret password = Secret.ofString("a:b\\c", "pw"); Secret line = PgPass.line("u:1", password)) {
            assertThat(new String(line.revealBytes(), StandardCharsets.UTF_8)).isEqualTo("*:*:*:u\\:1:a\\:b\\\\c\n");
        }
    }

    @Test
    void aPasswordWithALineBreakIsRefused() {
        try (Secret password = Secret.ofString("a\nb", "pw")) {
            assertThatThrownBy(() -> PgPass.line("u", password)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("a\nb");
        }
    }

    @Test
    void theFileIsPrivateAndGoneAfterClose() throws Exception {
        Path file;
        try (Secret password = Secret.ofString("pw", "pw"); PgPass pass = PgPass.create("pg-test", "u", password)) {
            file = pass.file();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(Files.readString(file)).isEqualTo("*:*:*:u:pw\n");
        }
        assertThat(file).doesNotExist();
        assertThat(file.getParent()).doesNotExist();
    }
}
