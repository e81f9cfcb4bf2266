package dev.drkit.core.slo;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One multi-window burn-rate alert from the Google SRE workbook ("Alerting on SLOs", approach 6): it fires
 * while the burn rate over the long window <em>and</em> over the short window both reach {@link #factor()}.
 * The long window makes the alert significant (it only fires once a real share of the budget is gone); the
 * short window makes it stop soon after the errors stop. Immutable.
 *
 * <p>The {@linkplain #workbookDefaults() workbook's defaults} for a 30-day objective:
 * <table>
 * <caption>Default alerts</caption>
 * <tr><th>severity</th><th>long window</th><th>short window</th><th>burn rate</th><th>budget consumed</th></tr>
 * <tr><td>page</td><td>1 h</td><td>5 m</td><td>14.4</td><td>2%</td></tr>
 * <tr><td>page</td><td>6 h</td><td>30 m</td><td>6</td><td>5%</td></tr>
 * <tr><td>ticket</td><td>3 d</td><td>6 h</td><td>1</td><td>10%</td></tr>
 * </table>
 *
 * @param longWindow  the window that makes the alert significant
 * @param shortWindow the window that makes it reset quickly; shorter than {@code longWindow}
 * @param factor      the burn rate both windows must reach; positive
 * @param severity    what firing means for the people on call
 * @since 0.1
 */
public record BurnRateAlert(Duration longWindow, Duration shortWindow, double factor, Severity severity) {

    /**
     * How urgently a firing alert needs a human.
     *
     * @since 0.1
     */
    public enum Severity {
        /** Wake someone up. */
        PAGE,
        /** Look at it during working hours. */
        TICKET
    }

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException unless both windows are positive, the short one is shorter than the long
     *                                  one, and the factor is positive and finite
     */
    public BurnRateAlert {
        Objects.requireNonNull(longWindow, "longWindow");
        Objects.requireNonNull(shortWindow, "shortWindow");
        Objects.requireNonNull(severity, "severity");
        if (shortWindow.isNegative() || shortWindow.isZero()) {
            throw new IllegalArgumentException("shortWindow must be positive, but was " + shortWindow);
        }
        if (shortWindow.compareTo(longWindow) >= 0) {
            throw new IllegalArgumentException(
                "shortWindow must be shorter than longWindow (" + longWindow + "), but was " + shortWindow);
        }
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("factor must be positive, but was " + factor);
        }
    }

    /**
     * The workbook's three alerts for a 30-day window: page at 14.4 over 1 h and 5 m, page at 6 over 6 h and
     * 30 m, ticket at 1 over 3 d and 6 h.
     *
     * @since 0.1
     */
    public static List<BurnRateAlert> workbookDefaults() {
        return List.of(
            new BurnRateAlert(Duration.ofHours(1), Duration.ofMinutes(5), 14.4, Severity.PAGE),
            new BurnRateAlert(Duration.ofHours(6), Duration.ofMinutes(30), 6, Severity.PAGE),
            new BurnRateAlert(Duration.ofDays(3), Duration.ofHours(6), 1, Severity.TICKET));
    }

    /**
     * The share of the error budget of an objective over {@code sloWindow} that is gone by the time this alert
     * fires at exactly its factor: {@code factor × longWindow / sloWindow}. For 14.4 over 1 h of 30 days: 0.02.
     *
     * @since 0.1
     */
    public double budgetConsumed(Duration sloWindow) {
        Objects.requireNonNull(sloWindow, "sloWindow");
        return factor * longWindow.toNanos() / (double) sloWindow.toNanos();
    }

    /**
     * How long a constant error ratio must last before this alert fires, in steady traffic:
     * {@code longWindow × factor × (1 - target) / errorRatio}; empty if that ratio is too low ever to reach the
     * factor. At 100% errors against 99.9%, the 14.4 alert over 1 h fires after 0.864 minutes (51.84 s).
     *
     * @param errorRatio the share of bad events, between 0 and 1
     * @param target     the objective's target, such as 0.999
     * @throws IllegalArgumentException if {@code errorRatio} is not between 0 and 1, or {@code target} not strictly
     *                                  between 0 and 1 (as {@link ServiceLevelObjective} requires): NaN gave a
     *                                  detection time of zero, as if the alert fired at once
     * @since 0.1
     */
    public Optional<Duration> detectionTime(double errorRatio, double target) {
        if (!(errorRatio >= 0 && errorRatio <= 1)) {
            throw new IllegalArgumentException("errorRatio must be between 0 and 1, but was " + errorRatio);
        }
        if (!(target > 0 && target < 1)) {
            throw new IllegalArgumentException("target must be strictly between 0 and 1, but was " + target);
        }
        double budget = 1 - target;
        if (errorRatio <= 0 || errorRatio * (1 + ALERT_TOLERANCE) < factor * budget) {
            return Optional.empty();
        }
        double nanos = longWindow.toNanos() * Math.min(1.0, factor * budget / errorRatio);
        return Optional.of(Duration.ofNanos(Math.round(nanos)));
    }

    /**
     * A short label for logs and tags, such as {@code 1h/5m}.
     *
     * @since 0.1
     */
    public String label() {
        return Windows.format(longWindow) + "/" + Windows.format(shortWindow);
    }

    /** Relative tolerance under which a burn rate counts as reaching a factor, for floating point's sake. */
    static final double ALERT_TOLERANCE = 1e-9;

    boolean reached(double burnRate) {
        return burnRate >= factor * (1 - ALERT_TOLERANCE);
    }
}
