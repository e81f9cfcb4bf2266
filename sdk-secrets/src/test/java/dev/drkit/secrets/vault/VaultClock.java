package dev.drkit.secrets.vault;

import dev.drkit.core.time.Ticker;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated Vault's wall clock: a start instant moved forward by a {@link Ticker} (the system's, or a test's
 * manual one shared with the client under test), plus jumps that only the server sees. Thread-safe.
 */
public final class VaultClock {

    private final Instant origin;
    private final Ticker ticker;
    private final long originNanos;
    private final AtomicLong jumpedNanos = new AtomicLong();

    private VaultClock(Ticker ticker) {
        this.origin = Instant.now();
        this.ticker = ticker;
        this.originNanos = ticker.nanos();
    }

    /** A clock that runs in real time. */
    public static VaultClock system() {
        return new VaultClock(Ticker.system());
    }

    /** A clock that moves with {@code ticker} (for example a {@code ManualTicker} the client also uses). */
    public static VaultClock following(Ticker ticker) {
        return new VaultClock(ticker);
    }

    /** The server's current time. */
    public Instant now() {
        return origin.plusNanos(ticker.nanos() - originNanos + jumpedNanos.get());
    }

    /** Moves only the server's clock forward, as an NTP step or a suspended VM would. */
    public void jump(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("by must not be negative, but was " + by);
        }
        jumpedNanos.addAndGet(by.toNanos());
    }
}
