package dev.drkit.failover.internal;

import com.zaxxer.hikari.util.ClockSource;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

class BorrowClockTest {

    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(20);

    @Test
    void whileReadItServesTheValueItsThreadReadAndThatValueAdvances() {
        try (BorrowClock clock = new BorrowClock("test")) {
            awaitTicking(clock);
            // Two reads in a row give the same value: the thread's, not a clock read of their own (which, in
            // nanoseconds, would differ).
            long[] cached = new long[1];
            awaitTrue(() -> {
                long first = clock.now();
                cached[0] = first;
                return clock.now() == first;
            }, "two reads in a row return the thread's value");
            assertThat(cached[0]).as("never ahead of the real clock").isLessThanOrEqualTo(ClockSource.currentTime());
            awaitTrue(() -> clock.now() > cached[0], "the thread reads the clock again a tick later");
            for (int i = 0; i < 10_000; i++) {
                long value = clock.now();
                assertThat(value).as("never ahead of the real clock").isLessThanOrEqualTo(ClockSource.currentTime());
            }
        }
    }

    @Test
    void sleepsWhenNobodyReadsItAndTheNextReaderGetsTheRealClock() throws InterruptedException {
        try (BorrowClock clock = new BorrowClock("test")) {
            Thread ticker = clock.ticker();
            awaitTrue(() -> ticker.getState() == Thread.State.WAITING, "asleep before the first read");

            long before = ClockSource.currentTime();
            assertThat(clock.now()).as("the real clock, read by the reader itself").isGreaterThanOrEqualTo(before);
            awaitTicking(clock);

            // Not read for longer than its idle ticks: back to sleep (parked without a timeout).
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
        awaitTicking(clock);
        clock.close();
        clock.ticker().join(TimeUnit.NANOSECONDS.toMillis(PATIENCE_NANOS));
        assertThat(clock.ticker().isAlive()).isFalse();
        long before = ClockSource.currentTime();
        assertThat(clock.now()).isGreaterThanOrEqualTo(before);
        assertThat(clock.now()).as("a clock read each time: nothing serves a cached value").isNotEqualTo(clock.now());
    }

    /**
     * Reads the clock until its thread is between ticks (parked with a timeout, as opposed to asleep): the reads keep
     * it awake, which a wait that only looked would not (it sleeps after 20 ms unread).
     */
    private static void awaitTicking(BorrowClock clock) {
        awaitTrue(() -> {
            clock.now();
            return clock.ticker().getState() == Thread.State.TIMED_WAITING;
        }, "the clock's thread ticks while the clock is read");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}
