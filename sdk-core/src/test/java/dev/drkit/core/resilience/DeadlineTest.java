package dev.drkit.core.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.DrkitException;
import dev.drkit.core.time.ManualTicker;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeadlineTest {

    private final ManualTicker ticker = new ManualTicker();
    private final ExecutorService worker = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopWorker() {
        worker.shutdownNow();
    }

    @Test
    void remainingCountsDownWithTheTickerAndGoesNegativeOnceExpired() {
        Deadline deadline = Deadline.after(Duration.ofSeconds(2), ticker);

        ticker.advance(Duration.ofMillis(1500));
        assertThat(deadline.remaining()).isEqualTo(Duration.ofMillis(500));
        assertThat(deadline.isExpired()).isFalse();

        ticker.advance(Duration.ofMillis(500));
        assertThat(deadline.isExpired()).isTrue();

        ticker.advance(Duration.ofMillis(300));
        assertThat(deadline.remaining()).isEqualTo(Duration.ofMillis(-300));
    }

    @Test
    void checkNotExpiredNamesTheOperationAndByHowMuchTheDeadlineWasMissed() {
        Deadline deadline = Deadline.after(Duration.ofSeconds(2), ticker);
        deadline.checkNotExpired("load order");

        ticker.advance(Duration.ofMillis(2500));

        assertThatThrownBy(() -> deadline.checkNotExpired("load order"))
            .isInstanceOfSatisfying(DeadlineExceededException.class, e -> {
                assertThat(e.operation()).isEqualTo("load order");
                assertThat(e.exceededBy()).isEqualTo(Duration.ofMillis(500));
                assertThat(e.kind()).isEqualTo(DrkitException.Kind.TIMEOUT);
                assertThat(e.context()).containsEntry("operation", "load order").containsEntry("exceededByMs", "500");
            })
            .hasMessage("Deadline of 'load order' exceeded by 500ms");
    }

    @Test
    void timeoutForIsTheShorterOfTheRequestedTimeoutAndTheTimeRemaining() {
        Deadline deadline = Deadline.after(Duration.ofSeconds(3), ticker);

        assertThat(deadline.timeoutFor(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
        assertThat(deadline.timeoutFor(Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(3));

        ticker.advance(Duration.ofSeconds(4));
        assertThat(deadline.timeoutFor(Duration.ofSeconds(5))).isEqualTo(Duration.ZERO);
    }

    @Test
    void earliestIsTheSoonerDeadlineEvenAcrossTickers() {
        Deadline soon = Deadline.after(Duration.ofSeconds(1), ticker);
        Deadline late = Deadline.after(Duration.ofSeconds(9), ticker);
        ManualTicker other = new ManualTicker().advance(Duration.ofDays(1));
        Deadline middle = Deadline.after(Duration.ofSeconds(5), other);

        assertThat(soon.earliest(late)).isSameAs(soon);
        assertThat(late.earliest(soon)).isSameAs(soon);
        assertThat(late.earliest(middle)).isSameAs(middle);
        assertThat(middle.earliest(soon)).isSameAs(soon);
    }

    @Test
    void noDeadlineIsCurrentOutsideAnyScope() {
        assertThat(Deadline.current()).isEmpty();
    }

    @Test
    void aNestedLaterDeadlineKeepsTheOuterSoonerOne() throws Exception {
        Deadline outer = Deadline.after(Duration.ofSeconds(1), ticker);
        Deadline inner = Deadline.after(Duration.ofSeconds(10), ticker);

        Optional<Deadline> seenInside = Deadline.runWithin(outer, () -> Deadline.runWithin(inner, Deadline::current));

        assertThat(seenInside).containsSame(outer);
    }

    @Test
    void aNestedSoonerDeadlineTightensAndTheOuterOneComesBackAfterwards() throws Exception {
        Deadline outer = Deadline.after(Duration.ofSeconds(10), ticker);
        Deadline inner = Deadline.after(Duration.ofSeconds(1), ticker);

        Deadline.runWithin(outer, () -> {
            assertThat(Deadline.runWithin(inner, Deadline::current)).containsSame(inner);
            assertThat(Deadline.current()).containsSame(outer);
            return null;
        });

        assertThat(Deadline.current()).isEmpty();
    }

    @Test
    void thePreviousDeadlineComesBackEvenWhenTheTaskThrows() {
        Deadline deadline = Deadline.after(Duration.ofSeconds(1), ticker);

        assertThatThrownBy(() -> Deadline.supplyWithin(deadline, () -> {
            throw new IllegalStateException("boom");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(Deadline.current()).isEmpty();
    }

    @Test
    void wrapCarriesTheCurrentDeadlineToAPoolThreadAndLeavesNothingBehind() throws Exception {
        Deadline deadline = Deadline.after(Duration.ofSeconds(1), ticker);

        Callable<Optional<Deadline>> task = Deadline.supplyWithin(deadline, () -> Deadline.wrap(Deadline::current));
        Optional<Deadline> seenOnWorker = worker.submit(task).get(5, TimeUnit.SECONDS);
        Optional<Deadline> leftOnWorker = worker.submit(Deadline::current).get(5, TimeUnit.SECONDS);

        assertThat(seenOnWorker).containsSame(deadline);
        assertThat(leftOnWorker).isEmpty();
    }

    @Test
    void aWrappedTaskWithoutDeadlineRunsWithoutOneEvenOnAThreadThatHasOne() throws Exception {
        Callable<Optional<Deadline>> captured = Deadline.wrap(Deadline::current);
        Deadline elsewhere = Deadline.after(Duration.ofSeconds(1), ticker);

        Optional<Deadline> seen = Deadline.runWithin(elsewhere, captured);

        assertThat(seen).isEmpty();
    }

    @Test
    void wrappedRunnableSeesTheCapturedDeadline() throws Exception {
        Deadline deadline = Deadline.after(Duration.ofSeconds(1), ticker);
        AtomicReference<Optional<Deadline>> seen = new AtomicReference<>();

        Runnable task = Deadline.supplyWithin(deadline, () -> Deadline.wrap(() -> {
            seen.set(Deadline.current());
        }));
        worker.submit(task).get(5, TimeUnit.SECONDS);

        assertThat(seen.get()).containsSame(deadline);
    }

    @Test
    void rejectsANegativeTimeout() {
        assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(-1), ticker))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("timeout must not be negative, but was PT-0.001S");
    }

    @Test
    void aVeryLongTimeoutDoesNotOverflow() {
        ticker.advance(Duration.ofDays(365));
        Deadline deadline = Deadline.after(Duration.ofSeconds(Long.MAX_VALUE), ticker);

        assertThat(deadline.isExpired()).isFalse();
        assertThat(deadline.remaining()).isGreaterThan(Duration.ofDays(365 * 70));
    }
}
