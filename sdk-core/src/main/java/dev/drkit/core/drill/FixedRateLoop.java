package dev.drkit.core.drill;

import dev.drkit.core.time.Sleeper;
import dev.drkit.core.time.Ticker;

import java.time.Duration;

/**
 * The timing of a fixed-rate loop, shared by {@link RecoveryVerifier} and {@link CanaryWriter}: slots start
 * one interval apart from the first, and slots that went by while the body overran are skipped, not made up
 * in a burst. Not thread-safe: one loop belongs to one thread.
 */
final class FixedRateLoop {

    private final Ticker ticker;
    private final long interval;
    private final Sleeper sleeper;
    private long next;
    private long lookedAt;

    /** A loop whose first slot starts now. */
    FixedRateLoop(Ticker ticker, Duration interval, Sleeper sleeper) {
        this.ticker = ticker;
        this.interval = interval.toNanos();
        this.sleeper = sleeper;
        this.next = ticker.nanos();
        this.lookedAt = next;
    }

    /**
     * Moves on to the next slot that has not begun yet, skipping the ones already gone.
     *
     * @return the start of that slot, on the ticker
     */
    long advance() {
        next += interval;
        lookedAt = ticker.nanos();
        if (lookedAt - next > 0) {
            next += ((lookedAt - next) / interval + 1) * interval;
        }
        return next;
    }

    /** Sleeps from the moment {@link #advance()} looked at the ticker until the start of the slot it chose. */
    void sleepUntilNextSlot() throws InterruptedException {
        sleeper.sleep(Duration.ofNanos(next - lookedAt));
    }
}
