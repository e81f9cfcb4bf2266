package dev.drkit.backup.retention;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which backups to keep, with restic's {@code forget} rules: keep the last <i>n</i>; keep the newest backup of
 * each of the last <i>n</i> hours, days, ISO weeks, months and years that have backups; keep everything taken
 * within a duration of the newest backup (and the hourly to yearly variants of that); keep backups with given
 * tags. A backup is kept when any rule keeps it; every other backup is deleted, except that the newest backup (of
 * each series) is always kept, and so is the newest backup not dated after the current time, should a backup
 * dated in the future be newer. Each {@linkplain Backup#series() series} of backups is planned on its own.
 * {@link #plan(Collection, Instant)} applies the policy; {@code docs/retention.md} has the details and a worked
 * example.
 *
 * <p>Calendar buckets are taken on the wall clock of {@link #zone()}, UTC unless configured. A policy must keep
 * something: {@link Builder#build()} rejects a policy with no rule (restic refuses one too); to keep only the
 * newest backup, say so with {@code keepLast(1)}.
 *
 * <p>Instances are immutable and thread-safe; the builder is not. Two policies are equal when every setting is.
 *
 * <pre>{@code
 * RetentionPolicy policy = RetentionPolicy.builder()
 *     .keepLast(3)
 *     .keepDaily(7).keepWeekly(4).keepMonthly(12).keepYearly(RetentionPolicy.UNLIMITED)
 *     .keepWithin(RetentionDuration.parse("2d"))
 *     .keepTag("pinned")
 *     .zone(ZoneId.of("Europe/Berlin"))
 *     .build();
 * }</pre>
 *
 * @since 0.1
 */
public final class RetentionPolicy {

    /**
     * The count that keeps every bucket: for example {@code keepMonthly(UNLIMITED)} keeps the newest backup of
     * every month (restic's {@code --keep-monthly unlimited}, which restic stores as {@value}).
     *
     * @since 0.1
     */
    public static final int UNLIMITED = -1;

    /** The default zone: UTC, by that name, so that it shows as {@code UTC} rather than {@code Z}. */
    private static final ZoneId UTC = ZoneId.of("UTC");

    private static final RetentionPolicy DEFAULTS = builder().keepDaily(7).keepWeekly(4).keepMonthly(12).build();

    private final int last;
    private final int hourly;
    private final int daily;
    private final int weekly;
    private final int monthly;
    private final int yearly;
    private final RetentionDuration within;
    private final RetentionDuration withinHourly;
    private final RetentionDuration withinDaily;
    private final RetentionDuration withinWeekly;
    private final RetentionDuration withinMonthly;
    private final RetentionDuration withinYearly;
    private final List<Set<String>> tags;
    private final ZoneId zone;

    private RetentionPolicy(Builder builder) {
        this.last = builder.last;
        this.hourly = builder.hourly;
        this.daily = builder.daily;
        this.weekly = builder.weekly;
        this.monthly = builder.monthly;
        this.yearly = builder.yearly;
        this.within = builder.within;
        this.withinHourly = builder.withinHourly;
        this.withinDaily = builder.withinDaily;
        this.withinWeekly = builder.withinWeekly;
        this.withinMonthly = builder.withinMonthly;
        this.withinYearly = builder.withinYearly;
        this.tags = List.copyOf(builder.tags);
        this.zone = builder.zone;
    }

    /**
     * drkit's default policy: keep 7 daily, 4 weekly and 12 monthly backups, in UTC.
     *
     * @since 0.1
     */
    public static RetentionPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * A builder with no rules and the zone UTC.
     *
     * @since 0.1
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this policy's settings.
     *
     * @since 0.1
     */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.last = last;
        builder.hourly = hourly;
        builder.daily = daily;
        builder.weekly = weekly;
        builder.monthly = monthly;
        builder.yearly = yearly;
        builder.within = within;
        builder.withinHourly = withinHourly;
        builder.withinDaily = withinDaily;
        builder.withinWeekly = withinWeekly;
        builder.withinMonthly = withinMonthly;
        builder.withinYearly = withinYearly;
        builder.tags.addAll(tags);
        builder.zone = zone;
        return builder;
    }

    /**
     * Plans which of {@code backups} to keep and which to delete. A pure function: the same arguments always
     * give an equal plan, and nothing is read from clocks, stores or the environment.
     *
     * @param backups the backups to plan for, in any order; their ids must be distinct. Each
     *                {@linkplain Backup#series() series} among them is planned on its own, as restic plans each
     *                group of snapshots: the rules count, bucket and keep within every series separately, and
     *                every series keeps its newest backup. Backups made with {@link Backup#of} are all in one
     *                series
     * @param now     the current time; it matters only to backups dated after it (made by a host whose clock was
     *                wrong): the keep-within rules count back from the newest backup not after {@code now}, so that
     *                a backup dated in the future cannot push the window forward (restic does the same), and the
     *                newest backup not after {@code now} is always kept, as the newest backup is
     * @return one decision per backup, newest first
     * @throws IllegalArgumentException if two backups have the same id
     * @since 0.1
     */
    public RetentionPlan plan(Collection<Backup> backups, Instant now) {
        Objects.requireNonNull(backups, "backups");
        Objects.requireNonNull(now, "now");
        return Planner.plan(this, backups, now);
    }

    /**
     * How many of the newest backups to keep; 0 when the rule is off, {@link #UNLIMITED} for all.
     *
     * @since 0.1
     */
    public int keepLast() {
        return last;
    }

    /**
     * How many hours to keep the newest backup of; 0 when the rule is off, {@link #UNLIMITED} for all.
     *
     * @since 0.1
     */
    public int keepHourly() {
        return hourly;
    }

    /**
     * How many days to keep the newest backup of; 0 when the rule is off, {@link #UNLIMITED} for all.
     *
     * @since 0.1
     */
    public int keepDaily() {
        return daily;
    }

    /**
     * How many ISO weeks to keep the newest backup of; 0 when the rule is off, {@link #UNLIMITED} for all.
     *
     * @since 0.1
     */
    public int keepWeekly() {
        return weekly;
    }

    /**
     * How many months to keep the newest backup of; 0 when the rule is off, {@link #UNLIMITED} for all.
     *
     * @since 0.1
     */
    public int keepMonthly() {
        return monthly;
    }

    /**
     * How many years to keep the newest backup of; 0 when the rule is off, {@link #UNLIMITED} for all.
     *
     * @since 0.1
     */
    public int keepYearly() {
        return yearly;
    }

    /**
     * Backups taken within this duration of the newest are kept; {@link RetentionDuration#ZERO} when off.
     *
     * @since 0.1
     */
    public RetentionDuration keepWithin() {
        return within;
    }

    /**
     * The newest backup of each hour within this duration of the newest backup is kept;
     * {@link RetentionDuration#ZERO} when off.
     *
     * @since 0.1
     */
    public RetentionDuration keepWithinHourly() {
        return withinHourly;
    }

    /**
     * The newest backup of each day within this duration of the newest backup is kept;
     * {@link RetentionDuration#ZERO} when off.
     *
     * @since 0.1
     */
    public RetentionDuration keepWithinDaily() {
        return withinDaily;
    }

    /**
     * The newest backup of each ISO week within this duration of the newest backup is kept;
     * {@link RetentionDuration#ZERO} when off.
     *
     * @since 0.1
     */
    public RetentionDuration keepWithinWeekly() {
        return withinWeekly;
    }

    /**
     * The newest backup of each month within this duration of the newest backup is kept;
     * {@link RetentionDuration#ZERO} when off.
     *
     * @since 0.1
     */
    public RetentionDuration keepWithinMonthly() {
        return withinMonthly;
    }

    /**
     * The newest backup of each year within this duration of the newest backup is kept;
     * {@link RetentionDuration#ZERO} when off.
     *
     * @since 0.1
     */
    public RetentionDuration keepWithinYearly() {
        return withinYearly;
    }

    /**
     * The keep-tag rules, unmodifiable, in the order they were added, each set's tags in alphabetical order: a
     * backup is kept when it carries every tag of at least one of these sets.
     *
     * @since 0.1
     */
    public List<Set<String>> keepTags() {
        return tags;
    }

    /**
     * The time zone whose wall clock the calendar buckets are taken on; UTC unless configured.
     *
     * @since 0.1
     */
    public ZoneId zone() {
        return zone;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof RetentionPolicy)) {
            return false;
        }
        RetentionPolicy that = (RetentionPolicy) other;
        return last == that.last && hourly == that.hourly && daily == that.daily && weekly == that.weekly
            && monthly == that.monthly && yearly == that.yearly && within.equals(that.within)
            && withinHourly.equals(that.withinHourly) && withinDaily.equals(that.withinDaily)
            && withinWeekly.equals(that.withinWeekly) && withinMonthly.equals(that.withinMonthly)
            && withinYearly.equals(that.withinYearly) && tags.equals(that.tags) && zone.equals(that.zone);
    }

    @Override
    public int hashCode() {
        return Objects.hash(last, hourly, daily, weekly, monthly, yearly, within, withinHourly, withinDaily,
            withinWeekly, withinMonthly, withinYearly, tags, zone);
    }

    /**
     * The policy in words, for logs and the command line, for example
     * {@code keep 7 daily, 4 weekly, 12 monthly; all yearly; within 2d; tag pinned; in Europe/Berlin}.
     */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        List<String> counts = new ArrayList<>();
        count(counts, last, "last");
        count(counts, hourly, "hourly");
        count(counts, daily, "daily");
        count(counts, weekly, "weekly");
        count(counts, monthly, "monthly");
        count(counts, yearly, "yearly");
        if (!counts.isEmpty()) {
            parts.add(String.join(", ", counts));
        }
        duration(parts, withinHourly, "hourly within ");
        duration(parts, withinDaily, "daily within ");
        duration(parts, withinWeekly, "weekly within ");
        duration(parts, withinMonthly, "monthly within ");
        duration(parts, withinYearly, "yearly within ");
        duration(parts, within, "within ");
        for (Set<String> set : tags) {
            parts.add((set.size() > 1 ? "tags " : "tag ") + String.join(",", set));
        }
        return "keep " + String.join("; ", parts) + "; in " + zone.getId();
    }

    private static void count(List<String> counts, int count, String name) {
        if (count == UNLIMITED) {
            counts.add("all " + name);
        } else if (count > 0) {
            counts.add(count + " " + name);
        }
    }

    private static void duration(List<String> parts, RetentionDuration duration, String name) {
        if (!duration.isZero()) {
            parts.add(name + duration);
        }
    }

    /**
     * Builds a {@link RetentionPolicy}. Every count is 0 (off) and every duration {@link RetentionDuration#ZERO}
     * (off) until set; the zone is UTC. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private int last;
        private int hourly;
        private int daily;
        private int weekly;
        private int monthly;
        private int yearly;
        private RetentionDuration within = RetentionDuration.ZERO;
        private RetentionDuration withinHourly = RetentionDuration.ZERO;
        private RetentionDuration withinDaily = RetentionDuration.ZERO;
        private RetentionDuration withinWeekly = RetentionDuration.ZERO;
        private RetentionDuration withinMonthly = RetentionDuration.ZERO;
        private RetentionDuration withinYearly = RetentionDuration.ZERO;
        private final List<Set<String>> tags = new ArrayList<>();
        private ZoneId zone = UTC;

        private Builder() {
        }

        /**
         * Keep the {@code n} newest backups.
         *
         * @param n a count, 0 for off, or {@link #UNLIMITED}
         * @throws IllegalArgumentException if {@code n} is negative and not {@link #UNLIMITED}
         * @since 0.1
         */
        public Builder keepLast(int n) {
            this.last = count(n, "keepLast");
            return this;
        }

        /**
         * Keep the newest backup of each of the {@code n} newest hours that have backups.
         *
         * @param n a count, 0 for off, or {@link #UNLIMITED}
         * @throws IllegalArgumentException if {@code n} is negative and not {@link #UNLIMITED}
         * @since 0.1
         */
        public Builder keepHourly(int n) {
            this.hourly = count(n, "keepHourly");
            return this;
        }

        /**
         * Keep the newest backup of each of the {@code n} newest days that have backups.
         *
         * @param n a count, 0 for off, or {@link #UNLIMITED}
         * @throws IllegalArgumentException if {@code n} is negative and not {@link #UNLIMITED}
         * @since 0.1
         */
        public Builder keepDaily(int n) {
            this.daily = count(n, "keepDaily");
            return this;
        }

        /**
         * Keep the newest backup of each of the {@code n} newest ISO weeks (Monday to Sunday) that have backups.
         *
         * @param n a count, 0 for off, or {@link #UNLIMITED}
         * @throws IllegalArgumentException if {@code n} is negative and not {@link #UNLIMITED}
         * @since 0.1
         */
        public Builder keepWeekly(int n) {
            this.weekly = count(n, "keepWeekly");
            return this;
        }

        /**
         * Keep the newest backup of each of the {@code n} newest months that have backups.
         *
         * @param n a count, 0 for off, or {@link #UNLIMITED}
         * @throws IllegalArgumentException if {@code n} is negative and not {@link #UNLIMITED}
         * @since 0.1
         */
        public Builder keepMonthly(int n) {
            this.monthly = count(n, "keepMonthly");
            return this;
        }

        /**
         * Keep the newest backup of each of the {@code n} newest years that have backups.
         *
         * @param n a count, 0 for off, or {@link #UNLIMITED}
         * @throws IllegalArgumentException if {@code n} is negative and not {@link #UNLIMITED}
         * @since 0.1
         */
        public Builder keepYearly(int n) {
            this.yearly = count(n, "keepYearly");
            return this;
        }

        /**
         * Keep every backup taken within {@code duration} before the newest backup (strictly after that point).
         *
         * @param duration how far back; {@link RetentionDuration#ZERO} for off
         * @since 0.1
         */
        public Builder keepWithin(RetentionDuration duration) {
            this.within = Objects.requireNonNull(duration, "duration");
            return this;
        }

        /**
         * Keep the newest backup of each hour, for backups within {@code duration} of the newest backup.
         *
         * @param duration how far back; {@link RetentionDuration#ZERO} for off
         * @since 0.1
         */
        public Builder keepWithinHourly(RetentionDuration duration) {
            this.withinHourly = Objects.requireNonNull(duration, "duration");
            return this;
        }

        /**
         * Keep the newest backup of each day, for backups within {@code duration} of the newest backup.
         *
         * @param duration how far back; {@link RetentionDuration#ZERO} for off
         * @since 0.1
         */
        public Builder keepWithinDaily(RetentionDuration duration) {
            this.withinDaily = Objects.requireNonNull(duration, "duration");
            return this;
        }

        /**
         * Keep the newest backup of each ISO week, for backups within {@code duration} of the newest backup.
         *
         * @param duration how far back; {@link RetentionDuration#ZERO} for off
         * @since 0.1
         */
        public Builder keepWithinWeekly(RetentionDuration duration) {
            this.withinWeekly = Objects.requireNonNull(duration, "duration");
            return this;
        }

        /**
         * Keep the newest backup of each month, for backups within {@code duration} of the newest backup.
         *
         * @param duration how far back; {@link RetentionDuration#ZERO} for off
         * @since 0.1
         */
        public Builder keepWithinMonthly(RetentionDuration duration) {
            this.withinMonthly = Objects.requireNonNull(duration, "duration");
            return this;
        }

        /**
         * Keep the newest backup of each year, for backups within {@code duration} of the newest backup.
         *
         * @param duration how far back; {@link RetentionDuration#ZERO} for off
         * @since 0.1
         */
        public Builder keepWithinYearly(RetentionDuration duration) {
            this.withinYearly = Objects.requireNonNull(duration, "duration");
            return this;
        }

        /**
         * Keep every backup that carries all of {@code tags}. Each call adds a rule; a backup is kept when any of
         * them matches (restic's {@code --keep-tag a,b --keep-tag c}: both a and b, or c). Tags count for no
         * bucket: a backup kept for its tags still leaves the other rules' buckets to other backups.
         *
         * @param tags one or more tags, each as {@link Backup#of(String, Instant, java.util.Set)} allows
         * @throws IllegalArgumentException if no tag is given or a tag is invalid
         * @since 0.1
         */
        public Builder keepTag(String... tags) {
            Objects.requireNonNull(tags, "tags");
            if (tags.length == 0) {
                throw new IllegalArgumentException("keepTag needs at least one tag");
            }
            SortedSet<String> set = new TreeSet<>();
            for (String tag : tags) {
                set.add(Backup.checkTag(tag, "tag"));
            }
            this.tags.add(Collections.unmodifiableSortedSet(set));
            return this;
        }

        /**
         * The time zone whose wall clock decides the hour, day, week, month and year of a backup; default UTC.
         *
         * @since 0.1
         */
        public Builder zone(ZoneId zone) {
            this.zone = Objects.requireNonNull(zone, "zone");
            return this;
        }

        /**
         * The policy.
         *
         * @throws IllegalArgumentException if no rule is set: every count 0, every duration zero, and no tag
         * @since 0.1
         */
        public RetentionPolicy build() {
            boolean empty = last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0
                && within.isZero() && withinHourly.isZero() && withinDaily.isZero() && withinWeekly.isZero()
                && withinMonthly.isZero() && withinYearly.isZero() && tags.isEmpty();
            if (empty) {
                throw new IllegalArgumentException("a retention policy must keep something, but every rule was off"
                    + " (each count 0, each duration zero, no tag); keepLast(1) keeps only the newest backup");
            }
            return new RetentionPolicy(this);
        }

        private static int count(int n, String name) {
            if (n < 0 && n != UNLIMITED) {
                throw new IllegalArgumentException(
                    name + " must be 0 or more, or UNLIMITED (" + UNLIMITED + "), but was " + n);
            }
            return n;
        }
    }
}
