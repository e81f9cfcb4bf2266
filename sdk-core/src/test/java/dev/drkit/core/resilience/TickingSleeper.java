package dev.drkit.core.resilience;

import dev.drkit.core.time.Sleeper;
import dev.drkit.core.time.ManualTicker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link Sleeper} that moves a {@link ManualTicker} instead of sleeping, and remembers each wait. */
final class TickingSleeper implements Sleeper {

    private final ManualTicker ticker;
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();

    TickingSleeper(ManualTicker ticker) {
        this.ticker = ticker;
    }

    @Override
    public void sleep(Duration duration) {
        sleeps.add(duration);
        ticker.advance(duration);
    }

    List<Duration> sleeps() {
        return List.copyOf(sleeps);
    }

    Duration total() {
        return sleeps.stream().reduce(Duration.ZERO, Duration::plus);
    }
}
