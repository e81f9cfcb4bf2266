package dev.drkit.failover.internal;

import com.zaxxer.hikari.util.ClockSource;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

class BorrowClockTest {

    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(20);

    @Test
    void advancesWhileReadAndIsNeverAheadOfHikariClock() {
        try (BorrowClock clock = new BorrowClock("test")) {
            long first = clock.now();
            long last = first;
            long deadline = System.nanoTime() + PATIENCE_NANOS;
            int changes = 0;
            while (changes < 50 && System.nanoTime() < deadline) {
                long value = clock.now();
                long real = ClockSource.currentTime();
                assertThat(value).as("never ahead of the real clock").isLessThanOrEqualTo(real);
                if (value != last) {
                    changes++;
                }
                last = value;
            }
            assertThat(changes).as("the thread keeps reading the clock while it is read").isEqualTo(50);
        }
    }

    @Test
    void sleepsWhenNobodyReadsItAndTheNextReaderGetsTheRealClockAndWakesIt() throws InterruptedException {
        try (BorrowClock clock = new BorrowClock("test")) {
            Thread ticker = clock.ticker();
            awaitTrue(() -> ticker.getState() == Thread.State.WAITING, "asleep before the first read");

            long before = ClockSource.currentTime();
            long first = clock.now();
            assertThat(first).as("the real clock, read by the reader itself").isGreaterThanOrEqualTo(before);
            awaitTrue(() -> clock.now() > first, "ticking after the first read woke it");

            // Not read for longer than its idle ticks: it goes back to sleep (parked without a timeout).
            awaitTrue(() -> ticker.getState() == Thread.State.WAITING, "asleep again when nobody reads it");
            long idleFor = TimeUnit.MILLISECONDS.toNanos(300);
            long sleepingSince = ClockSource.currentTime();
            TimeUnit.NANOSECONDS.sleep(idleFor);
            assertThat(clock.now()).as("a sleeping clock's reader reads the real clock, not the value of its last tick")
                .isGreaterThanOrEqualTo(sleepingSince + idleFor);
        }
    }

    @Test
    void closeStopsTheThreadAndReadsFallBackToTheRealClock() throws InterruptedException {
        BorrowClock clock = new BorrowClock("test");
        clock.now();
        clock.close();
        clock.ticker().join(TimeUnit.NANOSECONDS.toMillis(PATIENCE_NANOS));
        assertThat(clock.ticker().isAlive()).isFalse();
        long before = ClockSource.currentTime();
        assertThat(clock.now()).isGreaterThanOrEqualTo(before);
    }

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}
