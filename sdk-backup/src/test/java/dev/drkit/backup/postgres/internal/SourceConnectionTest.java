package dev.drkit.backup.postgres.internal;

import dev.drkit.backup.postgres.PgConnectionException;
import dev.drkit.backup.postgres.PgServer;
import dev.drkit.core.secret.Secret;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The JDBC connection to a server being backed up honours libpq's TLS variables, as the tools do, against a real
 * PostgreSQL 15 that offers no TLS (ssl = off).
 */
class SourceConnectionTest {

    private static PgCluster cluster;
    private static PgServer server;

    @BeforeAll
    static void start() {
        cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("pgsourceconn").build());
        cluster.execute("CREATE ROLE reader LOGIN PASSWORD 'reader password'");
        server = PgServer.builder(PgCluster.HOST, cluster.port(), "reader")
            .password(Secret.ofString("reader password", "password")).build();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void pgsslmodeRequireRefusesAServerWithoutTlsInsteadOfSendingThePasswordInPlainText() {
        Map<String, String> environment = Map.of("PGSSLMODE", "require");

        assertThatThrownBy(() -> SourceConnection.open(server, "postgres", environment::get))
            .isInstanceOf(PgConnectionException.class).hasMessageContaining("SSL");
    }

    @Test
    void withoutTlsVariablesTheDriversDefaultConnects() {
        try (SourceConnection c = SourceConnection.open(server, "postgres", name -> null)) {
            assertThat(c.query("SELECT current_user").get(0).get(0)).isEqualTo("reader");
        }
    }

    @Test
    void eachLibpqTlsVariableBecomesTheDriversProperty() {
        Map<String, String> environment = Map.of("PGSSLMODE", "verify-full", "PGSSLROOTCERT", "/etc/ssl/root.crt",
            "PGSSLCERT", "/home/backup/client.crt", "PGSSLKEY", "/home/backup/client.pk8", "PGSSLCRL", "ignored",
            "PGPASSWORD", "never a property");

        assertThat(SourceConnection.tlsSettings(environment::get)).containsExactly(
            Map.entry("sslmode", "verify-full"), Map.entry("sslrootcert", "/etc/ssl/root.crt"),
            Map.entry("sslcert", "/home/backup/client.crt"), Map.entry("sslkey", "/home/backup/client.pk8"));
    }
}
