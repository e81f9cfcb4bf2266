package dev.drkit.core.drill;

import dev.drkit.core.internal.Durations;
import dev.drkit.core.internal.Names;
import dev.drkit.core.time.Ticker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What happened when during a drill: named marks (the disruption, its detection, the recovery action, the
 * first passing probe, verified recovery, and any of the drill's own) on a monotonic {@link Ticker}, each with
 * the wall-clock {@link Instant} a report shows.
 *
 * <p>Durations between marks come from the ticker only, so a wall clock stepped by NTP during a drill does
 * not distort them. Each name is marked at most once. Instances are thread-safe: a prober thread and the
 * drill's own thread may mark the same timeline.
 *
 * <pre>{@code
 * RecoveryTimeline timeline = RecoveryTimeline.start();
 * cluster.stopPrimary();
 * timeline.mark(Milestone.DISRUPTION);
 * ...
 * timeline.mark(Milestone.ACTION);            // promoted the replica
 * Duration toAction = timeline.between(Milestone.DISRUPTION, Milestone.ACTION).orElseThrow();
 * }</pre>
 *
 * @since 0.1
 */
public final class RecoveryTimeline {

    private final Ticker ticker;
    private final Clock clock;
    private final long startNanos;
    private final Instant startedAt;
    private final Map<String, Mark> marks = new LinkedHashMap<>();

    private RecoveryTimeline(Ticker ticker, Clock clock) {
        this.ticker = ticker;
        this.clock = clock;
        this.startNanos = ticker.nanos();
        this.startedAt = clock.instant();
    }

    /**
     * A timeline starting now on the system's monotonic ticker and UTC clock.
     *
     * @since 0.1
     */
    public static RecoveryTimeline start() {
        return start(Ticker.system(), Clock.systemUTC());
    }

    /**
     * A timeline starting now on {@code ticker}, with wall-clock instants from {@code clock}.
     *
     * @since 0.1
     */
    public static RecoveryTimeline start(Ticker ticker, Clock clock) {
        return new RecoveryTimeline(Objects.requireNonNull(ticker, "ticker"), Objects.requireNonNull(clock, "clock"));
    }

    /**
     * The ticker marks are measured on; drill components that share this timeline measure on it too.
     *
     * @since 0.1
     */
    public Ticker ticker() {
        return ticker;
    }

    /**
     * The clock wall-clock instants come from.
     *
     * @since 0.1
     */
    public Clock clock() {
        return clock;
    }

    /**
     * When the timeline started, by the wall clock.
     *
     * @since 0.1
     */
    public Instant startedAt() {
        return startedAt;
    }

    /**
     * How long the timeline has been running.
     *
     * @since 0.1
     */
    public Duration elapsed() {
        return Duration.ofNanos(ticker.nanos() - startNanos);
    }

    /**
     * Marks {@code milestone} now.
     *
     * @throws IllegalStateException if it was marked already
     * @since 0.1
     */
    public Mark mark(Milestone milestone) {
        return mark(Objects.requireNonNull(milestone, "milestone").markName());
    }

    /**
     * Marks a moment of the drill's own, such as {@code "backup-restored"}, now.
     *
     * @param name 1 to 100 characters, no control characters
     * @throws IllegalArgumentException if the name is not valid
     * @throws IllegalStateException    if it was marked already
     * @since 0.1
     */
    public Mark mark(String name) {
        long now = ticker.nanos();
        return record(name, now, clock.instant());
    }

    /**
     * Marks {@code milestone} at an earlier reading of {@link #ticker()}, for moments known only afterwards:
     * the first of several consecutive passing probes is the first success only once the last has passed.
     *
     * @param tickerNanos a reading of {@link #ticker()} taken since the timeline started, not in the future
     * @throws IllegalArgumentException if the reading is before the start or in the future
     * @throws IllegalStateException    if the milestone was marked already
     * @since 0.1
     */
    public Mark markAt(Milestone milestone, long tickerNanos) {
        return markAt(Objects.requireNonNull(milestone, "milestone").markName(), tickerNanos);
    }

    /**
     * Marks a moment of the drill's own at an earlier reading of {@link #ticker()}.
     *
     * @throws IllegalArgumentException if the name is not valid, or the reading is before the start or in the future
     * @throws IllegalStateException    if the name was marked already
     * @see #markAt(Milestone, long)
     * @since 0.1
     */
    public Mark markAt(String name, long tickerNanos) {
        long now = ticker.nanos();
        Instant wallNow = clock.instant();
        if (tickerNanos - startNanos < 0 || tickerNanos - now > 0) {
            throw new IllegalArgumentException("tickerNanos must be between the timeline's start (" + startNanos
                + ") and now (" + now + "), but was " + tickerNanos);
        }
        // The wall clock was not read back then: derive it from now, by the monotonic distance.
        return record(name, tickerNanos, wallNow.minusNanos(now - tickerNanos));
    }

    /**
     * The mark of {@code milestone}, if it was marked.
     *
     * @since 0.1
     */
    public Optional<Mark> find(Milestone milestone) {
        return find(Objects.requireNonNull(milestone, "milestone").markName());
    }

    /**
     * The mark called {@code name}, if it was marked.
     *
     * @since 0.1
     */
    public synchronized Optional<Mark> find(String name) {
        return Optional.ofNullable(marks.get(Objects.requireNonNull(name, "name")));
    }

    /**
     * Every mark, earliest first (marks at the same reading in the order they were made).
     *
     * @since 0.1
     */
    public synchronized List<Mark> marks() {
        List<Mark> sorted = new ArrayList<>(marks.values());
        sorted.sort(Comparator.comparing(Mark::offset));
        return List.copyOf(sorted);
    }

    /**
     * The time from one milestone to another, if both were marked; negative if {@code to} came first.
     *
     * @since 0.1
     */
    public Optional<Duration> between(Milestone from, Milestone to) {
        return between(Objects.requireNonNull(from, "from").markName(), Objects.requireNonNull(to, "to").markName());
    }

    /**
     * The time from one mark to another, if both were marked; negative if {@code to} came first.
     *
     * @since 0.1
     */
    public synchronized Optional<Duration> between(String from, String to) {
        Mark a = marks.get(Objects.requireNonNull(from, "from"));
        Mark b = marks.get(Objects.requireNonNull(to, "to"));
        return a == null || b == null ? Optional.empty() : Optional.of(Duration.ofNanos(b.tickerNanos - a.tickerNanos));
    }

    private synchronized Mark record(String name, long tickerNanos, Instant at) {
        Names.printable(name, 100, "name");
        if (marks.containsKey(name)) {
            throw new IllegalStateException("Timeline already has a mark '" + name + "' at +" + marks.get(name).offset());
        }
        Mark mark = new Mark(name, tickerNanos, Duration.ofNanos(tickerNanos - startNanos), at);
        marks.put(name, mark);
        return mark;
    }

    @Override
    public synchronized String toString() {
        StringBuilder out = new StringBuilder("RecoveryTimeline[started ").append(startedAt);
        for (Mark mark : marks()) {
            out.append(", ").append(mark.name()).append(" +").append(Durations.seconds(mark.offset()));
        }
        return out.append(']').toString();
    }

    /**
     * One named moment of a {@link RecoveryTimeline}. Immutable and thread-safe.
     *
     * @since 0.1
     */
    public static final class Mark {

        private final String name;
        private final long tickerNanos;
        private final Duration offset;
        private final Instant at;

        private Mark(String name, long tickerNanos, Duration offset, Instant at) {
            this.name = name;
            this.tickerNanos = tickerNanos;
            this.offset = offset;
            this.at = at;
        }

        /**
         * The mark's name, such as {@code disruption}.
         *
         * @since 0.1
         */
        public String name() {
            return name;
        }

        /**
         * The ticker's reading at the mark.
         *
         * @since 0.1
         */
        public long tickerNanos() {
            return tickerNanos;
        }

        /**
         * The time since the timeline started.
         *
         * @since 0.1
         */
        public Duration offset() {
            return offset;
        }

        /**
         * The wall-clock instant of the mark, for reports.
         *
         * @since 0.1
         */
        public Instant at() {
            return at;
        }

        @Override
        public String toString() {
            return "Mark[" + name + " +" + offset + " at " + at + "]";
        }
    }
}
