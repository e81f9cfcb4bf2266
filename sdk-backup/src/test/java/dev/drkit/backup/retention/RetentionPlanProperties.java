package dev.drkit.backup.retention;

import dev.drkit.backup.retention.KeepReason.Rule;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;
import org.quicktheories.dsl.TheoryBuilder;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Invariants of retention planning, checked on random backups and policies: the plan is a partition of the
 * backups, the newest backup is always kept and so is the newest not dated after now, every calendar keep is the newest backup of its bucket and a rule
 * keeps exactly its newest buckets, keep-within and keep-tag keep exactly what they should, adding an older
 * backup never changes the decision for a newer one (restic's oldest-backup rule aside), the order of the
 * input does not matter, and each series of backups is planned as if it were alone, keeping its newest backup.
 *
 * <p>Each check takes the planner to test as a parameter; the meta-tests at the end feed it deliberately broken
 * planners and expect it to fail, so a check that cannot fail would be noticed. A {@link Scenario} is made from
 * one random seed, which QuickTheories prints when a check fails; {@code Scenario.of(seed)} replays it.
 * Bucket labels are computed here with {@link DateTimeFormatter}, independently of the planner's own.
 */
class RetentionPlanProperties {

    static final int EXAMPLES = 400;

    /** QuickTheories skips an input it has already tried; with random longs that is rare, but allow for it. */
    static final int MIN_EXAMPLES_RUN = EXAMPLES * 9 / 10;

    /** Zones with and without daylight saving, a half-hour shift, and one whose clock went back a whole day. */
    static final List<ZoneId> ZONES = List.of(ZoneId.of("UTC"), ZoneId.of("Europe/Berlin"),
        ZoneId.of("America/New_York"), ZoneId.of("Australia/Lord_Howe"), ZoneId.of("Asia/Kolkata"),
        ZoneId.of("America/Sitka"));

    /** Where scenarios start: around a year end with an ISO week 53, both 2026 clock changes, and 1867. */
    static final List<Instant> STARTS = List.of(Instant.parse("2026-12-20T00:00:00Z"),
        Instant.parse("2026-03-26T00:00:00Z"), Instant.parse("2026-10-22T00:00:00Z"),
        Instant.parse("1867-10-12T00:00:00Z"), Instant.parse("2024-02-25T00:00:00Z"));

    /** How far apart backups spread, in minutes: three days, three weeks, three months, three years. */
    static final long[] SPANS = {3L * 24 * 60, 21L * 24 * 60, 92L * 24 * 60, 3L * 366 * 24 * 60};

    static final List<String> DURATIONS = List.of("1h", "12h", "1d", "3d", "14d", "1m", "1y", "2y3m", "1m2d5h");

    /** Newest first, smaller id first among equal times: the order the planner promises. */
    static final Comparator<Backup> NEWEST_FIRST = Planner.NEWEST_FIRST;

    /** A planner under test. */
    interface PlannerUnderTest {
        RetentionPlan plan(RetentionPolicy policy, List<Backup> backups, Instant now);
    }

    static final PlannerUnderTest REAL = RetentionPolicy::plan;

    /**
     * Random backups, a random policy, a current time, and one more backup for the adding-an-older-backup check.
     */
    record Scenario(long seed, RetentionPolicy policy, List<Backup> backups, Instant now, Backup extra) {

        static Scenario of(long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            ZoneId zone = ZONES.get(random.nextInt(ZONES.size()));
            Instant start = STARTS.get(random.nextInt(STARTS.size()));
            long span = SPANS[random.nextInt(SPANS.length)];
            int count = random.nextInt(4) == 0 ? random.nextInt(4) : random.nextInt(45);
            List<Backup> backups = new ArrayList<>();
            Instant previous = start;
            for (int i = 0; i < count; i++) {
                // Now and then two backups share an instant, to exercise the tie-break.
                Instant time = i > 0 && random.nextInt(8) == 0
                    ? previous : start.plusSeconds(random.nextLong(span) * 60 + random.nextInt(60));
                backups.add(Backup.of("b" + i, time, tags(random)));
                previous = time;
            }
            Instant now = start.plusSeconds(random.nextLong(span + span / 5) * 60);
            Instant extraTime = start.plusSeconds((random.nextLong(span + span / 4) - span / 4) * 60);
            Backup extra = Backup.of("x", extraTime, tags(random));
            return new Scenario(seed, policy(random, zone), List.copyOf(backups), now, extra);
        }

        private static Set<String> tags(SplittableRandom random) {
            int pick = random.nextInt(6);
            return pick == 0 ? Set.of("prod") : pick == 1 ? Set.of("prod", "db") : pick == 2 ? Set.of("db") : Set.of();
        }

        private static RetentionPolicy policy(SplittableRandom random, ZoneId zone) {
            RetentionPolicy.Builder builder = RetentionPolicy.builder().zone(zone);
            if (random.nextInt(10) == 0) {
                // Tags only: the newest backup is then often kept by drkit's own rule alone.
                return builder.keepTag(random.nextBoolean() ? "db" : "prod").build();
            }
            builder.keepLast(count(random)).keepHourly(count(random)).keepDaily(count(random))
                .keepWeekly(count(random)).keepMonthly(count(random)).keepYearly(count(random));
            builder.keepWithin(duration(random)).keepWithinHourly(duration(random))
                .keepWithinDaily(duration(random)).keepWithinWeekly(duration(random))
                .keepWithinMonthly(duration(random)).keepWithinYearly(duration(random));
            if (random.nextInt(5) == 0) {
                builder.keepTag("prod");
            }
            if (random.nextInt(8) == 0) {
                builder.keepTag("prod", "db");
            }
            try {
                return builder.build();
            } catch (IllegalArgumentException empty) {
                // Every rule came out off: keep by a tag only, which often leaves the newest to drkit's own rule.
                return builder.keepTag("db").build();
            }
        }

        private static int count(SplittableRandom random) {
            if (random.nextInt(3) != 0) {
                return 0;
            }
            int[] counts = {1, 2, 3, 5, 8, RetentionPolicy.UNLIMITED};
            return counts[random.nextInt(counts.length)];
        }

        private static RetentionDuration duration(SplittableRandom random) {
            return random.nextInt(6) == 0
                ? RetentionDuration.parse(DURATIONS.get(random.nextInt(DURATIONS.size()))) : RetentionDuration.ZERO;
        }

        RetentionPlan plan(PlannerUnderTest planner) {
            return planner.plan(policy, backups, now);
        }

        List<Backup> sorted() {
            List<Backup> sorted = new ArrayList<>(backups);
            sorted.sort(NEWEST_FIRST);
            return sorted;
        }

        @Override
        public String toString() {
            return "Scenario.of(" + seed + "L): " + policy + ", now " + now + ", " + backups.size() + " backups "
                + backups + ", extra " + extra;
        }
    }

    /** What the examples covered, so a generator that never reaches the interesting cases is noticed. */
    static final class Tally {
        final AtomicInteger examples = new AtomicInteger();
        final Map<Rule, AtomicInteger> reasons = new EnumMap<>(Rule.class);
        final AtomicInteger oldest = new AtomicInteger();
        final AtomicInteger deleted = new AtomicInteger();
        final AtomicInteger ties = new AtomicInteger();

        Tally() {
            for (Rule rule : Rule.values()) {
                reasons.put(rule, new AtomicInteger());
            }
        }

        void count(Scenario scenario, RetentionPlan plan) {
            examples.incrementAndGet();
            for (RetentionPlan.Decision decision : plan.decisions()) {
                decision.reasons().forEach(r -> reasons.get(r.rule()).incrementAndGet());
                if (decision.reasons().stream().anyMatch(KeepReason::isOldest)) {
                    oldest.incrementAndGet();
                }
            }
            deleted.addAndGet(plan.toDelete().size());
            if (scenario.backups().stream().map(Backup::time).distinct().count() < scenario.backups().size()) {
                ties.incrementAndGet();
            }
        }

        void assertCoverage() {
            assertThat(examples).hasValueGreaterThanOrEqualTo(MIN_EXAMPLES_RUN);
            reasons.forEach((rule, n) -> assertThat(n).as("reasons of rule %s", rule).hasPositiveValue());
            assertThat(oldest).hasPositiveValue();
            assertThat(deleted).hasPositiveValue();
            assertThat(ties).hasPositiveValue();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The properties, run against the real planner.

    @Test
    void thePlanIsAPartitionOfTheBackupsNewestFirst() {
        Tally tally = new Tally();
        checkPartition(REAL, EXAMPLES, Optional.empty(), tally);
        tally.assertCoverage();
    }

    @Test
    void theNewestBackupIsAlwaysKept() {
        Tally tally = new Tally();
        checkNewestKept(REAL, EXAMPLES, Optional.empty(), tally);
        tally.assertCoverage();
    }

    @Test
    void calendarRulesKeepTheNewestOfTheirNewestBuckets() {
        Tally tally = new Tally();
        checkBuckets(REAL, EXAMPLES, Optional.empty(), tally);
        tally.assertCoverage();
    }

    @Test
    void keepWithinAndKeepTagKeepExactlyWhatTheyShould() {
        Tally tally = new Tally();
        checkWithinAndTags(REAL, EXAMPLES, Optional.empty(), tally);
        tally.assertCoverage();
    }

    @Test
    void addingAnOlderBackupChangesNoDecisionForANewerOne() {
        Tally tally = new Tally();
        checkAddingOlder(REAL, EXAMPLES, Optional.empty(), tally);
        tally.assertCoverage();
    }

    @Test
    void theOrderOfTheInputDoesNotMatter() {
        Tally tally = new Tally();
        qt().withExamples(EXAMPLES).forAll(longs().all()).checkAssert(seed -> {
            Scenario scenario = Scenario.of(seed);
            RetentionPlan plan = scenario.plan(REAL);
            tally.count(scenario, plan);
            List<Backup> shuffled = new ArrayList<>(scenario.backups());
            Collections.shuffle(shuffled, new Random(seed));
            assertThat(REAL.plan(scenario.policy(), shuffled, scenario.now()).decisions())
                .as("%s", scenario).isEqualTo(plan.decisions());
        });
        tally.assertCoverage();
    }

    @Test
    void eachSeriesIsPlannedAsIfItWereAloneAndKeepsItsNewestBackup() {
        Tally tally = new Tally();
        checkSeries(REAL, EXAMPLES, Optional.empty(), tally);
        tally.assertCoverage();
    }

    // ---------------------------------------------------------------------------------------------------------
    // The checks, each parameterised by the planner under test.

    static void checkPartition(PlannerUnderTest planner, int examples, Optional<Long> fixedSeed, Tally tally) {
        theory(examples, fixedSeed).checkAssert(seed -> {
            Scenario scenario = Scenario.of(seed);
            RetentionPlan plan = scenario.plan(planner);
            tally.count(scenario, plan);
            List<Backup> decided = plan.decisions().stream().map(RetentionPlan.Decision::backup)
                .collect(Collectors.toList());
            assertThat(decided).as("every backup decided once, newest first: %s", scenario)
                .containsExactlyElementsOf(scenario.sorted());
            List<Backup> both = new ArrayList<>(plan.toKeep());
            both.addAll(plan.toDelete());
            assertThat(both).as("keep and delete split the backups: %s", scenario)
                .containsExactlyInAnyOrderElementsOf(scenario.backups());
            for (RetentionPlan.Decision decision : plan.decisions()) {
                assertThat(decision.keep()).as("kept exactly when there is a reason: %s", decision)
                    .isEqualTo(!decision.reasons().isEmpty());
                assertThat(decision.keep() ? plan.toKeep() : plan.toDelete()).contains(decision.backup());
                assertThat(plan.decision(decision.backup().id())).hasValue(decision);
            }
            assertThat(plan.toKeep()).isSortedAccordingTo(NEWEST_FIRST);
            assertThat(plan.toDelete()).isSortedAccordingTo(NEWEST_FIRST);
        });
    }

    static void checkNewestKept(PlannerUnderTest planner, int examples, Optional<Long> fixedSeed, Tally tally) {
        theory(examples, fixedSeed).checkAssert(seed -> {
            Scenario scenario = Scenario.of(seed);
            RetentionPlan plan = scenario.plan(planner);
            tally.count(scenario, plan);
            if (!scenario.backups().isEmpty()) {
                assertThat(plan.toKeep()).as("%s", scenario).contains(scenario.sorted().get(0));
            }
            // A backup dated in the future (a wrong clock) never costs the newest real backup its place.
            newestNotAfter(scenario.sorted(), scenario.now()).ifPresent(b -> assertThat(plan.toKeep())
                .as("the newest backup not after now, %s, kept: %s", b, scenario).contains(b));
            assertThat(plan.datedAfterNow()).as("%s", scenario).containsExactlyElementsOf(scenario.sorted().stream()
                .filter(b -> b.time().isAfter(scenario.now())).collect(Collectors.toList()));
        });
    }

    static void checkBuckets(PlannerUnderTest planner, int examples, Optional<Long> fixedSeed, Tally tally) {
        theory(examples, fixedSeed).checkAssert(seed -> {
            Scenario scenario = Scenario.of(seed);
            RetentionPlan plan = scenario.plan(planner);
            tally.count(scenario, plan);
            RetentionPolicy policy = scenario.policy();
            List<Backup> sorted = scenario.sorted();
            Map<String, List<KeepReason>> reasons = reasonsById(plan);
            Optional<Instant> anchor = anchor(sorted, scenario.now());

            for (Rule rule : Rule.values()) {
                if (!rule.hasCalendarBuckets() && rule != Rule.LAST) {
                    continue;
                }
                // The backups this rule looks at (windowed rules: those within their window), newest first.
                List<Backup> eligible = sorted;
                int count = count(policy, rule);
                if (isWindowed(rule)) {
                    RetentionDuration window = window(policy, rule);
                    eligible = window.isZero() ? List.of()
                        : sorted.stream().filter(b -> isWithin(b, window, anchor, policy.zone()))
                            .collect(Collectors.toList());
                    count = RetentionPolicy.UNLIMITED;
                }
                Map<String, Backup> newestOfBucket = new LinkedHashMap<>();
                for (int i = 0; i < eligible.size(); i++) {
                    Backup b = eligible.get(i);
                    newestOfBucket.putIfAbsent(rule == Rule.LAST ? Integer.toString(i + 1) : label(rule, b, policy),
                        b);
                }
                // A rule keeps the newest backup of each of its newest `count` buckets, and nothing else,
                // apart from the oldest backup (checked below).
                List<String> buckets = new ArrayList<>(newestOfBucket.keySet());
                List<String> expected = count == RetentionPolicy.UNLIMITED || count >= buckets.size()
                    ? buckets : buckets.subList(0, count);
                Map<String, Backup> actual = new LinkedHashMap<>();
                for (Backup b : sorted) {
                    for (KeepReason r : reasons.get(b.id())) {
                        if (r.rule() == rule && !r.isOldest()) {
                            assertThat(actual.put(r.bucket().orElseThrow(), b)).as("%s twice in %s: %s",
                                r.bucket(), rule, scenario).isNull();
                        }
                    }
                }
                assertThat(actual.keySet()).as("%s keeps its newest buckets: %s", rule, scenario)
                    .containsExactlyElementsOf(expected);
                for (String bucket : expected) {
                    assertThat(actual.get(bucket)).as("%s %s keeps the newest of the bucket: %s", rule, bucket,
                        scenario).isEqualTo(newestOfBucket.get(bucket));
                }

                // restic's rule: the oldest backup is kept too, marked "oldest", when the rule had count left
                // and the oldest backup's bucket already had its newest kept.
                List<KeepReason> oldestReasons = new ArrayList<>();
                for (Backup b : sorted) {
                    reasons.get(b.id()).stream().filter(r -> r.rule() == rule && r.isOldest())
                        .forEach(r -> {
                            assertThat(b).as("only the oldest backup gets an oldest reason: %s", scenario)
                                .isEqualTo(sorted.get(sorted.size() - 1));
                            oldestReasons.add(r);
                        });
                }
                boolean expectOldest = false;
                if (!eligible.isEmpty() && eligible.get(eligible.size() - 1).equals(sorted.get(sorted.size() - 1))
                    && rule != Rule.LAST) {
                    Backup oldest = eligible.get(eligible.size() - 1);
                    List<String> newerBuckets = new ArrayList<>(new LinkedHashSet<>(eligible.subList(0,
                        eligible.size() - 1).stream().map(b -> label(rule, b, policy)).collect(Collectors.toList())));
                    boolean countLeft = count == RetentionPolicy.UNLIMITED || newerBuckets.size() < count;
                    expectOldest = countLeft && newerBuckets.contains(label(rule, oldest, policy));
                }
                assertThat(oldestReasons).as("%s oldest reasons: %s", rule, scenario).hasSize(expectOldest ? 1 : 0);
            }
        });
    }

    static void checkWithinAndTags(PlannerUnderTest planner, int examples, Optional<Long> fixedSeed, Tally tally) {
        theory(examples, fixedSeed).checkAssert(seed -> {
            Scenario scenario = Scenario.of(seed);
            RetentionPlan plan = scenario.plan(planner);
            tally.count(scenario, plan);
            RetentionPolicy policy = scenario.policy();
            Optional<Instant> anchor = anchor(scenario.sorted(), scenario.now());
            assertThat(plan.withinAnchor()).as("%s", scenario).isEqualTo(anchor);
            Map<String, List<KeepReason>> reasons = reasonsById(plan);
            for (Backup b : scenario.backups()) {
                List<String> texts = reasons.get(b.id()).stream().map(KeepReason::toString)
                    .collect(Collectors.toList());
                boolean within = !policy.keepWithin().isZero()
                    && isWithin(b, policy.keepWithin(), anchor, policy.zone());
                assertThat(texts.contains("within " + policy.keepWithin())).as("%s within? %s", b, scenario)
                    .isEqualTo(within);
                for (Set<String> tags : policy.keepTags()) {
                    String text = (tags.size() > 1 ? "tags " : "tag ") + String.join(",", tags);
                    assertThat(texts.contains(text)).as("%s %s? %s", b, text, scenario)
                        .isEqualTo(b.tags().containsAll(tags));
                }
                boolean newestOnly = reasons.get(b.id()).stream().anyMatch(r -> r.rule() == Rule.NEWEST);
                if (newestOnly) {
                    assertThat(texts).as("drkit's rule only when nothing else keeps it: %s", scenario)
                        .containsExactly("newest backup");
                    assertThat(b).isEqualTo(scenario.sorted().get(0));
                }
                boolean notInFutureOnly = reasons.get(b.id()).stream()
                    .anyMatch(r -> r.rule() == Rule.NEWEST_NOT_IN_FUTURE);
                if (notInFutureOnly) {
                    assertThat(texts).as("drkit's rule only when nothing else keeps it: %s", scenario)
                        .containsExactly("newest backup not dated in the future");
                    assertThat(Optional.of(b)).as("only the newest not after now: %s", scenario)
                        .isEqualTo(newestNotAfter(scenario.sorted(), scenario.now()));
                    assertThat(b).as("and only when a backup in the future is newer: %s", scenario)
                        .isNotEqualTo(scenario.sorted().get(0));
                }
            }
        });
    }

    /** The scenario's backups spread over up to three series, one of them the unnamed one. */
    static List<Backup> inSeries(Scenario scenario) {
        SplittableRandom random = new SplittableRandom(scenario.seed() ^ 0x5E41E5L);
        List<String> names = List.of("", "directory src", "file a.txt");
        return scenario.backups().stream().map(b -> b.inSeries(names.get(random.nextInt(names.size()))))
            .collect(Collectors.toList());
    }

    static void checkSeries(PlannerUnderTest planner, int examples, Optional<Long> fixedSeed, Tally tally) {
        theory(examples, fixedSeed).checkAssert(seed -> {
            Scenario scenario = Scenario.of(seed);
            List<Backup> mixed = inSeries(scenario);
            RetentionPlan plan = planner.plan(scenario.policy(), mixed, scenario.now());
            tally.count(scenario, plan);
            List<Backup> newestFirst = new ArrayList<>(mixed);
            newestFirst.sort(NEWEST_FIRST);
            assertThat(plan.decisions()).extracting(RetentionPlan.Decision::backup).as("%s", scenario)
                .containsExactlyElementsOf(newestFirst);
            List<String> series = newestFirst.stream().map(Backup::series).distinct().collect(Collectors.toList());
            assertThat(plan.series()).as("%s", scenario).containsExactlyElementsOf(series);
            for (String name : series) {
                List<Backup> alone = newestFirst.stream().filter(b -> b.series().equals(name))
                    .collect(Collectors.toList());
                // Another series' backups never cost this one its newest backup, nor its newest not after now ...
                assertThat(plan.decision(alone.get(0).id()).orElseThrow().keep())
                    .as("newest of series '%s' kept: %s", name, scenario).isTrue();
                newestNotAfter(alone, scenario.now()).ifPresent(b -> assertThat(plan.decision(b.id()).orElseThrow()
                    .keep()).as("newest not after now of series '%s' kept: %s", name, scenario).isTrue());
                // ... nor change any decision: the series is planned as if it were alone in the store.
                assertThat(plan.decisions(name)).as("series '%s' as if alone: %s", name, scenario)
                    .isEqualTo(planner.plan(scenario.policy(), alone, scenario.now()).decisions());
                assertThat(plan.withinAnchor(name)).as("%s", scenario).isEqualTo(anchor(alone, scenario.now()));
            }
        });
    }

    static void checkAddingOlder(PlannerUnderTest planner, int examples, Optional<Long> fixedSeed, Tally tally) {
        theory(examples, fixedSeed).checkAssert(seed -> {
            Scenario scenario = Scenario.of(seed);
            RetentionPlan before = scenario.plan(planner);
            tally.count(scenario, before);
            List<Backup> more = new ArrayList<>(scenario.backups());
            more.add(scenario.extra());
            RetentionPlan after = planner.plan(scenario.policy(), more, scenario.now());
            List<Backup> sorted = scenario.sorted();
            Backup previousOldest = sorted.isEmpty() ? null : sorted.get(sorted.size() - 1);
            for (Backup b : sorted) {
                if (NEWEST_FIRST.compare(b, scenario.extra()) > 0) {
                    continue;                   // not newer than the added backup
                }
                RetentionPlan.Decision was = before.decision(b.id()).orElseThrow();
                RetentionPlan.Decision is = after.decision(b.id()).orElseThrow();
                if (b.equals(previousOldest)) {
                    // It is no longer the oldest: it loses what restic's oldest-backup rule gave it, nothing else;
                    // if that leaves it without a reason, drkit's rule for the newest backup not in the future
                    // (whose bucket may be shared with a newer backup dated after now) keeps it instead.
                    List<KeepReason> expected = was.reasons().stream().filter(r -> !r.isOldest())
                        .collect(Collectors.toList());
                    if (expected.isEmpty() && !b.equals(sorted.get(0))
                        && Optional.of(b).equals(newestNotAfter(sorted, scenario.now()))) {
                        expected = List.of(KeepReason.newestNotInFuture());
                    }
                    assertThat(is.reasons()).as("the previous oldest, %s: %s", b, scenario).isEqualTo(expected);
                } else {
                    assertThat(is).as("%s, newer than the added backup: %s", b, scenario).isEqualTo(was);
                }
            }
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Meta-tests: each check fails for a planner that breaks its property.

    static final long META_SEED = 20261123L;

    @Test
    void thePartitionCheckFailsForAPlannerThatLosesBackupsSharingAnInstant() {
        PlannerUnderTest broken = (policy, backups, now) -> {
            RetentionPlan real = policy.plan(backups, now);
            Set<Instant> seen = new HashSet<>();
            List<RetentionPlan.Decision> kept = real.decisions().stream()
                .filter(d -> seen.add(d.backup().time())).collect(Collectors.toList());
            return new RetentionPlan(policy, now, real.withinAnchor(), kept);
        };
        assertThatThrownBy(() -> checkPartition(broken, EXAMPLES, Optional.of(META_SEED), new Tally()))
            .isInstanceOf(AssertionError.class);
    }

    @Test
    void theNewestCheckFailsForAPlannerWithoutDrkitsNewestRule() {
        PlannerUnderTest broken = mapReasons((scenario, decision, reasons) -> reasons.stream()
            .filter(r -> r.rule() != Rule.NEWEST).collect(Collectors.toList()));
        assertThatThrownBy(() -> checkNewestKept(broken, EXAMPLES, Optional.of(META_SEED), new Tally()))
            .isInstanceOf(AssertionError.class);
    }

    @Test
    void theNewestCheckFailsForAPlannerWithoutDrkitsNewestNotInTheFutureRule() {
        PlannerUnderTest broken = mapReasons((scenario, decision, reasons) -> reasons.stream()
            .filter(r -> r.rule() != Rule.NEWEST_NOT_IN_FUTURE).collect(Collectors.toList()));
        assertThatThrownBy(() -> checkNewestKept(broken, EXAMPLES, Optional.of(META_SEED), new Tally()))
            .isInstanceOf(AssertionError.class)
            .hasMessageContaining("the newest backup not after now");
    }

    @Test
    void theBucketCheckFailsForAPlannerThatKeepsTheOldestOfEachDay() {
        PlannerUnderTest broken = (policy, backups, now) -> {
            RetentionPlan real = policy.plan(backups, now);
            // Move every daily keep to the oldest backup of its day: right buckets, wrong backups.
            Map<String, Backup> oldestOfDay = new HashMap<>();
            for (RetentionPlan.Decision d : real.decisions()) {
                oldestOfDay.put(label(Rule.DAILY, d.backup(), policy), d.backup());
            }
            Map<Backup, List<KeepReason>> moved = new LinkedHashMap<>();
            real.decisions().forEach(d -> moved.put(d.backup(), new ArrayList<>()));
            for (RetentionPlan.Decision d : real.decisions()) {
                for (KeepReason r : d.reasons()) {
                    Backup target = r.rule() == Rule.DAILY && !r.isOldest()
                        ? oldestOfDay.get(r.bucket().orElseThrow()) : d.backup();
                    moved.get(target).add(r);
                }
            }
            return rebuild(real, moved);
        };
        assertThatThrownBy(() -> checkBuckets(broken, EXAMPLES, Optional.of(META_SEED), new Tally()))
            .isInstanceOf(AssertionError.class)
            .hasMessageContaining("DAILY");
    }

    @Test
    void theBucketCheckFailsForAPlannerThatKeepsOneWeekTooMany() {
        PlannerUnderTest broken = (policy, backups, now) -> {
            RetentionPlan real = policy.plan(backups, now);
            Map<Backup, List<KeepReason>> reasons = new LinkedHashMap<>();
            real.decisions().forEach(d -> reasons.put(d.backup(), new ArrayList<>(d.reasons())));
            if (policy.keepWeekly() > 0) {
                Set<String> weeks = new LinkedHashSet<>();
                for (RetentionPlan.Decision d : real.decisions()) {
                    String week = label(Rule.WEEKLY, d.backup(), policy);
                    if (weeks.add(week) && weeks.size() == policy.keepWeekly() + 1) {
                        reasons.get(d.backup()).add(KeepReason.counted(Rule.WEEKLY, week, false));
                    }
                }
            }
            return rebuild(real, reasons);
        };
        assertThatThrownBy(() -> checkBuckets(broken, EXAMPLES, Optional.of(META_SEED), new Tally()))
            .isInstanceOf(AssertionError.class)
            .hasMessageContaining("WEEKLY keeps its newest buckets");
    }

    @Test
    void theBucketCheckFailsForAPlannerWithoutResticsOldestRule() {
        PlannerUnderTest broken = mapReasons((scenario, decision, reasons) -> reasons.stream()
            .filter(r -> !r.isOldest()).collect(Collectors.toList()));
        assertThatThrownBy(() -> checkBuckets(broken, EXAMPLES, Optional.of(META_SEED), new Tally()))
            .isInstanceOf(AssertionError.class)
            .hasMessageContaining("oldest reasons");
    }

    @Test
    void theWithinCheckFailsForAPlannerThatCountsFromNow() {
        PlannerUnderTest broken = (policy, backups, now) -> {
            RetentionPlan real = policy.plan(backups, now);
            Map<Backup, List<KeepReason>> reasons = new LinkedHashMap<>();
            for (RetentionPlan.Decision d : real.decisions()) {
                List<KeepReason> list = new ArrayList<>(d.reasons());
                list.removeIf(r -> r.rule() == Rule.WITHIN);
                if (!policy.keepWithin().isZero()
                    && d.backup().time().isAfter(policy.keepWithin().before(now, policy.zone()))) {
                    list.add(KeepReason.within(policy.keepWithin()));
                }
                reasons.put(d.backup(), list);
            }
            return rebuild(real, reasons);
        };
        assertThatThrownBy(() -> checkWithinAndTags(broken, EXAMPLES, Optional.of(META_SEED), new Tally()))
            .isInstanceOf(AssertionError.class);
    }

    @Test
    void theAddingOlderCheckFailsForAPlannerThatKeepsTheLastFromTheWrongEnd() {
        PlannerUnderTest broken = (policy, backups, now) -> {
            RetentionPlan real = policy.plan(backups, now);
            // keep-last given to the n oldest backups instead of the n newest.
            List<RetentionPlan.Decision> decisions = real.decisions();
            Map<Backup, List<KeepReason>> reasons = new LinkedHashMap<>();
            decisions.forEach(d -> reasons.put(d.backup(), new ArrayList<>(d.reasons())));
            reasons.values().forEach(list -> list.removeIf(r -> r.rule() == Rule.LAST));
            int n = policy.keepLast() == RetentionPolicy.UNLIMITED ? decisions.size()
                : Math.min(policy.keepLast(), decisions.size());
            for (int i = 0; i < n; i++) {
                reasons.get(decisions.get(decisions.size() - 1 - i).backup())
                    .add(0, KeepReason.counted(Rule.LAST, Integer.toString(i + 1), false));
            }
            return rebuild(real, reasons);
        };
        assertThatThrownBy(() -> checkAddingOlder(broken, EXAMPLES, Optional.of(META_SEED), new Tally()))
            .isInstanceOf(AssertionError.class);
    }

    @Test
    void theSeriesCheckFailsForAPlannerThatPlansTheWholeStoreAsOneSeries() {
        PlannerUnderTest broken = (policy, backups, now) -> {
            Map<String, Backup> byId = backups.stream().collect(Collectors.toMap(Backup::id, b -> b));
            RetentionPlan flat = policy.plan(backups.stream().map(b -> Backup.of(b.id(), b.time(), b.tags()))
                .collect(Collectors.toList()), now);
            List<RetentionPlan.Decision> decisions = flat.decisions().stream()
                .map(d -> new RetentionPlan.Decision(byId.get(d.backup().id()), d.reasons()))
                .collect(Collectors.toList());
            return new RetentionPlan(policy, now, flat.withinAnchor(), decisions);
        };
        assertThatThrownBy(() -> checkSeries(broken, EXAMPLES, Optional.of(META_SEED), new Tally()))
            .isInstanceOf(AssertionError.class);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers.

    /** Random seeds, or for the meta-tests a fixed sequence of them, so that they fail the same way every run. */
    static TheoryBuilder<Long> theory(int examples, Optional<Long> fixedSeed) {
        QuickTheory theory = fixedSeed.map(seed -> qt().withFixedSeed(seed)).orElseGet(QuickTheory::qt);
        return theory.withExamples(examples).forAll(longs().all());
    }

    interface ReasonMapper {
        List<KeepReason> map(RetentionPolicy policy, RetentionPlan.Decision decision, List<KeepReason> reasons);
    }

    /** A planner that changes each decision's reasons of the real plan. */
    static PlannerUnderTest mapReasons(ReasonMapper mapper) {
        return (policy, backups, now) -> {
            RetentionPlan real = policy.plan(backups, now);
            Map<Backup, List<KeepReason>> reasons = new LinkedHashMap<>();
            real.decisions().forEach(d -> reasons.put(d.backup(), mapper.map(policy, d, d.reasons())));
            return rebuild(real, reasons);
        };
    }

    /** {@code real} with other reasons, in {@code real}'s order. */
    static RetentionPlan rebuild(RetentionPlan real, Map<Backup, List<KeepReason>> reasons) {
        List<RetentionPlan.Decision> decisions = real.decisions().stream()
            .map(d -> new RetentionPlan.Decision(d.backup(), reasons.get(d.backup())))
            .collect(Collectors.toList());
        return new RetentionPlan(real.policy(), real.now(), real.withinAnchor(), decisions);
    }

    static Map<String, List<KeepReason>> reasonsById(RetentionPlan plan) {
        return plan.decisions().stream().collect(Collectors.toMap(d -> d.backup().id(),
            RetentionPlan.Decision::reasons));
    }

    /** The newest backup not after {@code now} among {@code newestFirst}: what drkit's second newest rule keeps. */
    static Optional<Backup> newestNotAfter(List<Backup> newestFirst, Instant now) {
        return newestFirst.stream().filter(b -> !b.time().isAfter(now)).findFirst();
    }

    /** The newest backup time not after {@code now}: what keep-within counts back from. */
    static Optional<Instant> anchor(List<Backup> newestFirst, Instant now) {
        return newestFirst.stream().map(Backup::time).filter(t -> !t.isAfter(now)).findFirst();
    }

    static boolean isWithin(Backup b, RetentionDuration window, Optional<Instant> anchor, ZoneId zone) {
        return anchor.isEmpty() || b.time().isAfter(window.before(anchor.get(), zone));
    }

    static boolean isWindowed(Rule rule) {
        return rule.name().startsWith("WITHIN_");
    }

    static int count(RetentionPolicy policy, Rule rule) {
        switch (rule) {
            case LAST: return policy.keepLast();
            case HOURLY: return policy.keepHourly();
            case DAILY: return policy.keepDaily();
            case WEEKLY: return policy.keepWeekly();
            case MONTHLY: return policy.keepMonthly();
            case YEARLY: return policy.keepYearly();
            default: return 0;
        }
    }

    static RetentionDuration window(RetentionPolicy policy, Rule rule) {
        switch (rule) {
            case WITHIN_HOURLY: return policy.keepWithinHourly();
            case WITHIN_DAILY: return policy.keepWithinDaily();
            case WITHIN_WEEKLY: return policy.keepWithinWeekly();
            case WITHIN_MONTHLY: return policy.keepWithinMonthly();
            case WITHIN_YEARLY: return policy.keepWithinYearly();
            default: throw new IllegalArgumentException(rule.toString());
        }
    }

    static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH");
    static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("uuuu-MM-dd");
    static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("uuuu-MM");
    static final DateTimeFormatter YEAR = DateTimeFormatter.ofPattern("uuuu");

    /** The bucket of {@code b} for a calendar rule, computed with java.time's formatters, not the planner's code. */
    static String label(Rule rule, Backup b, RetentionPolicy policy) {
        ZonedDateTime wall = b.time().atZone(policy.zone());
        switch (rule) {
            case HOURLY: case WITHIN_HOURLY: return HOUR.format(wall);
            case DAILY: case WITHIN_DAILY: return DAY.format(wall);
            case WEEKLY: case WITHIN_WEEKLY: return DateTimeFormatter.ISO_WEEK_DATE.format(wall).substring(0, 8);
            case MONTHLY: case WITHIN_MONTHLY: return MONTH.format(wall);
            case YEARLY: case WITHIN_YEARLY: return YEAR.format(wall);
            default: throw new IllegalArgumentException(rule.toString());
        }
    }

}
