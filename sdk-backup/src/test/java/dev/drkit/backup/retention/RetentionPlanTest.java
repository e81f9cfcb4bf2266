package dev.drkit.backup.retention;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.drkit.backup.retention.Plans.backup;
import static dev.drkit.backup.retention.Plans.deleted;
import static dev.drkit.backup.retention.Plans.kept;
import static dev.drkit.backup.retention.Plans.plan;
import static dev.drkit.backup.retention.Plans.reasonsById;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

class RetentionPlanTest {

    static final String NOW = "2026-11-23T12:00:00Z";
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    /** The worked example of docs/retention.md: if this test changes, change the page. */
    @Test
    void theWorkedExampleOfTheDocs() {
        RetentionPolicy policy = RetentionPolicy.builder().keepDaily(3).keepWeekly(2).keepMonthly(3).build();

        RetentionPlan plan = plan(policy, NOW,
            backup("a", "2026-11-20T03:00:00Z"),
            backup("b", "2026-11-19T15:00:00Z"),
            backup("c", "2026-11-19T03:00:00Z"),
            backup("d", "2026-11-18T03:00:00Z"),
            backup("e", "2026-11-17T03:00:00Z"),
            backup("f", "2026-11-15T03:00:00Z"),
            backup("g", "2026-11-10T03:00:00Z"),
            backup("h", "2026-11-01T03:00:00Z"),
            backup("i", "2026-10-31T03:00:00Z"),
            backup("j", "2026-10-15T03:00:00Z"));

        assertThat(reasonsById(plan)).containsExactly(
            entry("a", List.of("daily 2026-11-20", "weekly 2026-W47", "monthly 2026-11")),
            entry("b", List.of("daily 2026-11-19")),
            entry("c", List.of()),
            entry("d", List.of("daily 2026-11-18")),
            entry("e", List.of()),
            entry("f", List.of("weekly 2026-W46")),
            entry("g", List.of()),
            entry("h", List.of()),
            entry("i", List.of("monthly 2026-10")),
            entry("j", List.of("oldest monthly 2026-10")));
        assertThat(kept(plan)).containsExactly("a", "b", "d", "f", "i", "j");
        assertThat(deleted(plan)).containsExactly("c", "e", "g", "h");
    }

    @Nested
    class KeepLast {

        @Test
        void keepsTheNNewestWhateverTheirTimes() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepLast(3).build(), NOW,
                backup("old", "2026-01-01T00:00:00Z"),
                backup("new", "2026-11-20T10:00:00Z"),
                backup("same-hour", "2026-11-20T10:59:00Z"),
                backup("older", "2026-11-19T10:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("same-hour", List.of("last 1")),
                entry("new", List.of("last 2")),
                entry("older", List.of("last 3")),
                entry("old", List.of()));
        }

        @Test
        void keepsAllWhenThereAreFewer() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepLast(10).build(), NOW,
                backup("a", "2026-11-20T10:00:00Z"),
                backup("b", "2026-11-20T09:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(entry("a", List.of("last 1")), entry("b", List.of("last 2")));
        }

        @Test
        void unlimitedKeepsEverything() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepLast(RetentionPolicy.UNLIMITED).build(), NOW,
                backup("a", "2026-11-20T10:00:00Z"),
                backup("b", "2026-11-20T10:00:00Z"),
                backup("c", "2020-01-01T00:00:00Z"));

            assertThat(plan.toDelete()).isEmpty();
            assertThat(plan.decision("c").orElseThrow().reasons()).extracting(Object::toString)
                .containsExactly("last 3");
        }
    }

    @Nested
    class CalendarBuckets {

        @Test
        void keepsTheNewestBackupOfEachOfTheNewestDays() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepDaily(2).build(), NOW,
                backup("20-late", "2026-11-20T23:00:00Z"),
                backup("20-early", "2026-11-20T01:00:00Z"),
                backup("19-late", "2026-11-19T22:00:00Z"),
                backup("19-early", "2026-11-19T02:00:00Z"),
                backup("18", "2026-11-18T12:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("20-late", List.of("daily 2026-11-20")),
                entry("20-early", List.of()),
                entry("19-late", List.of("daily 2026-11-19")),
                entry("19-early", List.of()),
                entry("18", List.of()));
        }

        @Test
        void daysWithoutBackupsDoNotCount() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepDaily(2).build(), NOW,
                backup("20", "2026-11-20T03:00:00Z"),
                backup("10", "2026-11-10T03:00:00Z"),
                backup("01", "2026-11-01T03:00:00Z"));

            assertThat(kept(plan)).containsExactly("20", "10");
        }

        @Test
        void hourlyMonthlyAndYearlyBucketsUseTheirOwnLabels() {
            RetentionPlan plan = plan(
                RetentionPolicy.builder().keepHourly(1).keepMonthly(1).keepYearly(2).build(), NOW,
                backup("a", "2026-11-20T14:59:59Z"),
                backup("b", "2026-11-20T14:00:00Z"),
                backup("c", "2025-12-31T23:59:59Z"),
                backup("d", "2025-06-01T00:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("a", List.of("hourly 2026-11-20T14", "monthly 2026-11", "yearly 2026")),
                entry("b", List.of()),
                entry("c", List.of("yearly 2025")),
                entry("d", List.of()));
        }

        @Test
        void rulesOverlapAndABackupGetsEveryReasonThatKeepsIt() {
            RetentionPlan plan = plan(
                RetentionPolicy.builder().keepLast(1).keepDaily(7).keepWeekly(4).keepMonthly(12).keepYearly(1).build(),
                NOW,
                backup("sunday", "2026-11-22T03:00:00Z"),
                backup("saturday", "2026-11-21T03:00:00Z"),
                backup("last-june", "2025-06-01T03:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("sunday",
                    List.of("last 1", "daily 2026-11-22", "weekly 2026-W47", "monthly 2026-11", "yearly 2026")),
                entry("saturday", List.of("daily 2026-11-21")),
                entry("last-june", List.of("daily 2025-06-01", "weekly 2025-W22", "monthly 2025-06")));
        }

        @Test
        void unlimitedKeepsTheNewestOfEveryBucket() {
            List<Backup> backups = new ArrayList<>();
            ZonedDateTime start = ZonedDateTime.parse("2024-01-15T12:00:00Z");
            for (int month = 0; month < 30; month++) {
                backups.add(Backup.of("m" + month + "-late", start.plusMonths(month).plusDays(1).toInstant()));
                backups.add(Backup.of("m" + month + "-early", start.plusMonths(month).toInstant()));
            }
            RetentionPlan plan = RetentionPolicy.builder().keepMonthly(RetentionPolicy.UNLIMITED).build()
                .plan(backups, Instant.parse(NOW));

            assertThat(plan.toKeep()).hasSize(31);    // 30 months, and the oldest (restic's rule)
            assertThat(plan.toKeep()).extracting(Backup::id).filteredOn(id -> id.endsWith("-late")).hasSize(30);
            assertThat(plan.decision("m0-early").orElseThrow().reasons())
                .extracting(Object::toString).containsExactly("oldest monthly 2024-01");
        }
    }

    @Nested
    class IsoWeeks {

        @Test
        void weekOneOfAYearMayStartInDecember() {
            // 1 January 2026 is a Thursday, so ISO week 2026-W01 runs from Monday 29 December 2025.
            RetentionPlan plan = plan(RetentionPolicy.builder().keepWeekly(5).build(), NOW,
                backup("fri-2026-01-02", "2026-01-02T12:00:00Z"),
                backup("mon-2025-12-29", "2025-12-29T12:00:00Z"),
                backup("sun-2025-12-28", "2025-12-28T12:00:00Z"),
                backup("sat-2025-12-27", "2025-12-27T12:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("fri-2026-01-02", List.of("weekly 2026-W01")),
                entry("mon-2025-12-29", List.of()),
                entry("sun-2025-12-28", List.of("weekly 2025-W52")),
                entry("sat-2025-12-27", List.of("oldest weekly 2025-W52")));
        }

        @Test
        void aYearCanHaveAWeek53ThatEndsInTheNextYear() {
            // 2026 starts on a Thursday, so it has 53 ISO weeks; 3 January 2027 is still in 2026-W53.
            RetentionPlan plan = plan(RetentionPolicy.builder().keepWeekly(5).keepYearly(5).build(), NOW,
                backup("mon-2027-01-04", "2027-01-04T12:00:00Z"),
                backup("sun-2027-01-03", "2027-01-03T12:00:00Z"),
                backup("thu-2026-12-31", "2026-12-31T12:00:00Z"),
                backup("mon-2026-12-28", "2026-12-28T12:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("mon-2027-01-04", List.of("weekly 2027-W01", "yearly 2027")),
                entry("sun-2027-01-03", List.of("weekly 2026-W53")),
                entry("thu-2026-12-31", List.of("yearly 2026")),
                entry("mon-2026-12-28", List.of("oldest weekly 2026-W53", "oldest yearly 2026")));
        }
    }

    @Nested
    class TheOldestBackup {

        @Test
        void isKeptWhenARuleHasCountLeft() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepDaily(7).build(), NOW,
                backup("20-late", "2026-11-20T22:00:00Z"),
                backup("20-early", "2026-11-20T02:00:00Z"),
                backup("19-late", "2026-11-19T22:00:00Z"),
                backup("19-early", "2026-11-19T02:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("20-late", List.of("daily 2026-11-20")),
                entry("20-early", List.of()),
                entry("19-late", List.of("daily 2026-11-19")),
                entry("19-early", List.of("oldest daily 2026-11-19")));
            KeepReason oldest = plan.decision("19-early").orElseThrow().reasons().get(0);
            assertThat(oldest.isOldest()).isTrue();
            assertThat(oldest.bucket()).hasValue("2026-11-19");
        }

        @Test
        void isNotKeptWhenEveryRuleUsedUpItsCount() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepDaily(2).build(), NOW,
                backup("20", "2026-11-20T22:00:00Z"),
                backup("19-late", "2026-11-19T22:00:00Z"),
                backup("19-early", "2026-11-19T02:00:00Z"));

            assertThat(deleted(plan)).containsExactly("19-early");
        }

        @Test
        void inANewBucketIsAnOrdinaryKeep() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepDaily(7).build(), NOW,
                backup("20", "2026-11-20T22:00:00Z"),
                backup("19", "2026-11-19T22:00:00Z"));

            KeepReason reason = plan.decision("19").orElseThrow().reasons().get(0);
            assertThat(reason.isOldest()).isFalse();
            assertThat(reason).hasToString("daily 2026-11-19");
        }

        @Test
        void losesItsPlaceWhenAnOlderBackupArrives() {
            // The one exception to "adding an older backup never deletes a kept one": the backup kept only as the
            // oldest is deleted once it is no longer the oldest, and the new oldest takes its place.
            RetentionPolicy policy = RetentionPolicy.builder().keepDaily(7).build();
            Backup late = backup("20-late", "2026-11-20T22:00:00Z");
            Backup early = backup("20-early", "2026-11-20T02:00:00Z");

            assertThat(kept(plan(policy, NOW, late, early))).containsExactly("20-late", "20-early");
            assertThat(reasonsById(plan(policy, NOW, late, early, backup("19", "2026-11-19T12:00:00Z"))))
                .containsExactly(
                    entry("20-late", List.of("daily 2026-11-20")),
                    entry("20-early", List.of()),
                    entry("19", List.of("daily 2026-11-19")));
        }

        @Test
        void isKeptByAWindowedRuleWhenItIsWithinTheWindow() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepWithinDaily(RetentionDuration.ofDays(10)).build(),
                NOW,
                backup("late", "2026-11-20T22:00:00Z"),
                backup("middle", "2026-11-20T12:00:00Z"),
                backup("early", "2026-11-20T02:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("late", List.of("daily 2026-11-20 within 10d")),
                entry("middle", List.of()),
                entry("early", List.of("oldest daily 2026-11-20 within 10d")));
        }
    }

    @Nested
    class TimeZones {

        @Test
        void bucketsAreTakenOnTheWallClockOfThePolicysZone() {
            Backup[] backups = {
                backup("a", "2026-11-19T23:30:00Z"),     // 00:30 on 20 November in Berlin
                backup("b", "2026-11-19T22:30:00Z"),     // 23:30 on 19 November in Berlin
                backup("c", "2026-11-18T12:00:00Z")};
            RetentionPolicy utc = RetentionPolicy.builder().keepDaily(7).build();

            assertThat(reasonsById(plan(utc, NOW, backups))).containsExactly(
                entry("a", List.of("daily 2026-11-19")),
                entry("b", List.of()),
                entry("c", List.of("daily 2026-11-18")));
            assertThat(reasonsById(plan(utc.toBuilder().zone(BERLIN).build(), NOW, backups))).containsExactly(
                entry("a", List.of("daily 2026-11-20")),
                entry("b", List.of("daily 2026-11-19")),
                entry("c", List.of("daily 2026-11-18")));
        }

        @Test
        void theRepeatedHourWhenClocksGoBackIsOneBucket() {
            // Berlin, 25 October 2026: 03:00 summer time becomes 02:00 winter time, so 02:xx happens twice.
            RetentionPlan plan = plan(RetentionPolicy.builder().keepHourly(24).zone(BERLIN).build(), NOW,
                backup("03:30", "2026-10-25T02:30:00Z"),
                backup("02:30-winter", "2026-10-25T01:30:00Z"),
                backup("02:30-summer", "2026-10-25T00:30:00Z"),
                backup("oldest", "2026-10-24T12:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("03:30", List.of("hourly 2026-10-25T03")),
                entry("02:30-winter", List.of("hourly 2026-10-25T02")),
                entry("02:30-summer", List.of()),
                entry("oldest", List.of("hourly 2026-10-24T14")));
        }

        @Test
        void theSkippedHourWhenClocksGoForwardHasNoBucket() {
            // Berlin, 29 March 2026: 02:00 winter time becomes 03:00 summer time.
            RetentionPlan plan = plan(RetentionPolicy.builder().keepHourly(2).zone(BERLIN).build(), NOW,
                backup("03:30", "2026-03-29T01:30:00Z"),
                backup("01:30", "2026-03-29T00:30:00Z"),
                backup("00:30", "2026-03-28T23:30:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("03:30", List.of("hourly 2026-03-29T03")),
                entry("01:30", List.of("hourly 2026-03-29T01")),
                entry("00:30", List.of()));
        }

        @Test
        void keepWithinCountsCalendarDaysSoADayWithAClockChangeIs23Hours() {
            // From 12:00 on 29 March 2026 in Berlin, one day back is 12:00 on 28 March: 23 hours earlier.
            Backup[] backups = {
                backup("newest", "2026-03-29T10:00:00Z"),
                backup("22.5h", "2026-03-28T11:30:00Z"),
                backup("23.5h", "2026-03-28T10:30:00Z")};
            RetentionPolicy oneDay = RetentionPolicy.builder().keepWithin(RetentionDuration.parse("1d")).build();

            assertThat(kept(plan(oneDay.toBuilder().zone(BERLIN).build(), NOW, backups)))
                .containsExactly("newest", "22.5h");
            assertThat(kept(plan(oneDay, NOW, backups))).containsExactly("newest", "22.5h", "23.5h");
        }

        @Test
        void aDayTheClockReturnsToLaterIsStillOneBucket() {
            // Sitka, Alaska, 19 October 1867: the clock went back about a day (the date line moved), so the wall
            // clock showed 18 and 19 October twice. restic compares a bucket only with the previous one and
            // would keep a second backup for the 19th; drkit keeps one backup per bucket.
            ZoneId sitka = ZoneId.of("America/Sitka");
            ZoneOffset before = ZoneOffset.ofHoursMinutesSeconds(14, 58, 47);
            ZoneOffset after = ZoneOffset.ofHoursMinutesSeconds(-9, -1, -13);
            Backup a = Backup.of("19-again", at("1867-10-19T10:00", after, sitka));
            Backup b = Backup.of("18-again", at("1867-10-18T20:00", after, sitka));
            Backup c = Backup.of("19-first", at("1867-10-19T12:00", before, sitka));
            Backup d = Backup.of("18-first", at("1867-10-18T12:00", before, sitka));

            RetentionPlan plan = RetentionPolicy.builder().keepDaily(10).zone(sitka).build()
                .plan(List.of(a, b, c, d), Instant.parse(NOW));

            assertThat(reasonsById(plan)).containsExactly(
                entry("19-again", List.of("daily 1867-10-19")),
                entry("18-again", List.of("daily 1867-10-18")),
                entry("19-first", List.of()),
                entry("18-first", List.of("oldest daily 1867-10-18")));
        }

        private Instant at(String wallClock, ZoneOffset offset, ZoneId zone) {
            return ZonedDateTime.ofStrict(LocalDateTime.parse(wallClock), offset, zone).toInstant();
        }
    }

    @Nested
    class KeepWithin {

        @Test
        void keepsBackupsStrictlyAfterTheNewestLessTheDuration() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepWithin(RetentionDuration.parse("2d")).build(), NOW,
                backup("newest", "2026-11-20T12:00:00Z"),
                backup("just-inside", "2026-11-18T12:00:00.000000001Z"),
                backup("on-the-boundary", "2026-11-18T12:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("newest", List.of("within 2d")),
                entry("just-inside", List.of("within 2d")),
                entry("on-the-boundary", List.of()));
        }

        @Test
        void countsFromTheNewestBackupNotFromNow() {
            // A year without backups deletes nothing that keep-within kept before.
            RetentionPlan plan = plan(RetentionPolicy.builder().keepWithin(RetentionDuration.parse("2d")).build(),
                "2027-11-20T12:00:00Z",
                backup("newest", "2026-11-20T12:00:00Z"),
                backup("yesterday", "2026-11-19T12:00:00Z"));

            assertThat(kept(plan)).containsExactly("newest", "yesterday");
            assertThat(plan.withinAnchor()).hasValue(Instant.parse("2026-11-20T12:00:00Z"));
        }

        @Test
        void ignoresBackupsDatedInTheFutureWhenFindingTheNewest() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepWithin(RetentionDuration.parse("3d")).build(),
                "2026-11-20T12:00:00Z",
                backup("future", "2026-12-01T00:00:00Z"),
                backup("1d-ago", "2026-11-19T12:00:00Z"),
                backup("5d-ago", "2026-11-15T12:00:00Z"));

            assertThat(plan.withinAnchor()).hasValue(Instant.parse("2026-11-19T12:00:00Z"));
            assertThat(reasonsById(plan)).containsExactly(
                entry("future", List.of("within 3d")),
                entry("1d-ago", List.of("within 3d")),
                entry("5d-ago", List.of()));
        }

        @Test
        void aBackupAtNowCountsAsNewest() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepWithin(RetentionDuration.parse("1h")).build(),
                "2026-11-20T12:00:00Z",
                backup("now", "2026-11-20T12:00:00Z"),
                backup("2h-ago", "2026-11-20T10:00:00Z"));

            assertThat(kept(plan)).containsExactly("now");
        }

        @Test
        void whenEveryBackupIsInTheFutureAllAreWithin() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepWithin(RetentionDuration.parse("1d")).build(),
                "2020-01-01T00:00:00Z",
                backup("a", "2026-11-20T12:00:00Z"),
                backup("b", "2025-11-20T12:00:00Z"));

            assertThat(plan.withinAnchor()).isEmpty();
            assertThat(plan.toDelete()).isEmpty();
        }

        @Test
        void windowedCalendarRulesKeepTheNewestOfEachBucketInsideTheWindow() {
            RetentionPlan plan = plan(
                RetentionPolicy.builder().keepWithinDaily(RetentionDuration.parse("2d")).build(), NOW,
                backup("20-late", "2026-11-20T20:00:00Z"),
                backup("20-early", "2026-11-20T08:00:00Z"),
                backup("19-late", "2026-11-19T20:00:00Z"),
                backup("18-late", "2026-11-18T20:00:00Z"),
                backup("18-early", "2026-11-18T08:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("20-late", List.of("daily 2026-11-20 within 2d")),
                entry("20-early", List.of()),
                entry("19-late", List.of("daily 2026-11-19 within 2d")),
                entry("18-late", List.of()),          // exactly 2 days before the newest: outside
                entry("18-early", List.of()));
        }
    }

    @Nested
    class Tags {

        @Test
        void keepEveryTaggedBackupWithoutUsingABucket() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepDaily(1).keepTag("pinned").build(), NOW,
                backup("20-late", "2026-11-20T20:00:00Z"),
                backup("20-pinned", "2026-11-20T08:00:00Z", "pinned"),
                backup("19", "2026-11-19T08:00:00Z"),
                backup("18-pinned", "2026-11-18T08:00:00Z", "pinned", "nightly"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("20-late", List.of("daily 2026-11-20")),
                entry("20-pinned", List.of("tag pinned")),
                entry("19", List.of()),
                entry("18-pinned", List.of("tag pinned")));
        }

        @Test
        void aRuleWithSeveralTagsNeedsAllOfThem() {
            RetentionPlan plan = plan(
                RetentionPolicy.builder().keepTag("prod", "db").keepTag("release").build(), NOW,
                backup("both", "2026-11-20T20:00:00Z", "db", "prod"),
                backup("prod-only", "2026-11-20T19:00:00Z", "prod"),
                backup("release", "2026-11-20T18:00:00Z", "release"),
                backup("all", "2026-11-20T17:00:00Z", "release", "prod", "db"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("both", List.of("tags db,prod")),
                entry("prod-only", List.of()),
                entry("release", List.of("tag release")),
                entry("all", List.of("tags db,prod", "tag release")));
        }
    }

    @Nested
    class TheNewestBackup {

        @Test
        void isKeptEvenWhenNoRuleKeepsIt() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepTag("pinned").build(), NOW,
                backup("newest", "2026-11-20T20:00:00Z"),
                backup("pinned", "2026-11-19T20:00:00Z", "pinned"),
                backup("other", "2026-11-18T20:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("newest", List.of("newest backup")),
                entry("pinned", List.of("tag pinned")),
                entry("other", List.of()));
            assertThat(plan.decisions().get(0).reasons().get(0).rule()).isEqualTo(KeepReason.Rule.NEWEST);
        }

        @Test
        void getsNoExtraReasonWhenARuleKeepsIt() {
            RetentionPlan plan = plan(RetentionPolicy.defaults(), NOW, backup("only", "2026-11-20T20:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("only", List.of("daily 2026-11-20", "weekly 2026-W47", "monthly 2026-11")));
        }

        @Test
        void isTheNewestEvenWhenDatedInTheFutureAndTheNewestNotInTheFutureIsKeptToo() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepTag("x").build(), "2026-01-01T00:00:00Z",
                backup("future", "2026-11-20T20:00:00Z"),
                backup("past", "2025-11-20T20:00:00Z"),
                backup("older", "2025-11-19T20:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("future", List.of("newest backup")),
                entry("past", List.of("newest backup not dated in the future")),
                entry("older", List.of()));
            assertThat(plan.decision("past").orElseThrow().reasons().get(0).rule())
                .isEqualTo(KeepReason.Rule.NEWEST_NOT_IN_FUTURE);
            assertThat(plan.datedAfterNow()).extracting(Backup::id).containsExactly("future");
        }

        /** A host with a wrong clock must not cost every real backup at the next rotation. */
        @Test
        void aBackupDatedInTheFutureUsingUpKeepLastLeavesTheNewestRealBackup() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepLast(1).build(), "2026-11-20T04:00:00Z",
                backup("2099", "2099-01-01T00:00:00Z"),
                backup("today", "2026-11-20T03:00:00Z"),
                backup("yesterday", "2026-11-19T03:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("2099", List.of("last 1")),
                entry("today", List.of("newest backup not dated in the future")),
                entry("yesterday", List.of()));
        }

        @Test
        void theNewestNotInTheFutureGetsNoExtraReasonWhenARuleKeepsIt() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepLast(2).build(), "2026-11-20T04:00:00Z",
                backup("future", "2026-11-21T00:00:00Z"),
                backup("today", "2026-11-20T03:00:00Z"),
                backup("yesterday", "2026-11-19T03:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("future", List.of("last 1")),
                entry("today", List.of("last 2")),
                entry("yesterday", List.of()));
        }

        @Test
        void aBackupAtNowIsNotInTheFuture() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepTag("x").build(), "2026-11-20T03:00:00Z",
                backup("later", "2026-11-20T03:00:00.000000001Z"),
                backup("at-now", "2026-11-20T03:00:00Z"),
                backup("before", "2026-11-20T02:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("later", List.of("newest backup")),
                entry("at-now", List.of("newest backup not dated in the future")),
                entry("before", List.of()));
            assertThat(plan.datedAfterNow()).extracting(Backup::id).containsExactly("later");
        }

        @Test
        void whenEveryBackupIsInTheFutureOnlyTheNewestIsKept() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepTag("x").build(), "2020-01-01T00:00:00Z",
                backup("a", "2026-11-20T12:00:00Z"),
                backup("b", "2025-11-20T12:00:00Z"));

            assertThat(kept(plan)).containsExactly("a");
            assertThat(plan.datedAfterNow()).extracting(Backup::id).containsExactly("a", "b");
        }

        @Test
        void eachSeriesKeepsItsOwnNewestBackupNotInTheFuture() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepLast(1).build(), "2026-11-20T04:00:00Z",
                backup("db-future", "2030-01-01T00:00:00Z").inSeries("db"),
                backup("db-real", "2026-11-19T00:00:00Z").inSeries("db"),
                backup("db-old", "2026-11-18T00:00:00Z").inSeries("db"),
                backup("files-real", "2026-11-20T00:00:00Z").inSeries("files"),
                backup("files-old", "2026-11-17T00:00:00Z").inSeries("files"));

            assertThat(kept(plan)).containsExactly("db-future", "files-real", "db-real");
            assertThat(plan.decision("db-real").orElseThrow().reasons()).extracting(Object::toString)
                .containsExactly("newest backup not dated in the future");
            assertThat(plan.datedAfterNow()).extracting(Backup::id).containsExactly("db-future");
        }
    }

    @Nested
    class Ties {

        @Test
        void theSmallerIdCountsAsTheNewer() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepDaily(7).build(), NOW,
                backup("b", "2026-11-20T12:00:00Z"),
                backup("a", "2026-11-20T12:00:00Z"),
                backup("c", "2026-11-19T12:00:00Z"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("a", List.of("daily 2026-11-20")),
                entry("b", List.of()),
                entry("c", List.of("daily 2026-11-19")));
        }

        @Test
        void theOrderOfTheInputDoesNotMatter() {
            List<Backup> backups = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                // Three backups every seven hours: several per day, and ties.
                Instant time = Instant.parse("2026-11-20T12:00:00Z").minusSeconds(3600L * 7 * (i / 3));
                backups.add(Backup.of("b" + i, time));
            }
            RetentionPolicy policy = RetentionPolicy.builder().keepLast(2).keepDaily(5).keepWeekly(3).build();
            RetentionPlan expected = policy.plan(backups, Instant.parse(NOW));

            Random random = new Random(42);
            for (int round = 0; round < 20; round++) {
                Collections.shuffle(backups, random);
                assertThat(policy.plan(backups, Instant.parse(NOW)).decisions()).isEqualTo(expected.decisions());
            }
        }
    }

    @Nested
    class Series {

        @Test
        void eachSeriesKeepsItsOwnNewestBackupsWhateverTheOthersHold() {
            RetentionPolicy policy = RetentionPolicy.builder().keepLast(1).build();

            RetentionPlan plan = plan(policy, NOW,
                backup("file-2", "2026-11-22T03:00:00Z").inSeries("file a.txt"),
                backup("file-1", "2026-11-21T03:00:00Z").inSeries("file a.txt"),
                backup("dir-1", "2026-11-20T03:00:00Z").inSeries("directory src"));

            assertThat(reasonsById(plan)).containsExactly(
                entry("file-2", List.of("last 1")),
                entry("file-1", List.of()),
                entry("dir-1", List.of("last 1")));
            assertThat(plan.series()).containsExactly("file a.txt", "directory src");
            assertThat(plan.decisions("directory src")).extracting(d -> d.backup().id()).containsExactly("dir-1");
        }

        @Test
        void withoutSeriesTheSameBackupsAreOneSeries() {
            RetentionPolicy policy = RetentionPolicy.builder().keepLast(1).build();

            RetentionPlan plan = plan(policy, NOW,
                backup("file-2", "2026-11-22T03:00:00Z"),
                backup("file-1", "2026-11-21T03:00:00Z"),
                backup("dir-1", "2026-11-20T03:00:00Z"));

            assertThat(kept(plan)).containsExactly("file-2");
            assertThat(plan.series()).containsExactly("");
        }

        @Test
        void keepWithinCountsBackFromTheNewestBackupOfEachSeries() {
            RetentionPolicy policy = RetentionPolicy.builder().keepWithin(RetentionDuration.parse("1d")).build();

            RetentionPlan plan = plan(policy, NOW,
                backup("a-new", "2026-11-22T12:00:00Z").inSeries("a"),
                backup("b-new", "2026-11-10T12:00:00Z").inSeries("b"),
                backup("b-day-before", "2026-11-09T18:00:00Z").inSeries("b"),
                backup("b-old", "2026-11-01T12:00:00Z").inSeries("b"));

            assertThat(kept(plan)).containsExactly("a-new", "b-new", "b-day-before");
            assertThat(plan.withinAnchor("b")).hasValue(Instant.parse("2026-11-10T12:00:00Z"));
            assertThat(plan.withinAnchor()).hasValue(Instant.parse("2026-11-22T12:00:00Z"));
            assertThat(plan.withinAnchor("none")).isEmpty();
        }

        @Test
        void aSeriesNameIsCheckedAndPartOfTheBackup() {
            Backup plain = backup("a", "2026-11-22T12:00:00Z");

            assertThat(plain.series()).isEmpty();
            assertThat(plain.inSeries("directory src")).isNotEqualTo(plain)
                .hasToString("Backup[a at 2026-11-22T12:00:00Z, series directory src]");
            assertThat(plain.inSeries("")).isEqualTo(plain);
            assertThatThrownBy(() -> plain.inSeries("line\nbreak")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line\\u000abreak");
            assertThatThrownBy(() -> plain.inSeries("x".repeat(Backup.MAX_SERIES_LENGTH + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class ThePlan {

        @Test
        void isEmptyForNoBackups() {
            RetentionPlan plan = RetentionPolicy.defaults().plan(List.of(), Instant.parse(NOW));

            assertThat(plan.decisions()).isEmpty();
            assertThat(plan.toKeep()).isEmpty();
            assertThat(plan.withinAnchor()).isEmpty();
        }

        @Test
        void rejectsTwoBackupsWithOneId() {
            assertThatThrownBy(() -> plan(RetentionPolicy.defaults(), NOW,
                backup("x", "2026-11-20T12:00:00Z"), backup("x", "2026-11-19T12:00:00Z")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backup ids must be distinct, but 'x' appears more than once");
        }

        @Test
        void isUnmodifiableAndFindsDecisionsById() {
            RetentionPlan plan = plan(RetentionPolicy.builder().keepLast(1).build(), NOW,
                backup("a", "2026-11-20T12:00:00Z"), backup("b", "2026-11-19T12:00:00Z"));

            assertThatThrownBy(() -> plan.decisions().clear()).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> plan.toDelete().clear()).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> plan.decisions().get(0).reasons().clear())
                .isInstanceOf(UnsupportedOperationException.class);
            assertThat(plan.decision("b").map(RetentionPlan.Decision::keep)).hasValue(false);
            assertThat(plan.decision("nope")).isEmpty();
            assertThat(plan.decisions().get(0)).hasToString("keep a 2026-11-20T12:00:00Z [last 1]");
            assertThat(plan).hasToString("RetentionPlan[keep 1, delete 1; keep 1 last; in UTC]");
        }

        @Test
        void isAPureFunctionOfItsArguments() {
            List<Backup> backups = List.of(backup("a", "2026-11-20T12:00:00Z"), backup("b", "2026-11-13T12:00:00Z"));
            Map<String, List<String>> first = reasonsById(RetentionPolicy.defaults().plan(backups, Instant.parse(NOW)));

            assertThat(reasonsById(RetentionPolicy.defaults().plan(backups, Instant.parse(NOW)))).isEqualTo(first);
        }
    }
}
