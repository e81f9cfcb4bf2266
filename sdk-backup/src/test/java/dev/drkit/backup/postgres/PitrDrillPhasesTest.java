package dev.drkit.backup.postgres;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PitrDrillPhasesTest {

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    @Test
    void theRtoIsEveryPhaseUpToTheChecksAndTheTotalAddsTheCleanup() {
        PitrDrillReport.Phases phases = new PitrDrillReport.Phases(ms(400), ms(30), ms(50), ms(1800), ms(70), ms(200));

        assertThat(phases.rto()).isEqualTo(ms(2350));
        assertThat(phases.total()).isEqualTo(ms(2550));
    }

    @Test
    void refusesANegativePhase() {
        assertThatThrownBy(() -> new PitrDrillReport.Phases(ms(1), ms(1), ms(-1), ms(1), ms(1), ms(1)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("must not be negative");
    }
}
