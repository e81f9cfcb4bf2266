package dev.drkit.backup.retention;

import java.util.Objects;
import java.util.Optional;

/**
 * One reason a {@link RetentionPlan} keeps a backup: the rule that kept it and, for rules with buckets, which
 * bucket. A backup kept by several rules has one reason per rule. Its text ({@link #toString()}) is what the
 * {@code drkit retention plan} command prints, for example:
 *
 * <table>
 *   <caption>Reasons and their text</caption>
 *   <tr><th>rule</th><th>text</th><th>meaning</th></tr>
 *   <tr><td>{@link Rule#LAST}</td><td>{@code last 3}</td><td>the 3rd newest backup</td></tr>
 *   <tr><td>{@link Rule#HOURLY}</td><td>{@code hourly 2026-11-20T14}</td><td>newest of that hour</td></tr>
 *   <tr><td>{@link Rule#DAILY}</td><td>{@code daily 2026-11-20}</td><td>newest of that day</td></tr>
 *   <tr><td>{@link Rule#WEEKLY}</td><td>{@code weekly 2026-W47}</td><td>newest of that ISO week</td></tr>
 *   <tr><td>{@link Rule#MONTHLY}</td><td>{@code monthly 2026-11}</td><td>newest of that month</td></tr>
 *   <tr><td>{@link Rule#YEARLY}</td><td>{@code yearly 2026}</td><td>newest of that year</td></tr>
 *   <tr><td>any of these</td><td>{@code oldest daily 2026-11-20}</td><td>the oldest backup, kept because
 *       the rule's count was not used up (see {@link #isOldest()})</td></tr>
 *   <tr><td>{@link Rule#WITHIN}</td><td>{@code within 30d}</td><td>taken within 30 days of the newest</td></tr>
 *   <tr><td>{@link Rule#WITHIN_DAILY}</td><td>{@code daily 2026-11-20 within 30d}</td><td>newest of that day,
 *       and within 30 days of the newest</td></tr>
 *   <tr><td>{@link Rule#TAG}</td><td>{@code tag prod}, {@code tags db,prod}</td><td>carries all these tags</td></tr>
 *   <tr><td>{@link Rule#NEWEST}</td><td>{@code newest backup}</td><td>drkit never deletes the newest backup</td></tr>
 *   <tr><td>{@link Rule#NEWEST_NOT_IN_FUTURE}</td><td>{@code newest backup not dated in the future}</td><td>nor
 *       the newest backup not dated after the plan's current time</td></tr>
 * </table>
 *
 * <p>Instances are immutable and thread-safe; equal when rule, bucket, oldest flag and text are.
 *
 * @since 0.1
 */
public final class KeepReason {

    /**
     * The rules of a {@link RetentionPolicy}, in the order a decision lists its reasons.
     *
     * @since 0.1
     */
    public enum Rule {
        /** {@link RetentionPolicy.Builder#keepLast(int)}. */
        LAST("last", null),
        /** {@link RetentionPolicy.Builder#keepHourly(int)}. */
        HOURLY("hourly", Period.HOUR),
        /** {@link RetentionPolicy.Builder#keepDaily(int)}. */
        DAILY("daily", Period.DAY),
        /** {@link RetentionPolicy.Builder#keepWeekly(int)}. */
        WEEKLY("weekly", Period.WEEK),
        /** {@link RetentionPolicy.Builder#keepMonthly(int)}. */
        MONTHLY("monthly", Period.MONTH),
        /** {@link RetentionPolicy.Builder#keepYearly(int)}. */
        YEARLY("yearly", Period.YEAR),
        /** {@link RetentionPolicy.Builder#keepWithinHourly(RetentionDuration)}. */
        WITHIN_HOURLY("hourly", Period.HOUR),
        /** {@link RetentionPolicy.Builder#keepWithinDaily(RetentionDuration)}. */
        WITHIN_DAILY("daily", Period.DAY),
        /** {@link RetentionPolicy.Builder#keepWithinWeekly(RetentionDuration)}. */
        WITHIN_WEEKLY("weekly", Period.WEEK),
        /** {@link RetentionPolicy.Builder#keepWithinMonthly(RetentionDuration)}. */
        WITHIN_MONTHLY("monthly", Period.MONTH),
        /** {@link RetentionPolicy.Builder#keepWithinYearly(RetentionDuration)}. */
        WITHIN_YEARLY("yearly", Period.YEAR),
        /** {@link RetentionPolicy.Builder#keepWithin(RetentionDuration)}. */
        WITHIN("within", null),
        /** {@link RetentionPolicy.Builder#keepTag(String...)}. */
        TAG("tag", null),
        /** drkit's own rule: the newest backup is kept even when no rule of the policy keeps it. */
        NEWEST("newest backup", null),
        /**
         * drkit's own rule: the newest backup not dated after {@link RetentionPlan#now()} is kept too, even when
         * no rule of the policy keeps it, when a backup dated in the future (made by a host whose clock was
         * wrong) is the newest. Such a backup takes the newest place and can use up {@code keepLast}; without this
         * rule every real backup could be deleted.
         */
        NEWEST_NOT_IN_FUTURE("newest backup not dated in the future", null);

        private final String word;
        private final Period period;

        Rule(String word, Period period) {
            this.word = word;
            this.period = period;
        }

        /**
         * Whether this rule keeps the newest backup of calendar buckets (hours, days, ISO weeks, months, years):
         * {@code HOURLY} to {@code YEARLY} and {@code WITHIN_HOURLY} to {@code WITHIN_YEARLY}.
         *
         * @since 0.1
         */
        public boolean hasCalendarBuckets() {
            return period != null;
        }

        /** The word that starts this rule's reasons: "daily", "within", ... */
        String word() {
            return word;
        }

        /** The calendar buckets of this rule, or null. */
        Period period() {
            return period;
        }
    }

    private final Rule rule;
    private final String bucket;
    private final boolean oldest;
    private final String text;

    private KeepReason(Rule rule, String bucket, boolean oldest, String text) {
        this.rule = rule;
        this.bucket = bucket;
        this.oldest = oldest;
        this.text = text;
    }

    /** A reason of a counted rule ({@code LAST} to {@code YEARLY}): "last 3", "daily 2026-11-20", "oldest ...". */
    static KeepReason counted(Rule rule, String bucket, boolean oldest) {
        return new KeepReason(rule, bucket, oldest, (oldest ? "oldest " : "") + rule.word() + " " + bucket);
    }

    /** A reason of a calendar rule limited in time: "daily 2026-11-20 within 30d". */
    static KeepReason withinBucket(Rule rule, String bucket, boolean oldest, RetentionDuration within) {
        return new KeepReason(rule, bucket, oldest,
            (oldest ? "oldest " : "") + rule.word() + " " + bucket + " within " + within);
    }

    /** The keep-within reason: "within 30d". */
    static KeepReason within(RetentionDuration within) {
        return new KeepReason(Rule.WITHIN, "", false, "within " + within);
    }

    /** A keep-tag reason: "tag prod" or "tags db,prod". */
    static KeepReason tags(String tagList, boolean several) {
        return new KeepReason(Rule.TAG, "", false, (several ? "tags " : "tag ") + tagList);
    }

    /** drkit's newest-backup reason. */
    static KeepReason newest() {
        return new KeepReason(Rule.NEWEST, "", false, Rule.NEWEST.word());
    }

    /** drkit's reason for the newest backup not dated after now, when a backup dated in the future is newer. */
    static KeepReason newestNotInFuture() {
        return new KeepReason(Rule.NEWEST_NOT_IN_FUTURE, "", false, Rule.NEWEST_NOT_IN_FUTURE.word());
    }

    /**
     * The rule that kept the backup.
     *
     * @since 0.1
     */
    public Rule rule() {
        return rule;
    }

    /**
     * The bucket the backup was kept for: its position among the newest for {@link Rule#LAST} ({@code "3"}),
     * its hour, day, ISO week, month or year for the calendar rules ({@code "2026-11-20T14"},
     * {@code "2026-11-20"}, {@code "2026-W47"}, {@code "2026-11"}, {@code "2026"}, on the wall clock of the
     * policy's zone); empty for the other rules.
     *
     * @since 0.1
     */
    public Optional<String> bucket() {
        return bucket.isEmpty() ? Optional.empty() : Optional.of(bucket);
    }

    /**
     * Whether the backup was kept only because it is the oldest backup and this rule had not used up its
     * count (restic's rule since 0.16.0): it is then not the newest of its bucket, which a newer backup
     * already represents. Always false for {@link Rule#LAST}, {@link Rule#WITHIN}, {@link Rule#TAG},
     * {@link Rule#NEWEST} and {@link Rule#NEWEST_NOT_IN_FUTURE}.
     *
     * @since 0.1
     */
    public boolean isOldest() {
        return oldest;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof KeepReason)) {
            return false;
        }
        KeepReason that = (KeepReason) other;
        return rule == that.rule && oldest == that.oldest && bucket.equals(that.bucket) && text.equals(that.text);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rule, bucket, oldest, text);
    }

    /** The reason as the command line prints it: "daily 2026-11-20", "within 30d", "tag prod", ... */
    @Override
    public String toString() {
        return text;
    }
}
