package dev.drkit.core.slo;

import dev.drkit.core.internal.Checks;

import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * Immutable description of one service level objective: what counts as a good event, the share of events that
 * must be good ({@link #target()}) over a rolling {@link #window()}, and the burn-rate alerts to evaluate.
 * {@link SloTracker#of(ServiceLevelObjective)} tracks it. Instances are thread-safe.
 *
 * <ul>
 * <li>An <b>availability</b> objective counts an event good when it succeeded:
 *     {@code ServiceLevelObjective.availability("checkout", 0.999)}.</li>
 * <li>A <b>latency</b> objective counts an event good when it succeeded within the threshold:
 *     {@code ServiceLevelObjective.latency("checkout-latency", Duration.ofMillis(300), 0.99)}. A failure is
 *     bad however fast it was, so that fast errors cannot improve the latency objective.</li>
 * </ul>
 *
 * <p>Defaults: a window of {@value #DEFAULT_WINDOW_DAYS} days, the {@linkplain BurnRateAlert#workbookDefaults()
 * workbook's three alerts}, the system UTC clock, no meter registry.
 *
 * @since 0.1
 */
public final class ServiceLevelObjective {

    /** Default length of the rolling window, in days: {@value}. */
    public static final int DEFAULT_WINDOW_DAYS = 30;

    /** Longest window an objective may have, in days: {@value}. */
    public static final int MAX_WINDOW_DAYS = 400;

    private final String name;
    private final double target;
    private final @Nullable Duration latencyThreshold;
    private final Duration window;
    private final List<BurnRateAlert> alerts;
    private final Clock clock;
    private final @Nullable MeterRegistry meterRegistry;

    private ServiceLevelObjective(Builder b) {
        this.name = b.name;
        this.target = b.target;
        this.latencyThreshold = b.latencyThreshold;
        this.window = b.window;
        this.alerts = b.alerts;
        this.clock = b.clock;
        this.meterRegistry = b.meterRegistry;
    }

    /**
     * A builder for an availability objective: a share {@code target} of events must succeed.
     *
     * @param name   the objective, as it appears in logs and metric tags, such as {@code "checkout"}
     * @param target the share of events that must be good, such as {@code 0.999}
     * @throws IllegalArgumentException if {@code name} is blank or {@code target} is not strictly between 0 and 1
     * @since 0.1
     */
    public static Builder availability(String name, double target) {
        return new Builder(name, target, null);
    }

    /**
     * A builder for a latency objective: a share {@code target} of events must succeed within
     * {@code threshold}.
     *
     * @throws IllegalArgumentException if {@code name} is blank, {@code threshold} is not positive or
     *                                  {@code target} is not strictly between 0 and 1
     * @since 0.1
     */
    public static Builder latency(String name, Duration threshold, double target) {
        return new Builder(name, target, Checks.positive(threshold, "threshold"));
    }

    /**
     * A builder holding every setting of this objective, to change some of them.
     *
     * @since 0.1
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Whether an event with this outcome is good for this objective.
     *
     * @since 0.1
     */
    public boolean isGood(Duration latency, boolean success) {
        Objects.requireNonNull(latency, "latency");
        return success && (latencyThreshold == null || latency.compareTo(latencyThreshold) <= 0);
    }

    /**
     * The objective's name.
     *
     * @since 0.1
     */
    public String name() {
        return name;
    }

    /**
     * The share of events that must be good.
     *
     * @since 0.1
     */
    public double target() {
        return target;
    }

    /**
     * The share of events that may be bad: {@code 1 - target}.
     *
     * @since 0.1
     */
    public double errorBudget() {
        return 1 - target;
    }

    /**
     * For a latency objective, the threshold; empty for an availability objective.
     *
     * @since 0.1
     */
    public Optional<Duration> latencyThreshold() {
        return Optional.ofNullable(latencyThreshold);
    }

    /**
     * The rolling window over which the target applies.
     *
     * @since 0.1
     */
    public Duration window() {
        return window;
    }

    /**
     * The burn-rate alerts to evaluate; unmodifiable.
     *
     * @since 0.1
     */
    public List<BurnRateAlert> alerts() {
        return alerts;
    }

    /**
     * Where time comes from.
     *
     * @since 0.1
     */
    public Clock clock() {
        return clock;
    }

    /**
     * The registry the tracker reports to, if any.
     *
     * @since 0.1
     */
    public Optional<MeterRegistry> meterRegistry() {
        return Optional.ofNullable(meterRegistry);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ServiceLevelObjective)) {
            return false;
        }
        ServiceLevelObjective that = (ServiceLevelObjective) o;
        return name.equals(that.name) && Double.compare(target, that.target) == 0
            && Objects.equals(latencyThreshold, that.latencyThreshold) && window.equals(that.window)
            && alerts.equals(that.alerts) && clock.equals(that.clock)
            && Objects.equals(meterRegistry, that.meterRegistry);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, target, latencyThreshold, window, alerts, clock, meterRegistry);
    }

    @Override
    public String toString() {
        return "ServiceLevelObjective['" + name + "', " + (latencyThreshold == null ? "availability" : "latency <= "
            + latencyThreshold) + " " + target + " over " + Windows.format(window) + "]";
    }

    /**
     * Builds a {@link ServiceLevelObjective}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final String name;
        private final double target;
        private final @Nullable Duration latencyThreshold;
        private Duration window = Duration.ofDays(DEFAULT_WINDOW_DAYS);
        private List<BurnRateAlert> alerts = BurnRateAlert.workbookDefaults();
        private Clock clock = Clock.systemUTC();
        private @Nullable MeterRegistry meterRegistry;

        private Builder(String name, double target, @Nullable Duration latencyThreshold) {
            this.name = Checks.notBlank(name, "name");
            this.target = Checks.strictlyBetween(target, 0.0, 1.0, "target");
            this.latencyThreshold = latencyThreshold;
        }

        private Builder(ServiceLevelObjective base) {
            this.name = base.name;
            this.target = base.target;
            this.latencyThreshold = base.latencyThreshold;
            this.window = base.window;
            this.alerts = base.alerts;
            this.clock = base.clock;
            this.meterRegistry = base.meterRegistry;
        }

        /**
         * The rolling window over which the target applies; default {@value ServiceLevelObjective#DEFAULT_WINDOW_DAYS}
         * days.
         *
         * @throws IllegalArgumentException unless between 1 hour and {@value ServiceLevelObjective#MAX_WINDOW_DAYS} days
         * @since 0.1
         */
        public Builder window(Duration window) {
            Objects.requireNonNull(window, "window");
            if (window.compareTo(Duration.ofHours(1)) < 0 || window.compareTo(Duration.ofDays(MAX_WINDOW_DAYS)) > 0) {
                throw new IllegalArgumentException(
                    "window must be between PT1H and " + Duration.ofDays(MAX_WINDOW_DAYS) + ", but was " + window);
            }
            this.window = window;
            return this;
        }

        /**
         * The burn-rate alerts to evaluate; default {@link BurnRateAlert#workbookDefaults()}. May be empty.
         *
         * @since 0.1
         */
        public Builder alerts(List<BurnRateAlert> alerts) {
            this.alerts = List.copyOf(alerts);
            return this;
        }

        /**
         * Where time comes from; default {@link Clock#systemUTC()}. Tests pass a clock they move.
         *
         * @since 0.1
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The registry to report to; default none.
         *
         * @param registry the registry, or {@code null} for none
         * @since 0.1
         */
        public Builder meterRegistry(@Nullable MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        /**
         * The objective.
         *
         * @throws IllegalStateException if an alert's long window is longer than the objective's window, or its
         *                               short window is shorter than one minute (the finest resolution tracked)
         * @since 0.1
         */
        public ServiceLevelObjective build() {
            for (BurnRateAlert alert : alerts) {
                Checks.state(alert.shortWindow().compareTo(Duration.ofMinutes(1)) >= 0,
                    "alert %s has a short window (%s) shorter than one minute", alert.label(), alert.shortWindow());
                Checks.state(alert.longWindow().compareTo(window) <= 0,
                    "alert %s has a long window (%s) longer than the objective's window (%s)", alert.label(),
                    alert.longWindow(), window);
            }
            return new ServiceLevelObjective(this);
        }
    }
}
