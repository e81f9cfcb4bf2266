package dev.drkit.core.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.drkit.core.time.ManualTicker;
import dev.drkit.core.time.Ticker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * The budget's promise, checked against an exact log of what happened: retries granted in a window never
 * exceed {@code ratio × calls + minRetriesPerSecond × window}, and a retry is refused only when the budget
 * really is used up. Ratios here are multiples of 0.05, which the budget represents exactly (it works in
 * millionths), so there is no rounding slack to allow for.
 *
 * <p>Each check takes the budget to test as a parameter, so the meta-tests at the end can show that it fails
 * for a budget that never grants and for one that always grants: a property that cannot fail proves nothing.
 * Each check also counts the examples that exercised it (granted and refused retries) and asserts the count.
 */
class RetryBudgetProperties {

    /** The part of a retry budget the properties use. */
    interface Budget {
        void recordCall();

        boolean tryAcquireRetry();
    }

    /** Makes the budget under test for a scenario. */
    interface BudgetFactory {
        Budget create(double ratio, int minRetriesPerSecond, Duration window, Ticker ticker);
    }

    static final BudgetFactory REAL = (ratio, min, window, ticker) -> {
        RetryBudget budget = RetryBudget.builder().ratio(ratio).minRetriesPerSecond(min).window(window)
            .ticker(ticker).build();
        return new Budget() {
            @Override
            public void recordCall() {
                budget.recordCall();
            }

            @Override
            public boolean tryAcquireRetry() {
                return budget.tryAcquireRetry();
            }
        };
    };

    static final BudgetFactory NEVER_GRANTS = (ratio, min, window, ticker) -> constant(false);

    static final BudgetFactory ALWAYS_GRANTS = (ratio, min, window, ticker) -> constant(true);

    static Budget constant(boolean grant) {
        return new Budget() {
            @Override
            public void recordCall() {
            }

            @Override
            public boolean tryAcquireRetry() {
                return grant;
            }
        };
    }

    /** One step of a scenario: advance the ticker, record calls, or ask for retries. */
    static final class Step {
        final int kind;
        final int amount;

        Step(int kind, int amount) {
            this.kind = kind;
            this.amount = amount;
        }

        @Override
        public String toString() {
            return kind == 0 ? "advance " + amount + "ms" : kind == 1 ? amount + " calls" : amount + " retries";
        }
    }

    static final class Scenario {
        final int ratioTwentieths;
        final int minRetriesPerSecond;
        final int windowSeconds;
        final List<Step> steps;

        Scenario(int ratioTwentieths, int minRetriesPerSecond, int windowSeconds, List<Step> steps) {
            this.ratioTwentieths = ratioTwentieths;
            this.minRetriesPerSecond = minRetriesPerSecond;
            this.windowSeconds = windowSeconds;
            this.steps = steps;
        }

        double ratio() {
            return ratioTwentieths / 20.0;
        }

        @Override
        public String toString() {
            return "ratio=" + ratio() + ", min=" + minRetriesPerSecond + "/s, window=" + windowSeconds + "s, " + steps;
        }
    }

    /** What the budget saw and granted, with the ticker's time of each. */
    static final class Log {
        final List<Long> calls = new ArrayList<>();
        final List<Long> grants = new ArrayList<>();
        final List<Long> refusals = new ArrayList<>();
        /** For each refusal, how many calls and grants came before it (some may share its time). */
        final List<Integer> callsBeforeRefusal = new ArrayList<>();
        final List<Integer> grantsBeforeRefusal = new ArrayList<>();
        final List<Long> times = new ArrayList<>();

        static long countIn(List<Long> times, long fromExclusive, long toInclusive) {
            return times.stream().filter(t -> t > fromExclusive && t <= toInclusive).count();
        }
    }

    static Gen<Step> steps() {
        return integers().between(0, 2).zip(integers().between(0, 2500), (kind, n) ->
            new Step(kind, kind == 0 ? n : 1 + n % (kind == 1 ? 25 : 8)));
    }

    /**
     * Scenarios that can grant something (never ratio 0 with no reserve) and always ask for retries (a burst at
     * the end, after whatever steps came before).
     */
    static Gen<Scenario> scenarios() {
        return integers().between(0, 20).zip(integers().between(0, 3), integers().between(1, 20),
            lists().of(steps()).ofSizeBetween(5, 250), (ratio, min, window, steps) -> {
                List<Step> withRetries = new ArrayList<>(steps);
                withRetries.add(new Step(2, 8));
                return new Scenario(ratio, ratio == 0 && min == 0 ? 1 : min, window, withRetries);
            });
    }

    static Log run(Scenario scenario, BudgetFactory factory) {
        ManualTicker ticker = new ManualTicker();
        Budget budget = factory.create(scenario.ratio(), scenario.minRetriesPerSecond,
            Duration.ofSeconds(scenario.windowSeconds), ticker);
        Log log = new Log();
        for (Step step : scenario.steps) {
            long now = ticker.nanos();
            log.times.add(now);
            if (step.kind == 0) {
                ticker.advance(Duration.ofMillis(step.amount));
            } else if (step.kind == 1) {
                for (int i = 0; i < step.amount; i++) {
                    budget.recordCall();
                    log.calls.add(now);
                }
            } else {
                for (int i = 0; i < step.amount; i++) {
                    if (budget.tryAcquireRetry()) {
                        log.grants.add(now);
                    } else {
                        log.refusals.add(now);
                        log.callsBeforeRefusal.add(log.calls.size());
                        log.grantsBeforeRefusal.add(log.grants.size());
                    }
                }
            }
        }
        return log;
    }

    /** How many examples of a check exercised what it checks. */
    static final class Tally {
        final AtomicInteger examples = new AtomicInteger();
        final AtomicInteger withGrants = new AtomicInteger();
        final AtomicInteger withRefusals = new AtomicInteger();

        void count(Log log) {
            examples.incrementAndGet();
            if (!log.grants.isEmpty()) {
                withGrants.incrementAndGet();
            }
            if (!log.refusals.isEmpty()) {
                withRefusals.incrementAndGet();
            }
        }
    }

    static void checkGrantsStayWithinRatioTimesCallsPlusMinimum(BudgetFactory factory, int examples, Tally tally) {
        qt().withExamples(examples).forAll(scenarios()).checkAssert(scenario -> {
            Log log = run(scenario, factory);
            tally.count(log);
            long window = Duration.ofSeconds(scenario.windowSeconds).toNanos();
            double reserve = (double) scenario.minRetriesPerSecond * scenario.windowSeconds;
            for (long grant : log.grants) {
                long retries = Log.countIn(log.grants, grant - window, grant);
                long calls = Log.countIn(log.calls, grant - window, grant);
                assertThat((double) retries)
                    .as("retries in the window ending at %dns", grant)
                    .isLessThanOrEqualTo(scenario.ratio() * calls + reserve + 1e-9);
            }
        });
    }

    static void checkAnyWindowStaysWithinRatioTimesCallsPlusMinimum(BudgetFactory factory, int examples, Tally tally) {
        qt().withExamples(examples).forAll(scenarios()).checkAssert(scenario -> {
            Log log = run(scenario, factory);
            tally.count(log);
            long window = Duration.ofSeconds(scenario.windowSeconds).toNanos();
            double reserve = (double) scenario.minRetriesPerSecond * scenario.windowSeconds;
            List<Long> ends = new ArrayList<>();
            for (long t : log.times) {
                ends.add(t);              // windows ending at each step
                ends.add(t - 1 + window); // windows starting just before each step
            }
            for (long end : ends) {
                long retries = Log.countIn(log.grants, end - window, end);
                long calls = Log.countIn(log.calls, end - 2 * window, end);
                assertThat((double) retries)
                    .as("retries in the window ending at %dns", end)
                    .isLessThanOrEqualTo(scenario.ratio() * calls + reserve + 1e-9);
            }
        });
    }

    /**
     * The lower bound: a retry is refused only when the budget is used up. The budget counts calls over at
     * least the last 19/20 of a window and retries over at most the last 21/20, so at a refusal at {@code t}
     * the retries granted in {@code (t - 21/20 window, t]}, plus the one refused, exceed
     * {@code ratio × calls in (t - 19/20 window, t] + reserve}.
     */
    static void checkRefusesOnlyWhenTheBudgetIsUsedUp(BudgetFactory factory, int examples, Tally tally) {
        qt().withExamples(examples).forAll(scenarios()).checkAssert(scenario -> {
            Log log = run(scenario, factory);
            tally.count(log);
            long bucket = Duration.ofSeconds(scenario.windowSeconds).toNanos() / RetryBudget.BUCKETS;
            double reserve = (double) scenario.minRetriesPerSecond * scenario.windowSeconds;
            for (int i = 0; i < log.refusals.size(); i++) {
                long refusal = log.refusals.get(i);
                List<Long> grantsBefore = log.grants.subList(0, log.grantsBeforeRefusal.get(i));
                List<Long> callsBefore = log.calls.subList(0, log.callsBeforeRefusal.get(i));
                long retries = Log.countIn(grantsBefore, refusal - (RetryBudget.BUCKETS + 1) * bucket, refusal);
                long calls = Log.countIn(callsBefore, refusal - (RetryBudget.BUCKETS - 1) * bucket, refusal);
                assertThat(retries + 1.0)
                    .as("retries granted before the refusal at %dns", refusal)
                    .isGreaterThan(scenario.ratio() * calls + reserve - 1e-9);
            }
        });
    }

    static void checkGrantsMostOfTheRatioUnderSteadyTraffic(BudgetFactory factory, int examples, Tally tally) {
        // The conservative rounding (retries count for one bucket longer than calls) costs at most 1/21 of the
        // ratio's share of a steady stream of calls.
        qt().withExamples(examples).forAll(integers().between(1, 20), integers().between(20, 200))
            .checkAssert((ratioTwentieths, seconds) -> {
                ManualTicker ticker = new ManualTicker();
                double ratio = ratioTwentieths / 20.0;
                Budget budget = factory.create(ratio, 0, Duration.ofSeconds(10), ticker);
                long granted = 0;
                for (int ms = 0; ms < seconds * 1000; ms += 100) {
                    for (int i = 0; i < 10; i++) {
                        budget.recordCall();
                    }
                    // ask for at most as many retries as there were calls, so a budget that always grants
                    // cannot loop forever
                    for (int i = 0; i < 10 && budget.tryAcquireRetry(); i++) {
                        granted++;
                    }
                    ticker.advance(Duration.ofMillis(100));
                }
                long calls = seconds * 100L;
                assertThat(granted).isGreaterThanOrEqualTo((long) Math.floor(ratio * calls * 20 / 21) - 1);
                assertThat(granted).isLessThanOrEqualTo((long) Math.ceil(ratio * calls));
                tally.examples.incrementAndGet();
                if (granted > 0) {
                    tally.withGrants.incrementAndGet();
                }
            });
    }

    @Test
    void retriesInTheWindowEndingAtAnyGrantStayWithinRatioTimesCallsPlusMinimum() {
        Tally tally = new Tally();
        checkGrantsStayWithinRatioTimesCallsPlusMinimum(REAL, 300, tally);
        assertExercised(tally, 300);
    }

    @Test
    void retriesInAnyWindowStayWithinRatioTimesCallsInItAndTheWindowBeforePlusMinimum() {
        Tally tally = new Tally();
        checkAnyWindowStaysWithinRatioTimesCallsPlusMinimum(REAL, 300, tally);
        assertExercised(tally, 300);
    }

    @Test
    void refusesARetryOnlyWhenTheBudgetIsUsedUp() {
        Tally tally = new Tally();
        checkRefusesOnlyWhenTheBudgetIsUsedUp(REAL, 300, tally);
        assertExercised(tally, 300);
    }

    @Test
    void grantsAtLeastTwentyTwentyFirstsOfTheRatioUnderSteadyTraffic() {
        Tally tally = new Tally();
        checkGrantsMostOfTheRatioUnderSteadyTraffic(REAL, 100, tally);
        // QuickTheories skips values it has already tried, so a few of the 100 may not run
        assertThat(tally.examples.get()).isGreaterThanOrEqualTo(90);
        assertThat(tally.withGrants.get()).isEqualTo(tally.examples.get());
    }

    private static void assertExercised(Tally tally, int examples) {
        // QuickTheories skips values it has already tried, so a few examples may not run
        assertThat(tally.examples.get()).isGreaterThanOrEqualTo(examples * 9 / 10);
        // most scenarios grant some retries and refuse some: the checks are not vacuous
        assertThat(tally.withGrants.get()).as("examples with granted retries").isGreaterThan(examples / 2);
        assertThat(tally.withRefusals.get()).as("examples with refused retries").isGreaterThan(examples / 10);
    }

    // ---- the checks fail for broken budgets ---------------------------------------------------------------

    @Test
    void theUpperBoundChecksFailForABudgetThatAlwaysGrants() {
        assertThatThrownBy(() -> checkGrantsStayWithinRatioTimesCallsPlusMinimum(ALWAYS_GRANTS, 100, new Tally()))
            .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> checkAnyWindowStaysWithinRatioTimesCallsPlusMinimum(ALWAYS_GRANTS, 100, new Tally()))
            .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> checkGrantsMostOfTheRatioUnderSteadyTraffic(ALWAYS_GRANTS, 50, new Tally()))
            .isInstanceOf(AssertionError.class);
    }

    @Test
    void theLowerBoundChecksFailForABudgetThatNeverGrants() {
        assertThatThrownBy(() -> checkRefusesOnlyWhenTheBudgetIsUsedUp(NEVER_GRANTS, 100, new Tally()))
            .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> checkGrantsMostOfTheRatioUnderSteadyTraffic(NEVER_GRANTS, 50, new Tally()))
            .isInstanceOf(AssertionError.class);
    }
}
