package dev.drkit.core.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class BurnRateAlertTest {

    private static final Duration THIRTY_DAYS = Duration.ofDays(30);
    private final List<BurnRateAlert> workbook = BurnRateAlert.workbookDefaults();

    @Test
    void theWorkbookDefaultsAreThreeAlertsForAThirtyDayWindow() {
        assertThat(workbook).extracting(BurnRateAlert::label, BurnRateAlert::factor, BurnRateAlert::severity)
            .containsExactly(
                org.assertj.core.groups.Tuple.tuple("1h/5m", 14.4, BurnRateAlert.Severity.PAGE),
                org.assertj.core.groups.Tuple.tuple("6h/30m", 6.0, BurnRateAlert.Severity.PAGE),
                org.assertj.core.groups.Tuple.tuple("3d/6h", 1.0, BurnRateAlert.Severity.TICKET));
    }

    @Test
    void theyFireOnceTwoFiveAndTenPercentOfAThirtyDayBudgetAreGone() {
        assertThat(workbook.get(0).budgetConsumed(THIRTY_DAYS)).isCloseTo(0.02, within(1e-12));
        assertThat(workbook.get(1).budgetConsumed(THIRTY_DAYS)).isCloseTo(0.05, within(1e-12));
        assertThat(workbook.get(2).budgetConsumed(THIRTY_DAYS)).isCloseTo(0.10, within(1e-12));
    }

    @Test
    void atAFullOutageTheyDetectAfterTheWorkbooksTimes() {
        // 0.864, 2.16 and 4.32 minutes.
        assertThat(workbook.get(0).detectionTime(1.0, 0.999)).hasValue(Duration.ofMillis(51_840));
        assertThat(workbook.get(1).detectionTime(1.0, 0.999)).hasValue(Duration.ofMillis(129_600));
        assertThat(workbook.get(2).detectionTime(1.0, 0.999)).hasValue(Duration.ofMillis(259_200));
    }

    @Test
    void anErrorRatioExactlyAtTheFactorIsDetectedAfterTheWholeLongWindow() {
        assertThat(workbook.get(0).detectionTime(0.0144, 0.999)).hasValue(Duration.ofHours(1));
    }

    @Test
    void anErrorRatioBelowTheFactorIsNeverDetected() {
        assertThat(workbook.get(0).detectionTime(0.01, 0.999)).isEmpty();
        assertThat(workbook.get(0).detectionTime(0, 0.999)).isEmpty();
    }

    @Test
    void refusesAnErrorRatioOrTargetOutOfRangeInsteadOfAnsweringZero() {
        BurnRateAlert page = workbook.get(0);
        for (double ratio : new double[] {Double.NaN, -0.1, 1.5}) {
            assertThatThrownBy(() -> page.detectionTime(ratio, 0.999)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("errorRatio must be between 0 and 1");
        }
        for (double target : new double[] {Double.NaN, 0, 1, 99.9}) {
            assertThatThrownBy(() -> page.detectionTime(1.0, target)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("target must be strictly between 0 and 1");
        }
    }

    @Test
    void rejectsAShortWindowThatIsNotShorter() {
        assertThatThrownBy(() -> new BurnRateAlert(Duration.ofHours(1), Duration.ofHours(1), 2,
            BurnRateAlert.Severity.PAGE))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("shortWindow must be shorter than longWindow (PT1H), but was PT1H");
        assertThatThrownBy(() -> new BurnRateAlert(Duration.ofHours(1), Duration.ofMinutes(5), 0,
            BurnRateAlert.Severity.PAGE))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("factor must be positive, but was 0.0");
    }
}
