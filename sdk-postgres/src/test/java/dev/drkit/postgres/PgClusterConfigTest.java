package dev.drkit.postgres;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgClusterConfigTest {

    @Test
    void defaultsSuitAPrimaryThatReplicasStreamFrom() {
        PgClusterConfig config = PgClusterConfig.ofDefaults();

        assertThat(config.name()).isEqualTo("pg");
        assertThat(config.superuser()).isEqualTo("postgres");
        assertThat(config.port()).isZero();
        assertThat(config.fsync()).isTrue();
        assertThat(config.maxWalSenders()).isEqualTo(10);
        assertThat(config.walKeepSize()).isEqualTo("64MB");
        assertThat(config.settings()).isEmpty();
        assertThat(config.binaries()).isEmpty();
        assertThat(config.runAsUser()).isEmpty();
        assertThat(config.deleteOnClose()).isTrue();
        assertThat(config.startTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.socketTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.baseDirectory()).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")));
    }

    @Test
    void testConfigurationTurnsFsyncOffAndShrinksMemory() {
        PgClusterConfig config = PgClusterConfig.forTests();

        assertThat(config.fsync()).isFalse();
        assertThat(config.settings()).containsEntry("shared_buffers", "16MB").containsEntry("max_connections", "40");
    }

    @Test
    void rebuildsToAnEqualConfiguration() {
        PgClusterConfig config = PgClusterConfig.builder().name("orders").port(54321).superuser("admin")
            .runAsUser("nobody").fsync(false).maxWalSenders(4).walKeepSize("1GB")
            .setting("work_mem", "8MB").setting("auto_explain.log_min_duration", "0")
            .startTimeout(Duration.ofSeconds(5)).stopTimeout(Duration.ofSeconds(6)).deleteOnClose(false)
            .socketTimeout(Duration.ofSeconds(7)).baseDirectory(Path.of("/var/tmp")).build();

        assertThat(config.toBuilder().build()).isEqualTo(config).hasSameHashCodeAs(config);
        assertThat(config.toBuilder().port(0).build()).isNotEqualTo(config);
        assertThat(config.toBuilder().socketTimeout(Duration.ofSeconds(8)).build()).isNotEqualTo(config);
        assertThat(config.socketTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(config.settings()).containsExactly(Map.entry("work_mem", "8MB"),
            Map.entry("auto_explain.log_min_duration", "0"));
        assertThat(config.toString()).contains("orders").contains("54321");
    }

    @Test
    void rejectsBadValuesNamingTheConstraintAndTheValue() {
        PgClusterConfig.Builder b = PgClusterConfig.builder();

        assertThatThrownBy(() -> b.name("Orders!")).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("name must be 1 to 30 lowercase letters, digits, '_' or '-', starting with a letter,"
                + " but was \"Orders!\"");
        assertThatThrownBy(() -> b.port(80)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("port must be between 1024 and 65535, but was 80");
        assertThatThrownBy(() -> b.superuser("Robert'); DROP")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("superuser must be");
        assertThatThrownBy(() -> b.maxWalSenders(0)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("maxWalSenders must be between 1 and 100, but was 0");
        assertThatThrownBy(() -> b.walKeepSize("lots")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("but was \"lots\"");
        assertThatThrownBy(() -> b.startTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("startTimeout must be positive, but was PT0S");
        assertThatThrownBy(() -> b.baseDirectory(Path.of("relative"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.runAsUser("no body")).isInstanceOf(IllegalArgumentException.class);
        // the server would put its socket in /srv/a, and psql -h would look in /srv/a and in b
        assertThatThrownBy(() -> PgClusterConfig.builder().baseDirectory(Path.of("/srv/a,b")).build())
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not hold a comma")
            .hasMessageEndingWith("but was /srv/a,b");
    }

    @Test
    void refusesSettingsThatDrkitManagesOrThatCannotBeWritten() {
        PgClusterConfig.Builder b = PgClusterConfig.builder();

        for (String reserved : new String[] {"port", "listen_addresses", "unix_socket_directories",
            "synchronous_standby_names", "primary_conninfo", "PORT"}) {
            assertThatThrownBy(() -> b.setting(reserved, "x")).as(reserved)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is managed by PgCluster");
        }
        assertThatThrownBy(() -> b.setting("work mem", "1MB")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.setting("work_mem", "1MB\nport = 5")).isInstanceOf(IllegalArgumentException.class);
    }
}
