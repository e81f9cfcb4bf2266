package dev.drkit.core.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.time.ManualTicker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private final ManualTicker ticker = new ManualTicker();

    private RetryBudget budget(double ratio, int minRetriesPerSecond) {
        return RetryBudget.builder()
            .ratio(ratio)
            .window(Duration.ofSeconds(10))
            .minRetriesPerSecond(minRetriesPerSecond)
            .ticker(ticker)
            .build();
    }

    private static int acquireAll(RetryBudget budget) {
        int granted = 0;
        while (budget.tryAcquireRetry()) {
            granted++;
        }
        return granted;
    }

    @Test
    void grantsExactlyTwentyRetriesForAHundredCallsAtRatioOneFifth() {
        RetryBudget budget = budget(0.2, 0);
        for (int i = 0; i < 100; i++) {
            budget.recordCall();
        }

        assertThat(acquireAll(budget)).isEqualTo(20);
        assertThat(budget.tryAcquireRetry()).isFalse();
        assertThat(budget.snapshot().availableRetries()).isZero();
    }

    @Test
    void grantsNothingWithoutCallsOrMinimum() {
        RetryBudget budget = budget(0.2, 0);

        assertThat(budget.tryAcquireRetry()).isFalse();
    }

    @Test
    void newCallsInTheWindowAddToTheBudget() {
        RetryBudget budget = budget(0.2, 0);
        for (int i = 0; i < 100; i++) {
            budget.recordCall();
        }
        assertThat(acquireAll(budget)).isEqualTo(20);

        ticker.advance(Duration.ofSeconds(5));
        for (int i = 0; i < 50; i++) {
            budget.recordCall();
        }

        // 0.2 × 150 calls in the window = 30, of which 20 are taken.
        assertThat(acquireAll(budget)).isEqualTo(10);
    }

    @Test
    void recoversOnceTheWindowHasSlidPastTheOldRetries() {
        RetryBudget budget = budget(0.2, 0);
        for (int i = 0; i < 100; i++) {
            budget.recordCall();
        }
        assertThat(acquireAll(budget)).isEqualTo(20);

        // After one window the old calls no longer count, but the old retries still do for one more bucket.
        ticker.advance(Duration.ofSeconds(10));
        for (int i = 0; i < 100; i++) {
            budget.recordCall();
        }
        assertThat(budget.tryAcquireRetry()).isFalse();

        // One bucket (a twentieth of the window) later, they are gone too.
        ticker.advance(Duration.ofMillis(500));
        assertThat(acquireAll(budget)).isEqualTo(20);
    }

    @Test
    void withOneRetryPerSecondMinimumAndNoCallsGrantsExactlyTenRetriesOverTenSeconds() {
        RetryBudget budget = budget(0.2, 1);
        int granted = 0;
        for (int step = 0; step < 100; step++) {
            if (budget.tryAcquireRetry()) {
                granted++;
            }
            ticker.advance(Duration.ofMillis(100));
        }

        assertThat(granted).isEqualTo(10);
    }

    @Test
    void theMinimumComesOnTopOfTheRatio() {
        RetryBudget budget = budget(0.2, 1);
        for (int i = 0; i < 100; i++) {
            budget.recordCall();
        }

        assertThat(acquireAll(budget)).isEqualTo(30);
    }

    @Test
    void snapshotCountsCallsRetriesAndRejections() {
        RetryBudget budget = budget(0.5, 0);
        for (int i = 0; i < 4; i++) {
            budget.recordCall();
        }
        budget.tryAcquireRetry();
        budget.tryAcquireRetry();
        budget.tryAcquireRetry();

        RetryBudget.Snapshot snapshot = budget.snapshot();

        assertThat(snapshot.callsInWindow()).isEqualTo(4);
        assertThat(snapshot.retriesInWindow()).isEqualTo(2);
        assertThat(snapshot.availableRetries()).isZero();
        assertThat(snapshot.totalCalls()).isEqualTo(4);
        assertThat(snapshot.totalRetries()).isEqualTo(2);
        assertThat(snapshot.totalRejected()).isEqualTo(1);
    }

    @Test
    void defaultsAreFinaglesOnes() {
        RetryBudget budget = RetryBudget.ofDefaults();

        assertThat(budget.ratio()).isEqualTo(0.2);
        assertThat(budget.window()).isEqualTo(Duration.ofSeconds(10));
        assertThat(budget.minRetriesPerSecond()).isEqualTo(10);
    }

    @Test
    void rejectsOutOfRangeSettings() {
        assertThatThrownBy(() -> RetryBudget.builder().ratio(1.5))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("ratio must be between 0.0 and 1.0, but was 1.5");
        assertThatThrownBy(() -> RetryBudget.builder().minRetriesPerSecond(-1))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("minRetriesPerSecond must be between 0 and 100000, but was -1");
        assertThatThrownBy(() -> RetryBudget.builder().window(Duration.ofHours(2)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("window must be between PT0.01S and PT1H, but was PT2H");
        assertThatThrownBy(() -> RetryBudget.builder().window(Duration.ofNanos(10_000_001)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("window must be a whole number of milliseconds");
    }

    @Test
    void neverGrantsMoreThanTheBudgetUnderConcurrentUse() throws Exception {
        RetryBudget budget = budget(0.2, 0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    int granted = 0;
                    for (int i = 0; i < 10_000; i++) {
                        budget.recordCall();
                        if (budget.tryAcquireRetry()) {
                            granted++;
                        }
                    }
                    return granted;
                }));
            }
            int granted = 0;
            for (Future<Integer> result : results) {
                granted += result.get(30, TimeUnit.SECONDS);
            }

            assertThat(granted).isEqualTo(8_000);
            assertThat(budget.snapshot().totalRetries()).isEqualTo(8_000);
            assertThat(budget.snapshot().totalRejected()).isEqualTo(32_000);
        } finally {
            pool.shutdownNow();
        }
    }
}
