/**
 * Retention planning: which backups a policy keeps and which it deletes, and why, with the semantics of
 * restic's {@code forget}.
 *
 * <p>{@link dev.drkit.backup.retention.RetentionPolicy#plan(java.util.Collection, java.time.Instant)} is a pure
 * function from backups (id, time, tags), a policy and the current time to a
 * {@link dev.drkit.backup.retention.RetentionPlan}: one keep-or-delete {@link
 * dev.drkit.backup.retention.RetentionPlan.Decision} per backup, newest first, each kept backup with its
 * {@link dev.drkit.backup.retention.KeepReason reasons}. Nothing here deletes anything: the plan is handed to a
 * separate step that does, and logs it. Backups are planned per {@linkplain dev.drkit.backup.retention.Backup#series()
 * series} (a run of backups of one thing), and whatever the policy, the newest backup of a series is never planned
 * for deletion, nor is its newest backup not dated after the current time.
 *
 * <pre>{@code
 * RetentionPolicy policy = RetentionPolicy.builder()
 *     .keepDaily(7).keepWeekly(4).keepMonthly(12)
 *     .zone(ZoneId.of("Europe/Berlin"))
 *     .build();
 * RetentionPlan plan = policy.plan(backups, Instant.now());
 * plan.toDelete().forEach(store::delete);
 * }</pre>
 *
 * <p>See {@code docs/retention.md} for the rules, a worked example, and where they differ from restic's and
 * Borg's.
 */
@NullMarked
package dev.drkit.backup.retention;

import org.jspecify.annotations.NullMarked;
