package dev.drkit.core.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.drkit.core.time.ManualTicker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * The budget's promise, checked against an exact log of what happened: retries granted in a window never
 * exceed {@code ratio × calls + minRetriesPerSecond × window}. Ratios here are multiples of 0.05, which the
 * budget represents exactly (it works in millionths), so there is no rounding slack to allow for.
 */
class RetryBudgetProperties {

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
        final List<Long> times = new ArrayList<>();

        static long countIn(List<Long> times, long fromExclusive, long toInclusive) {
            return times.stream().filter(t -> t > fromExclusive && t <= toInclusive).count();
        }
    }

    static Gen<Step> steps() {
        return integers().between(0, 2).zip(integers().between(0, 2500), (kind, n) ->
            new Step(kind, kind == 0 ? n : 1 + n % (kind == 1 ? 25 : 8)));
    }

    static Gen<Scenario> scenarios() {
        return integers().between(0, 20).zip(integers().between(0, 3), integers().between(1, 20),
            lists().of(steps()).ofSizeBetween(0, 250), Scenario::new);
    }

    static Log run(Scenario scenario) {
        ManualTicker ticker = new ManualTicker();
        RetryBudget budget = RetryBudget.builder()
            .ratio(scenario.ratio())
            .minRetriesPerSecond(scenario.minRetriesPerSecond)
            .window(Duration.ofSeconds(scenario.windowSeconds))
            .ticker(ticker)
            .build();
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
                    }
                }
            }
        }
        return log;
    }

    @Test
    void retriesInTheWindowEndingAtAnyGrantStayWithinRatioTimesCallsPlusMinimum() {
        qt().withExamples(300).forAll(scenarios()).checkAssert(scenario -> {
            Log log = run(scenario);
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

    @Test
    void retriesInAnyWindowStayWithinRatioTimesCallsInItAndTheWindowBeforePlusMinimum() {
        qt().withExamples(300).forAll(scenarios()).checkAssert(scenario -> {
            Log log = run(scenario);
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

    @Test
    void grantsAtLeastTwentyTwentyFirstsOfTheRatioUnderSteadyTraffic() {
        // The other direction: the conservative rounding (retries count for one bucket longer than calls)
        // costs at most 1/21 of the ratio's share of a steady stream of calls.
        qt().withExamples(100).forAll(integers().between(1, 20), integers().between(20, 200))
            .checkAssert((ratioTwentieths, seconds) -> {
                ManualTicker ticker = new ManualTicker();
                double ratio = ratioTwentieths / 20.0;
                RetryBudget budget = RetryBudget.builder().ratio(ratio).minRetriesPerSecond(0)
                    .window(Duration.ofSeconds(10)).ticker(ticker).build();
                long granted = 0;
                for (int ms = 0; ms < seconds * 1000; ms += 100) {
                    for (int i = 0; i < 10; i++) {
                        budget.recordCall();
                    }
                    while (budget.tryAcquireRetry()) {
                        granted++;
                    }
                    ticker.advance(Duration.ofMillis(100));
                }
                long calls = seconds * 100L;
                assertThat(granted).isGreaterThanOrEqualTo((long) Math.floor(ratio * calls * 20 / 21) - 1);
            });
    }
}
