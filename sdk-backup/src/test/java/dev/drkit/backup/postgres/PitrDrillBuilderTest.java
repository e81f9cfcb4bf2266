package dev.drkit.backup.postgres;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PitrDrillBuilderTest {

    private static final Instant T = Instant.parse("2026-11-23T14:05:00Z");

    @Test
    void needsABaseBackupAWalSourceAndATarget() {
        assertThatThrownBy(() -> PitrDrill.builder().archive(Path.of("/a")).targetTime(T).build())
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("base backup");
        assertThatThrownBy(() -> PitrDrill.builder().baseBackup(Path.of("/b")).targetTime(T).build())
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("archive directory or a restore command");
        assertThatThrownBy(() -> PitrDrill.builder().baseBackup(Path.of("/b")).archive(Path.of("/a")).build())
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("target time");
    }

    @Test
    void rejectsATimeoutBeyondSevenDays() {
        assertThatThrownBy(() -> PitrDrill.builder().timeout(Duration.ofDays(999_999_999)))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be at most 7 days, but was "
                + Duration.ofDays(999_999_999));
        assertThat(PitrDrill.builder().timeout(PitrDrill.MAX_TIMEOUT).baseBackup(Path.of("/b")).archive(Path.of("/a"))
            .targetTime(T).build()).isNotNull();
    }

    @Test
    void theLastWalSourceGivenWins() {
        PitrDrill drill = PitrDrill.builder().baseBackup(Path.of("/b")).archive(Path.of("/a"))
            .restoreCommand("drkit wal-fetch --store /s %f %p").targetTime(T).build();
        assertThat(drill.restoreCommand()).isEqualTo("drkit wal-fetch --store /s %f %p");

        PitrDrill back = PitrDrill.builder().baseBackup(Path.of("/b")).restoreCommand("x %f %p")
            .archive(Path.of("/arch ive")).targetTime(T).build();
        assertThat(back.restoreCommand()).isEqualTo("cp '/arch ive'/%f %p");
    }

    @Test
    void rejectsARestoreCommandWithoutItsPlaceholdersOrOnSeveralLines() {
        assertThatThrownBy(() -> PitrDrill.builder().restoreCommand("cp /a/x %p"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("%f and %p");
        assertThatThrownBy(() -> PitrDrill.builder().restoreCommand("cp /a/%f %p\nrm -rf /"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one line");
    }

    @Test
    void rowCountChecksQuoteTheTableAndRejectOtherText() {
        PitrDrill drill = PitrDrill.builder().baseBackup(Path.of("/b")).archive(Path.of("/a")).targetTime(T)
            .expectRowCount("public.Orders", 7).build();
        assertThat(drill.checks()).containsExactly(
            new PitrDrill.Check("rows in public.Orders", "SELECT count(*) FROM \"public\".\"Orders\"", "7"));
        assertThatThrownBy(() -> PitrDrill.builder().expectRowCount("orders; DROP TABLE x", 1))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PitrDrill.builder().expectRowCount("orders", -1))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void targetTimelineIsLatestCurrentOrANumber() {
        PitrDrill.builder().targetTimeline("latest").targetTimeline("current").targetTimeline("3");
        assertThatThrownBy(() -> PitrDrill.builder().targetTimeline("0"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PitrDrill.builder().targetTimeline("latest'; x"))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
