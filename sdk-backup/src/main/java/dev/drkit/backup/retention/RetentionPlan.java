package dev.drkit.backup.retention;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a {@link RetentionPolicy} decided for a set of backups: for each backup, keep or delete, and why it is
 * kept. Made by {@link RetentionPolicy#plan(java.util.Collection, Instant)}; it deletes nothing itself.
 *
 * <p>Every backup planned for appears in exactly one {@link Decision}. Decisions, {@link #toKeep()} and
 * {@link #toDelete()} are newest first (equal times: smaller id first). The newest backup of each
 * {@linkplain Backup#series() series} is always kept, and so is its newest backup not dated after {@link #now()}
 * (see {@link #datedAfterNow()}); each series was planned on its own.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * RetentionPlan plan = RetentionPolicy.defaults().plan(backups, Instant.now());
 * for (RetentionPlan.Decision decision : plan.decisions()) {
 *     log.info("{} {} {}", decision.keep() ? "keep" : "delete", decision.backup().id(), decision.reasons());
 * }
 * engine.delete(plan.toDelete());
 * }</pre>
 *
 * @since 0.1
 */
public final class RetentionPlan {

    private final RetentionPolicy policy;
    private final Instant now;
    private final Optional<Instant> anchor;
    private final List<Decision> decisions;
    private final List<Backup> toKeep;
    private final List<Backup> toDelete;
    private final Map<String, Decision> byId;
    private final List<String> series;
    private final List<Backup> datedAfterNow;

    RetentionPlan(RetentionPolicy policy, Instant now, Optional<Instant> anchor, List<Decision> decisions) {
        this.policy = policy;
        this.now = now;
        this.anchor = anchor;
        this.decisions = List.copyOf(decisions);
        this.toKeep = this.decisions.stream().filter(Decision::keep).map(Decision::backup)
            .collect(Collectors.toUnmodifiableList());
        this.toDelete = this.decisions.stream().filter(d -> !d.keep()).map(Decision::backup)
            .collect(Collectors.toUnmodifiableList());
        Map<String, Decision> index = new LinkedHashMap<>();
        for (Decision decision : this.decisions) {
            index.put(decision.backup().id(), decision);
        }
        this.byId = index;
        this.series = this.decisions.stream().map(d -> d.backup().series()).distinct()
            .collect(Collectors.toUnmodifiableList());
        this.datedAfterNow = this.decisions.stream().map(Decision::backup).filter(b -> b.time().isAfter(now))
            .collect(Collectors.toUnmodifiableList());
    }

    /**
     * The policy that made this plan.
     *
     * @since 0.1
     */
    public RetentionPolicy policy() {
        return policy;
    }

    /**
     * The current time the plan was made for.
     *
     * @since 0.1
     */
    public Instant now() {
        return now;
    }

    /**
     * The time the keep-within rules count back from: the newest backup's time, leaving out backups dated after
     * {@link #now()}. Empty when there are no backups, or all are dated in the future; every backup then counts
     * as within. When the plan has several {@linkplain #series() series}, each counts back from its own newest
     * backup ({@link #withinAnchor(String)}), and this is the latest of those times.
     *
     * @since 0.1
     */
    public Optional<Instant> withinAnchor() {
        return anchor;
    }

    /**
     * The time the keep-within rules count back from in {@code series}: its newest backup's time, leaving out
     * backups dated after {@link #now()}. Empty when the series has no backups, or all are dated in the future.
     *
     * @since 0.1
     */
    public Optional<Instant> withinAnchor(String series) {
        Objects.requireNonNull(series, "series");
        return decisions.stream().map(Decision::backup).filter(b -> b.series().equals(series))
            .map(Backup::time).filter(t -> !t.isAfter(now)).findFirst();
    }

    /**
     * The series of the backups planned for, each once, in the order of their newest backups (newest first);
     * unmodifiable. One element, {@code ""}, when every backup is in the unnamed series.
     *
     * @since 0.1
     */
    public List<String> series() {
        return series;
    }

    /**
     * The decisions for the backups of {@code series}, newest first; empty if it has none.
     *
     * @since 0.1
     */
    public List<Decision> decisions(String series) {
        Objects.requireNonNull(series, "series");
        return decisions.stream().filter(d -> d.backup().series().equals(series))
            .collect(Collectors.toUnmodifiableList());
    }

    /**
     * One decision per backup, newest first; unmodifiable.
     *
     * @since 0.1
     */
    public List<Decision> decisions() {
        return decisions;
    }

    /**
     * The backups to keep, newest first; unmodifiable. Never empty when there are backups: the newest is kept.
     *
     * @since 0.1
     */
    public List<Backup> toKeep() {
        return toKeep;
    }

    /**
     * The backups to delete, newest first; unmodifiable.
     *
     * @since 0.1
     */
    public List<Backup> toDelete() {
        return toDelete;
    }

    /**
     * The backups dated after {@link #now()}, newest first; unmodifiable, and usually empty. Such a backup was
     * most likely made by a host whose clock was wrong: it counts as the newest of its series (and for
     * {@code keepLast}), so the plan also keeps the newest backup of the series not dated after {@link #now()}
     * ({@link KeepReason.Rule#NEWEST_NOT_IN_FUTURE}), and keep-within counts back from that one. Worth a warning
     * to whoever runs the plan.
     *
     * @since 0.1
     */
    public List<Backup> datedAfterNow() {
        return datedAfterNow;
    }

    /**
     * The decision for the backup with {@code id}, if it was planned for.
     *
     * @since 0.1
     */
    public Optional<Decision> decision(String id) {
        return Optional.ofNullable(byId.get(Objects.requireNonNull(id, "id")));
    }

    @Override
    public String toString() {
        return "RetentionPlan[keep " + toKeep.size() + ", delete " + toDelete.size()
            + (series.size() > 1 ? " in " + series.size() + " series" : "") + "; " + policy + "]";
    }

    /**
     * Keep or delete one backup, and the reasons to keep it.
     *
     * <p>Instances are immutable and thread-safe; equal when backup, keep and reasons are.
     *
     * @since 0.1
     */
    public static final class Decision {

        private final Backup backup;
        private final List<KeepReason> reasons;

        Decision(Backup backup, List<KeepReason> reasons) {
            this.backup = backup;
            this.reasons = List.copyOf(reasons);
        }

        /**
         * The backup decided on.
         *
         * @since 0.1
         */
        public Backup backup() {
            return backup;
        }

        /**
         * True to keep the backup, false to delete it. A backup is kept exactly when it has a reason.
         *
         * @since 0.1
         */
        public boolean keep() {
            return !reasons.isEmpty();
        }

        /**
         * Why the backup is kept, one reason per rule that keeps it, in the order of {@link KeepReason.Rule};
         * empty when it is to be deleted. Unmodifiable.
         *
         * @since 0.1
         */
        public List<KeepReason> reasons() {
            return reasons;
        }

        @Override
        public boolean equals(Object other) {
            if (this == other) {
                return true;
            }
            if (!(other instanceof Decision)) {
                return false;
            }
            Decision that = (Decision) other;
            return backup.equals(that.backup) && reasons.equals(that.reasons);
        }

        @Override
        public int hashCode() {
            return Objects.hash(backup, reasons);
        }

        /** For example {@code keep b-17 2026-11-20T03:00:00Z [daily 2026-11-20, weekly 2026-W47]}; no series. */
        @Override
        public String toString() {
            return (keep() ? "keep " : "delete ") + backup.id() + " " + backup.time()
                + (reasons.isEmpty() ? "" : " " + reasons);
        }
    }
}
