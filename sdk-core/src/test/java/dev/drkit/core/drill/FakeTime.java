package dev.drkit.core.drill;

import dev.drkit.core.time.Sleeper;
import dev.drkit.core.time.ManualTicker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * A monotonic ticker and a wall clock that move together, only when told to, and a sleeper that moves them
 * instead of sleeping. The clock reads {@link #EPOCH} plus the ticker's nanoseconds.
 */
final class FakeTime {

    static final Instant EPOCH = Instant.parse("2026-11-23T10:00:00Z");

    final ManualTicker ticker = new ManualTicker();
    final List<Duration> sleeps = new ArrayList<>();

    Clock clock() {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Instant instant() {
                return EPOCH.plusNanos(ticker.nanos());
            }
        };
    }

    Sleeper sleeper() {
        return duration -> {
            sleeps.add(duration);
            ticker.advance(duration);
        };
    }

    FakeTime advance(Duration by) {
        ticker.advance(by);
        return this;
    }

    /** Moves to {@code at} after the start; never backwards. */
    FakeTime advanceTo(Duration at) {
        return advance(at.minusNanos(ticker.nanos()));
    }

    Duration now() {
        return Duration.ofNanos(ticker.nanos());
    }

    RecoveryTimeline timeline() {
        return RecoveryTimeline.start(ticker, clock());
    }

    static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
