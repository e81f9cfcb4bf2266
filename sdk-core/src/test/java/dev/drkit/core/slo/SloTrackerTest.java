package dev.drkit.core.slo;

import dev.drkit.core.testing.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.LongUnaryOperator;

import org.junit.jupiter.api.Test;

class SloTrackerTest {

    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final BurnRateAlert FAST_PAGE = BurnRateAlert.workbookDefaults().get(0);
    private static final BurnRateAlert SLOW_PAGE = BurnRateAlert.workbookDefaults().get(1);
    private static final BurnRateAlert TICKET = BurnRateAlert.workbookDefaults().get(2);

    private final MutableClock clock = new MutableClock(START);

    private SloTracker availability999() {
        return SloTracker.of(ServiceLevelObjective.availability("checkout", 0.999).clock(clock).build());
    }

    /**
     * Thirty days of 10 000 events an hour, {@code bad.applyAsLong(hour)} of them bad, each hour's recorded at
     * its end (an event stands for the traffic up to when it is recorded); calls {@code probe} at the end of
     * hour {@code probeHour}.
     */
    private void thirtyDays(SloTracker tracker, LongUnaryOperator bad, long probeHour, Runnable probe) {
        for (long hour = 0; hour < 720; hour++) {
            clock.set(START.plus(Duration.ofHours(hour + 1)));
            long badEvents = bad.applyAsLong(hour);
            tracker.record(10_000 - badEvents, badEvents);
            if (hour == probeHour) {
                probe.run();
            }
        }
    }

    @Test
    void burnRate14Point4ForOneHourConsumesTwoPercentOfTheBudget() {
        SloTracker tracker = availability999();

        thirtyDays(tracker, hour -> hour == 700 ? 144 : 0, 700,
            () -> assertThat(tracker.burnRate(Duration.ofHours(1))).isCloseTo(14.4, within(1e-9)));

        assertThat(tracker.errorBudgetRemaining()).isCloseTo(0.98, within(1e-9));
    }

    @Test
    void burnRate6ForSixHoursConsumesFivePercentOfTheBudget() {
        SloTracker tracker = availability999();

        thirtyDays(tracker, hour -> hour >= 600 && hour < 606 ? 60 : 0, 605,
            () -> assertThat(tracker.burnRate(Duration.ofHours(6))).isCloseTo(6.0, within(1e-9)));

        assertThat(tracker.errorBudgetRemaining()).isCloseTo(0.95, within(1e-9));
    }

    @Test
    void burnRate1ForThreeDaysConsumesTenPercentOfTheBudget() {
        SloTracker tracker = availability999();

        thirtyDays(tracker, hour -> hour >= 600 && hour < 672 ? 10 : 0, 671,
            () -> assertThat(tracker.burnRate(Duration.ofDays(3))).isCloseTo(1.0, within(1e-9)));

        assertThat(tracker.errorBudgetRemaining()).isCloseTo(0.90, within(1e-9));
    }

    @Test
    void aFullOutagePagesJustAfterTheWorkbooksDetectionTimeAndStopsSoonAfterItEnds() {
        SloTracker tracker = availability999();
        // Six hours of one good event a second, so that every page window is full; each event stands for the
        // second before it.
        for (int second = 0; second < 6 * 3600; second++) {
            clock.advance(Duration.ofSeconds(1));
            tracker.record(true);
        }
        Instant outageStart = clock.instant();

        Duration detectedAfter = null;
        while (detectedAfter == null) {
            clock.advance(Duration.ofSeconds(1));
            tracker.record(false);
            if (tracker.firingAlerts().contains(FAST_PAGE)) {
                detectedAfter = Duration.between(outageStart, clock.instant());
            }
        }
        // The workbook: 0.864 minutes at 100% errors. Within one bucket (a minute) after it.
        Duration workbook = FAST_PAGE.detectionTime(1.0, 0.999).orElseThrow();
        assertThat(detectedAfter).isBetween(workbook, workbook.plusMinutes(1));
        assertThat(detectedAfter).isEqualTo(Duration.ofSeconds(52));
        assertThat(tracker.firingAlerts()).doesNotContain(SLOW_PAGE);

        while (Duration.between(outageStart, clock.instant()).compareTo(Duration.ofMinutes(10)) < 0) {
            clock.advance(Duration.ofSeconds(1));
            tracker.record(false);
        }
        Instant outageEnd = clock.instant();
        Duration resetAfter = null;
        while (resetAfter == null) {
            clock.advance(Duration.ofSeconds(1));
            tracker.record(true);
            if (!tracker.firingAlerts().contains(FAST_PAGE)) {
                resetAfter = Duration.between(outageEnd, clock.instant());
            }
        }
        // The short window (5 m) resets the page; the long window alone would keep it firing for most of an hour.
        assertThat(resetAfter).isBetween(Duration.ofMinutes(4), Duration.ofMinutes(6));
        assertThat(tracker.burnRate(Duration.ofHours(1))).isGreaterThan(14.4);
    }

    @Test
    void aSustainedErrorRatioOf1Point44PercentPagesAfterAnHour() {
        SloTracker tracker = availability999();
        for (int second = 0; second < 7200; second++) {
            clock.advance(Duration.ofSeconds(1));
            tracker.record(10_000, 0);
        }
        Instant errorsStart = clock.instant();

        Duration detectedAfter = null;
        while (detectedAfter == null) {
            clock.advance(Duration.ofSeconds(1));
            tracker.record(9_856, 144);
            if (tracker.firingAlerts().contains(FAST_PAGE)) {
                detectedAfter = Duration.between(errorsStart, clock.instant());
            }
        }

        assertThat(tracker.burnRate(Duration.ofMinutes(5))).isCloseTo(14.4, within(1e-6));
        assertThat(FAST_PAGE.detectionTime(0.0144, 0.999)).hasValue(Duration.ofHours(1));
        assertThat(detectedAfter).isBetween(Duration.ofHours(1), Duration.ofHours(1).plusMinutes(1));
        assertThat(detectedAfter).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void noAlertFiresBelowEveryThreshold() {
        SloTracker tracker = availability999();

        // Burn rate 0.5 (0.05% errors) for four days, looked at every ten minutes.
        for (int minute = 1; minute <= 4 * 24 * 60; minute++) {
            clock.advance(Duration.ofMinutes(1));
            tracker.record(1_999, 1);
            if (minute % 10 == 0) {
                assertThat(tracker.firingAlerts()).as("minute %d", minute).isEmpty();
            }
        }

        assertThat(tracker.burnRate(Duration.ofDays(3))).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void aBurnRateOfTenPagesOnTheSixHourAlertButNotTheOneHourAlert() {
        SloTracker tracker = availability999();

        for (int minute = 1; minute <= 7 * 60; minute++) {
            clock.advance(Duration.ofMinutes(1));
            tracker.record(99, 1);
            assertThat(tracker.firingAlerts()).doesNotContain(FAST_PAGE);
        }

        assertThat(tracker.firingAlerts()).containsExactly(SLOW_PAGE, TICKET);
    }

    @Test
    void withNoEventsTheBudgetIsWholeAndNothingBurns() {
        SloTracker tracker = availability999();

        assertThat(tracker.errorBudgetRemaining()).isEqualTo(1.0);
        assertThat(tracker.burnRate(Duration.ofHours(1))).isZero();
        assertThat(tracker.firingAlerts()).isEmpty();
    }

    @Test
    void aLatencyObjectiveCountsOnlyFastSuccessesAsGood() {
        SloTracker tracker = SloTracker.of(ServiceLevelObjective
            .latency("checkout-latency", Duration.ofMillis(300), 0.99).clock(clock).build());

        tracker.record(Duration.ofMillis(200), true);
        tracker.record(Duration.ofMillis(300), true);
        tracker.record(Duration.ofMillis(301), true);
        tracker.record(Duration.ofMillis(10), false);

        assertThat(tracker.errorRatio(Duration.ofHours(1))).isEqualTo(0.5);
        assertThat(tracker.burnRate(Duration.ofHours(1))).isCloseTo(50, within(1e-9));
    }

    @Test
    void registersCountersGaugesAndATimer() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SloTracker tracker = SloTracker.of(ServiceLevelObjective.availability("checkout", 0.999)
            .clock(clock).meterRegistry(registry).build());

        tracker.record(Duration.ofMillis(120), true);
        tracker.record(Duration.ofMillis(80), false);
        tracker.record(998, 0);

        assertThat(registry.get("drkit.slo.events").tag("slo", "checkout").tag("outcome", "good").counter().count())
            .isEqualTo(999.0);
        assertThat(registry.get("drkit.slo.events").tag("outcome", "bad").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("drkit.slo.latency").tag("slo", "checkout").tag("outcome", "success").timer().count())
            .isEqualTo(1);
        assertThat(registry.get("drkit.slo.burn.rate").tags("slo", "checkout").gauges())
            .extracting(g -> g.getId().getTag("window"))
            .containsExactlyInAnyOrder("5m", "1h", "30m", "6h", "3d");
        assertThat(registry.get("drkit.slo.burn.rate").tag("window", "5m").gauge().value()).isCloseTo(1.0, within(1e-9));
        assertThat(registry.get("drkit.slo.error.budget.remaining").tag("slo", "checkout").gauge().value())
            .isCloseTo(0.0, within(1e-9));
        assertThat(registry.get("drkit.slo.alert.firing").tag("alert", "3d/6h").tag("severity", "ticket").gauge()
            .value()).isEqualTo(1.0);
        assertThat(registry.get("drkit.slo.alert.firing").tag("alert", "1h/5m").gauge().value()).isZero();
    }

    @Test
    void logsAlertsStartingAtWarnAndStoppingAtInfo() {
        try (LogCapture logs = LogCapture.of(SloTracker.class)) {
            SloTracker tracker = SloTracker.of(ServiceLevelObjective.availability("checkout", 0.999).clock(clock)
                .alerts(List.of(FAST_PAGE)).build());
            tracker.record(0, 10);
            tracker.firingAlerts();
            tracker.firingAlerts();
            clock.advance(Duration.ofMinutes(10));
            tracker.record(1_000_000, 0);
            tracker.firingAlerts();

            assertThat(logs.events()).extracting(ILoggingEvent::getLevel, ILoggingEvent::getFormattedMessage)
                .containsExactly(
                    org.assertj.core.groups.Tuple.tuple(Level.WARN, "SLO 'checkout' alert PAGE 1h/5m x14.4 started "
                        + "firing: burn rate 1000.00 over 1h, 1000.00 over 5m"),
                    org.assertj.core.groups.Tuple.tuple(Level.INFO, "SLO 'checkout' alert PAGE 1h/5m x14.4 stopped "
                        + "firing: burn rate 0.01 over 1h, 0.00 over 5m"));
        }
    }

    @Test
    void aClockSteppingBackCountsEventsAsOfTheNewestTimeSeen() {
        SloTracker tracker = availability999();
        clock.advance(Duration.ofHours(3));
        tracker.record(false);

        clock.advance(Duration.ofHours(-2));
        tracker.record(true);

        assertThat(tracker.errorRatio(Duration.ofMinutes(1))).isEqualTo(0.5);
    }

    @Test
    void rejectsWindowsItDoesNotTrack() {
        SloTracker tracker = availability999();

        assertThatThrownBy(() -> tracker.burnRate(Duration.ofSeconds(30)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("window must be between PT1M and PT720H, but was PT30S");
        assertThatThrownBy(() -> tracker.burnRate(Duration.ofDays(31)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("window must be between PT1M and PT720H, but was PT744H");
    }

    @Test
    void rejectsObjectivesThatCannotBeTracked() {
        assertThatThrownBy(() -> ServiceLevelObjective.availability("checkout", 1.0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("target must be greater than 0.0 and less than 1.0, but was 1.0");
        assertThatThrownBy(() -> ServiceLevelObjective.availability("checkout", 0.99).window(Duration.ofDays(1))
            .build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("alert 3d/6h has a long window (PT72H) longer than the objective's window (PT24H)");
        assertThatThrownBy(() -> ServiceLevelObjective.availability("checkout", 0.99)
            .alerts(List.of(new BurnRateAlert(Duration.ofHours(1), Duration.ofSeconds(30), 2,
                BurnRateAlert.Severity.PAGE))).build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("alert 1h/30s has a short window (PT30S) shorter than one minute");
    }

    @Test
    void toBuilderKeepsEverySetting() {
        ServiceLevelObjective objective = ServiceLevelObjective.latency("checkout-latency", Duration.ofMillis(300), 0.99)
            .window(Duration.ofDays(7)).clock(clock).build();

        assertThat(objective.toBuilder().build()).isEqualTo(objective);
        assertThat(objective.toString()).isEqualTo("ServiceLevelObjective['checkout-latency', latency <= PT0.3S 0.99 "
            + "over 7d]");
    }
}
