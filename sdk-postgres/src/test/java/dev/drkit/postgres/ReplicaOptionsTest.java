package dev.drkit.postgres;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplicaOptionsTest {

    @Test
    void defaultsToAnAsynchronousReplicaCopiedByWhateverIsAvailable() {
        ReplicaOptions options = ReplicaOptions.builder("standby").build();

        assertThat(options.name()).isEqualTo("standby");
        assertThat(options.mode()).isEqualTo(ReplicationMode.ASYNC);
        assertThat(options.method()).isEqualTo(BaseBackupMethod.AUTO);
        assertThat(options.port()).isZero();
        assertThat(options.timeout()).isEqualTo(ReplicaOptions.DEFAULT_TIMEOUT);
        assertThat(ReplicaOptions.sync("standby").mode()).isEqualTo(ReplicationMode.SYNC);
        assertThat(ReplicaOptions.async("standby")).isEqualTo(options);
    }

    @Test
    void rebuildsToEqualOptions() {
        ReplicaOptions options = ReplicaOptions.builder("standby-2").mode(ReplicationMode.SYNC)
            .method(BaseBackupMethod.LOW_LEVEL_API).port(50000).setting("hot_standby_feedback", "on")
            .timeout(Duration.ofSeconds(9)).build();

        assertThat(options.toBuilder().build()).isEqualTo(options).hasSameHashCodeAs(options);
        assertThat(options.settings()).containsEntry("hot_standby_feedback", "on");
    }

    @Test
    void rejectsBadNamesPortsSettingsAndTimeouts() {
        assertThatThrownBy(() -> ReplicaOptions.builder("Replica 1")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("but was \"Replica 1\"");
        assertThatThrownBy(() -> ReplicaOptions.builder("r").port(1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReplicaOptions.builder("r").setting("primary_slot_name", "x"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("managed by PgCluster");
        assertThatThrownBy(() -> ReplicaOptions.builder("r").timeout(Duration.ofSeconds(-1)))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
