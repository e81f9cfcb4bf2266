package dev.drkit.backup.retention;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The quick start of docs/retention.md, compiled and run. */
class RetentionQuickStartTest {

    @Test
    void quickStartFromTheDocsWorks() {
        List<Backup> backups = new ArrayList<>();
        for (int day = 0; day < 90; day++) {
            Instant time = Instant.parse("2026-11-20T02:00:00Z").minusSeconds(86_400L * day);
            backups.add(Backup.of("nightly-" + day, time, day == 45 ? Set.of("pinned") : Set.of()));
        }
        List<String> log = new ArrayList<>();
        List<Backup> deleted = new ArrayList<>();

        // tag::quick-start[]
        RetentionPolicy policy = RetentionPolicy.builder()
            .keepDaily(7).keepWeekly(4).keepMonthly(12)     // the same as RetentionPolicy.defaults() ...
            .keepTag("pinned")                              // ... and every backup tagged "pinned"
            .zone(ZoneId.of("Europe/Berlin"))               // days, weeks and months as in Berlin
            .build();

        RetentionPlan plan = policy.plan(backups, Instant.now());     // pure: reads and deletes nothing
        for (RetentionPlan.Decision decision : plan.decisions()) {     // newest first
            log.add((decision.keep() ? "keep " : "delete ") + decision.backup().id() + " " + decision.reasons());
        }
        deleted.addAll(plan.toDelete());                              // hand these to the step that deletes
        // end::quick-start[]

        assertThat(log.get(0)).isEqualTo("keep nightly-0 [daily 2026-11-20, weekly 2026-W47, monthly 2026-11]");
        assertThat(log).contains("keep nightly-45 [tag pinned]");
        // 7 days; 2 more weeks (2026-W45, W44: W47 and W46 are among the days); 3 more months (October, September,
        // August); the pinned backup; and the oldest, since 12 monthly were asked for and only 4 months exist.
        assertThat(plan.toKeep()).hasSize(7 + 2 + 3 + 1 + 1);
        assertThat(deleted).hasSize(90 - plan.toKeep().size()).doesNotContain(backups.get(0));
    }
}
