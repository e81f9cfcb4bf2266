package dev.drkit.backup.postgres;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgServerTest {

    @Test
    void aSocketDirectoryIsRefusedAtOnceSinceTheJdbcConnectionNeedsTcp() {
        // accepted, it failed every backup later with the driver's "does not accept the URL"
        assertThatThrownBy(() -> PgServer.builder("/var/run/postgresql", 5432, "backup"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("not a socket directory").hasMessageContaining("127.0.0.1");
    }

    @Test
    void hostNamesAndAddressesAreAccepted() {
        for (String host : new String[] {"db.example.com", "127.0.0.1", "::1", "[::1]", "pg-primary_1"}) {
            assertThat(PgServer.builder(host, 5432, "backup").build().host()).isEqualTo(host);
        }
    }

    @Test
    void aConnectionStringIsRefused() {
        assertThatThrownBy(() -> PgServer.builder("host=db sslmode=disable", 5432, "backup"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PgServer.builder("postgres://db/app", 5432, "backup"))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
