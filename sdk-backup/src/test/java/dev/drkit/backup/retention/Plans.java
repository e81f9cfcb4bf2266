package dev.drkit.backup.retention;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Helpers for retention tests: backups from short literals, and plans as id-to-reasons maps. */
final class Plans {

    private Plans() {
    }

    /** A backup with id {@code id} taken at {@code time} (ISO-8601 with offset) with {@code tags}. */
    static Backup backup(String id, String time, String... tags) {
        return Backup.of(id, Instant.parse(time), Set.of(tags));
    }

    /** {@code backups} planned by {@code policy} at {@code now}. */
    static RetentionPlan plan(RetentionPolicy policy, String now, Backup... backups) {
        return policy.plan(Arrays.asList(backups), Instant.parse(now));
    }

    /** The plan as id to reason texts, newest first; a deleted backup maps to an empty list. */
    static Map<String, List<String>> reasonsById(RetentionPlan plan) {
        Map<String, List<String>> reasons = new LinkedHashMap<>();
        for (RetentionPlan.Decision decision : plan.decisions()) {
            reasons.put(decision.backup().id(),
                decision.reasons().stream().map(KeepReason::toString).collect(Collectors.toList()));
        }
        return reasons;
    }

    /** The ids of the kept backups, newest first. */
    static List<String> kept(RetentionPlan plan) {
        return plan.toKeep().stream().map(Backup::id).collect(Collectors.toList());
    }

    /** The ids of the deleted backups, newest first. */
    static List<String> deleted(RetentionPlan plan) {
        return plan.toDelete().stream().map(Backup::id).collect(Collectors.toList());
    }
}
