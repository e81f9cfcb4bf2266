package dev.drkit.core.slo;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks one {@link ServiceLevelObjective}: counts good and bad events in time buckets, and from them gives
 * the {@linkplain #burnRate(Duration) burn rate} over any window, the {@linkplain #errorBudgetRemaining()
 * error budget left} and the {@linkplain #firingAlerts() burn-rate alerts that fire}. Instances are
 * thread-safe.
 *
 * <pre>{@code
 * SloTracker checkout = SloTracker.of(ServiceLevelObjective.availability("checkout", 0.999).build());
 * checkout.record(response.isSuccess());
 * checkout.record(Duration.ofMillis(120), true);    // with latency, also timed
 * double left = checkout.errorBudgetRemaining();    // 1.0 = untouched, 0 = spent, negative = overspent
 * }</pre>
 *
 * <h2>Burn rate</h2>
 * The error ratio over a window divided by the error budget ({@code 1 - target}): 1 spends the budget exactly
 * over the objective's window, 14.4 spends a 30-day budget in 50 hours. A window with no events has burn
 * rate 0. An alert fires when both its windows reach its factor ({@code >=}, within a relative 1e-9 so that
 * floating point cannot keep an exact ratio such as 1.44% against 99.9% from reaching 14.4).
 *
 * <h2>Resolution and memory</h2>
 * Events are counted in two rings of buckets, so memory is fixed (about 120 kB for a 30-day objective) however
 * many events arrive:
 * <ul>
 * <li>1-minute buckets for the last {@value #FINE_SPAN_DAYS} days: windows up to {@value #FINE_SPAN_DAYS} days
 *     (all the workbook's alert windows) are computed from these;</li>
 * <li>1-hour buckets for the objective's window: longer windows, and the error budget of a 30-day objective,
 *     are computed from these.</li>
 * </ul>
 * An event recorded at time {@code t} stands for traffic up to {@code t}: a bucket holds the events recorded in
 * {@code (start, end]}. A window {@code (now - w, now]} sums every bucket inside it plus the share of the
 * bucket it starts in that lies inside the window, as if that bucket's events were spread evenly over it.
 * Rates are therefore exact for evenly spread traffic, and off by at most one bucket's events otherwise (one
 * minute's worth for windows up to three days, one hour's worth beyond). Windows must be at least one minute
 * long.
 *
 * <p>Time comes from the objective's {@link Clock}. If that clock steps back, events are counted in the newest
 * bucket seen and reads are made as of the newest time seen: the tracker's time never goes backwards.
 *
 * <h2>Metrics</h2>
 * With a registry: counter {@code drkit.slo.events} (tags {@code slo}, {@code outcome=good|bad}); timer
 * {@code drkit.slo.latency} (tags {@code slo}, {@code outcome=success|failure}) for events recorded with a
 * latency; gauges {@code drkit.slo.burn.rate} (tags {@code slo}, {@code window}, one per alert window, such as
 * {@code window=5m}), {@code drkit.slo.error.budget.remaining} (tag {@code slo}; a ratio) and
 * {@code drkit.slo.alert.firing} (tags {@code slo}, {@code severity}, {@code alert} such as {@code 1h/5m};
 * 1 while firing, else 0). Gauges refer to the tracker weakly: keep it referenced.
 *
 * <h2>Logs</h2>
 * When {@link #firingAlerts()} finds an alert that started firing, one WARN line; when it stopped, one INFO
 * line. Both start with {@code SLO '<name>'}.
 *
 * @since 0.1
 */
public final class SloTracker {

    private static final Logger log = LoggerFactory.getLogger(SloTracker.class);

    /** Days covered by the 1-minute buckets: {@value}. */
    public static final int FINE_SPAN_DAYS = 3;

    private static final long MINUTE = 60_000L;
    private static final long HOUR = 3_600_000L;
    private static final long FINE_SPAN = FINE_SPAN_DAYS * 24 * HOUR;

    private final ServiceLevelObjective objective;
    private final Clock clock;
    private final double budget;
    private final BucketRing fine;
    private final BucketRing coarse;
    private final double[] scratch = new double[2];
    private long latestMillis = Long.MIN_VALUE;
    private final Set<BurnRateAlert> firing = new LinkedHashSet<>();

    private final @Nullable Counter goodEvents;
    private final @Nullable Counter badEvents;
    private final @Nullable Timer successLatency;
    private final @Nullable Timer failureLatency;

    private SloTracker(ServiceLevelObjective objective) {
        this.objective = objective;
        this.clock = objective.clock();
        this.budget = objective.errorBudget();
        this.fine = new BucketRing(MINUTE, (int) (FINE_SPAN / MINUTE) + 1);
        long windowMillis = objective.window().toMillis();
        this.coarse = new BucketRing(HOUR, (int) ((windowMillis + HOUR - 1) / HOUR) + 1);
        for (BurnRateAlert alert : objective.alerts()) {
            checkWindow(alert.shortWindow());
        }

        MeterRegistry registry = objective.meterRegistry().orElse(null);
        if (registry == null) {
            goodEvents = null;
            badEvents = null;
            successLatency = null;
            failureLatency = null;
            return;
        }
        String name = objective.name();
        goodEvents = Counter.builder("drkit.slo.events").description("Events counted by the objective")
            .tag("slo", name).tag("outcome", "good").register(registry);
        badEvents = Counter.builder("drkit.slo.events").description("Events counted by the objective")
            .tag("slo", name).tag("outcome", "bad").register(registry);
        successLatency = Timer.builder("drkit.slo.latency").description("Latency of events recorded with one")
            .tag("slo", name).tag("outcome", "success").register(registry);
        failureLatency = Timer.builder("drkit.slo.latency").description("Latency of events recorded with one")
            .tag("slo", name).tag("outcome", "failure").register(registry);
        Set<Duration> windows = new LinkedHashSet<>();
        for (BurnRateAlert alert : objective.alerts()) {
            windows.add(alert.shortWindow());
            windows.add(alert.longWindow());
        }
        for (Duration window : windows) {
            Gauge.builder("drkit.slo.burn.rate", this, t -> t.burnRate(window))
                .description("Error ratio over the window divided by the error budget")
                .tag("slo", name).tag("window", Windows.format(window)).register(registry);
        }
        Gauge.builder("drkit.slo.error.budget.remaining", this, SloTracker::errorBudgetRemaining)
            .description("Share of the error budget left over the objective's window; negative when overspent")
            .tag("slo", name).register(registry);
        for (BurnRateAlert alert : objective.alerts()) {
            Gauge.builder("drkit.slo.alert.firing", this, t -> t.isFiring(alert) ? 1 : 0)
                .description("1 while the burn-rate alert fires, else 0")
                .tag("slo", name).tag("severity", alert.severity().name().toLowerCase(Locale.ROOT))
                .tag("alert", alert.label()).register(registry);
        }
    }

    /**
     * Starts tracking {@code objective}, with no events yet, and registers its meters if it names a registry.
     *
     * @throws IllegalArgumentException if an alert's short window is shorter than one minute
     * @since 0.1
     */
    public static SloTracker of(ServiceLevelObjective objective) {
        return new SloTracker(Objects.requireNonNull(objective, "objective"));
    }

    /**
     * The objective tracked.
     *
     * @since 0.1
     */
    public ServiceLevelObjective objective() {
        return objective;
    }

    /**
     * Records one event, good or bad, now.
     *
     * @since 0.1
     */
    public void record(boolean good) {
        record(good ? 1 : 0, good ? 0 : 1);
    }

    /**
     * Records one event with its latency, now: good when {@link ServiceLevelObjective#isGood(Duration, boolean)}
     * says so, and timed by {@code drkit.slo.latency}.
     *
     * @throws IllegalArgumentException if {@code latency} is negative
     * @since 0.1
     */
    public void record(Duration latency, boolean success) {
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must not be negative, but was " + latency);
        }
        Timer timer = success ? successLatency : failureLatency;
        if (timer != null) {
            timer.record(latency);
        }
        record(objective.isGood(latency, success));
    }

    /**
     * Records many events at once, now, such as the counts of one scrape.
     *
     * @throws IllegalArgumentException if either count is negative
     * @since 0.1
     */
    public void record(long good, long bad) {
        if (good < 0 || bad < 0) {
            throw new IllegalArgumentException("event counts must not be negative, but were good=" + good
                + ", bad=" + bad);
        }
        synchronized (this) {
            long now = now();
            fine.add(now, good, good + bad);
            coarse.add(now, good, good + bad);
        }
        if (goodEvents != null && badEvents != null) {
            goodEvents.increment(good);
            badEvents.increment(bad);
        }
    }

    /**
     * The share of bad events over the last {@code window}; 0 when there were none.
     *
     * @throws IllegalArgumentException unless {@code window} is at least one minute and at most the longer of
     *                                  {@value #FINE_SPAN_DAYS} days and the objective's window
     * @since 0.1
     */
    public synchronized double errorRatio(Duration window) {
        checkWindow(window);
        long windowMillis = window.toMillis();
        BucketRing ring = windowMillis <= FINE_SPAN ? fine : coarse;
        ring.sum(now(), windowMillis, scratch);
        double total = scratch[1];
        return total <= 0 ? 0 : Math.max(0, total - scratch[0]) / total;
    }

    /**
     * The burn rate over the last {@code window}: its {@linkplain #errorRatio(Duration) error ratio} divided by
     * the error budget.
     *
     * @throws IllegalArgumentException as {@link #errorRatio(Duration)} does
     * @since 0.1
     */
    public double burnRate(Duration window) {
        return errorRatio(window) / budget;
    }

    /**
     * The share of the error budget left over the objective's window: {@code 1 - burnRate(window)}. 1 when
     * nothing is spent (or nothing was recorded), 0 when it is all spent, negative when overspent.
     *
     * @since 0.1
     */
    public double errorBudgetRemaining() {
        return 1 - burnRate(objective.window());
    }

    /**
     * The objective's alerts that fire now, in the order they were configured; logs each that started or
     * stopped firing since the previous call.
     *
     * @since 0.1
     */
    public List<BurnRateAlert> firingAlerts() {
        List<BurnRateAlert> now = new ArrayList<>();
        List<String[]> started = new ArrayList<>();
        List<String[]> stopped = new ArrayList<>();
        synchronized (this) {
            for (BurnRateAlert alert : objective.alerts()) {
                boolean fires = isFiring(alert);
                if (fires) {
                    now.add(alert);
                }
                if (fires && firing.add(alert)) {
                    started.add(describe(alert));
                } else if (!fires && firing.remove(alert)) {
                    stopped.add(describe(alert));
                }
            }
        }
        for (String[] alert : started) {
            log.warn("SLO '{}' alert {} started firing: {}", objective.name(), alert[0], alert[1]);
        }
        for (String[] alert : stopped) {
            log.info("SLO '{}' alert {} stopped firing: {}", objective.name(), alert[0], alert[1]);
        }
        return List.copyOf(now);
    }

    private synchronized boolean isFiring(BurnRateAlert alert) {
        // The short window is cheaper to sum, and usually decides.
        return alert.reached(burnRate(alert.shortWindow())) && alert.reached(burnRate(alert.longWindow()));
    }

    /** The alert's name, and the burn rates it looks at now. Guarded by this. */
    private String[] describe(BurnRateAlert alert) {
        return new String[] {
            alert.severity() + " " + alert.label() + " x" + alert.factor(),
            "burn rate " + String.format(Locale.ROOT, "%.2f", burnRate(alert.longWindow())) + " over "
                + Windows.format(alert.longWindow()) + ", "
                + String.format(Locale.ROOT, "%.2f", burnRate(alert.shortWindow())) + " over "
                + Windows.format(alert.shortWindow())
        };
    }

    private void checkWindow(Duration window) {
        Objects.requireNonNull(window, "window");
        long max = Math.max(FINE_SPAN, coarse.spanMillis());
        if (window.compareTo(Duration.ofMillis(MINUTE)) < 0 || window.compareTo(Duration.ofMillis(max)) > 0) {
            throw new IllegalArgumentException("window must be between PT1M and " + Duration.ofMillis(max)
                + ", but was " + window);
        }
    }

    /** The tracker's time: the clock's, but never earlier than a time already seen. Guarded by this. */
    private long now() {
        long millis = clock.millis();
        if (millis > latestMillis) {
            latestMillis = millis;
        }
        return latestMillis;
    }

    @Override
    public String toString() {
        return "SloTracker[" + objective + "]";
    }
}
