package dev.drkit.backup.retention;

import dev.drkit.backup.retention.KeepReason.Rule;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The planning algorithm behind {@link RetentionPolicy#plan}: for each series, one pass over its backups, newest
 * first, in which every rule looks at every backup and the backup is kept if any rule wants it; drkit's own rules
 * then keep the newest backup, and the newest not dated after now, if no rule did. See docs/retention.md.
 */
final class Planner {

    /** Newest first; among equal times, the smaller id first, so that ties always resolve the same way. */
    static final Comparator<Backup> NEWEST_FIRST =
        Comparator.comparing(Backup::time).reversed().thenComparing(Backup::id);

    private Planner() {
    }

    /** A rule that keeps the newest backup of up to a number of buckets (keep-last, keep-hourly ... keep-yearly). */
    private static final class Counted {
        final Rule rule;
        int left;                                   // UNLIMITED (-1) never runs out
        final Set<String> seen = new HashSet<>();

        Counted(Rule rule, int count) {
            this.rule = rule;
            this.left = count;
        }
    }

    /** A rule that keeps the newest backup of every bucket within a duration (keep-within-hourly ... -yearly). */
    private static final class Windowed {
        final Rule rule;
        final RetentionDuration duration;
        final Optional<Instant> cutoff;             // empty: every backup is within
        final Set<String> seen = new HashSet<>();

        Windowed(Rule rule, RetentionDuration duration, Optional<Instant> cutoff) {
            this.rule = rule;
            this.duration = duration;
            this.cutoff = cutoff;
        }
    }

    static RetentionPlan plan(RetentionPolicy policy, Collection<Backup> backups, Instant now) {
        List<Backup> sorted = new ArrayList<>(backups.size());
        Set<String> ids = new HashSet<>();
        for (Backup backup : backups) {
            if (!ids.add(Objects.requireNonNull(backup, "backup").id())) {
                throw new IllegalArgumentException("backup ids must be distinct, but '" + backup.id()
                    + "' appears more than once");
            }
            sorted.add(backup);
        }
        sorted.sort(NEWEST_FIRST);

        // Each series is planned on its own, as restic plans each group of snapshots: one series' backups never
        // use up another's counts or buckets, and each series keeps its own newest backup.
        Map<String, List<Backup>> bySeries = new LinkedHashMap<>();
        for (Backup backup : sorted) {
            bySeries.computeIfAbsent(backup.series(), series -> new ArrayList<>()).add(backup);
        }
        List<RetentionPlan.Decision> decisions = new ArrayList<>(sorted.size());
        for (List<Backup> series : bySeries.values()) {
            decisions.addAll(planSeries(policy, series, now));
        }
        decisions.sort(Comparator.comparing(RetentionPlan.Decision::backup, NEWEST_FIRST));
        return new RetentionPlan(policy, now, anchor(sorted, now), decisions);
    }

    /**
     * The time keep-within counts back from among {@code newestFirst}. restic counts back from the newest snapshot
     * that is not in the future, so a backup with a wrong, future date cannot drag the window forward and out
     * from under every real backup.
     */
    static Optional<Instant> anchor(List<Backup> newestFirst, Instant now) {
        return newestFirst.stream().map(Backup::time).filter(t -> !t.isAfter(now)).findFirst();
    }

    /** The decisions for the backups of one series, {@code sorted} newest first. */
    private static List<RetentionPlan.Decision> planSeries(RetentionPolicy policy, List<Backup> sorted,
                                                           Instant now) {
        ZoneId zone = policy.zone();
        Optional<Instant> anchor = anchor(sorted, now);

        List<Counted> counted = new ArrayList<>();
        addCounted(counted, Rule.LAST, policy.keepLast());
        addCounted(counted, Rule.HOURLY, policy.keepHourly());
        addCounted(counted, Rule.DAILY, policy.keepDaily());
        addCounted(counted, Rule.WEEKLY, policy.keepWeekly());
        addCounted(counted, Rule.MONTHLY, policy.keepMonthly());
        addCounted(counted, Rule.YEARLY, policy.keepYearly());

        List<Windowed> windowed = new ArrayList<>();
        addWindowed(windowed, Rule.WITHIN_HOURLY, policy.keepWithinHourly(), anchor, zone);
        addWindowed(windowed, Rule.WITHIN_DAILY, policy.keepWithinDaily(), anchor, zone);
        addWindowed(windowed, Rule.WITHIN_WEEKLY, policy.keepWithinWeekly(), anchor, zone);
        addWindowed(windowed, Rule.WITHIN_MONTHLY, policy.keepWithinMonthly(), anchor, zone);
        addWindowed(windowed, Rule.WITHIN_YEARLY, policy.keepWithinYearly(), anchor, zone);
        RetentionDuration within = policy.keepWithin();
        Optional<Instant> withinCutoff = cutoff(within, anchor, zone);
        int newestNotInFuture = newestNotAfter(sorted, now);

        List<RetentionPlan.Decision> decisions = new ArrayList<>(sorted.size());
        for (int i = 0; i < sorted.size(); i++) {
            Backup backup = sorted.get(i);
            LocalDateTime wall = LocalDateTime.ofInstant(backup.time(), zone);
            boolean oldest = i == sorted.size() - 1;
            List<KeepReason> reasons = new ArrayList<>();

            for (Counted rule : counted) {
                if (rule.left == 0) {
                    continue;
                }
                String bucket = rule.rule == Rule.LAST ? Integer.toString(i + 1) : rule.rule.period().label(wall);
                boolean first = rule.seen.add(bucket);
                // A rule keeps the newest backup of each new bucket. restic (since 0.16.0) also keeps the
                // oldest backup when the rule has count left, so that a short history is not cut off at a
                // bucket's end: the oldest backup then stands for the time before the buckets kept so far.
                if (first || oldest) {
                    reasons.add(KeepReason.counted(rule.rule, bucket, !first));
                    if (rule.left > 0) {
                        rule.left--;
                    }
                }
            }
            for (Windowed rule : windowed) {
                if (isWithin(backup, rule.cutoff)) {
                    String bucket = rule.rule.period().label(wall);
                    boolean first = rule.seen.add(bucket);
                    if (first || oldest) {
                        reasons.add(KeepReason.withinBucket(rule.rule, bucket, !first, rule.duration));
                    }
                }
            }
            if (!within.isZero() && isWithin(backup, withinCutoff)) {
                reasons.add(KeepReason.within(within));
            }
            for (Set<String> tags : policy.keepTags()) {
                if (backup.tags().containsAll(tags)) {
                    reasons.add(KeepReason.tags(String.join(",", tags), tags.size() > 1));
                }
            }
            if (i == 0 && reasons.isEmpty()) {
                // drkit's own rule, on top of restic's: whatever the policy, the newest backup stays.
                reasons.add(KeepReason.newest());
            } else if (i == newestNotInFuture && reasons.isEmpty()) {
                // A backup dated in the future (a host with a wrong clock) is the newest and may use up keep-last;
                // the newest real backup stays too, or one bad clock would cost every real backup.
                reasons.add(KeepReason.newestNotInFuture());
            }
            decisions.add(new RetentionPlan.Decision(backup, reasons));
        }
        return decisions;
    }

    /** The index of the first backup of {@code newestFirst} not dated after {@code now}, or -1 if there is none. */
    static int newestNotAfter(List<Backup> newestFirst, Instant now) {
        for (int i = 0; i < newestFirst.size(); i++) {
            if (!newestFirst.get(i).time().isAfter(now)) {
                return i;
            }
        }
        return -1;
    }

    private static void addCounted(List<Counted> rules, Rule rule, int count) {
        if (count != 0) {
            rules.add(new Counted(rule, count));
        }
    }

    private static void addWindowed(List<Windowed> rules, Rule rule, RetentionDuration duration,
                                    Optional<Instant> anchor, ZoneId zone) {
        if (!duration.isZero()) {
            rules.add(new Windowed(rule, duration, cutoff(duration, anchor, zone)));
        }
    }

    /** The instant a backup must be strictly after to be within {@code duration}; empty if all are within. */
    private static Optional<Instant> cutoff(RetentionDuration duration, Optional<Instant> anchor, ZoneId zone) {
        return anchor.map(time -> duration.before(time, zone));
    }

    private static boolean isWithin(Backup backup, Optional<Instant> cutoff) {
        return cutoff.isEmpty() || backup.time().isAfter(cutoff.get());
    }
}
