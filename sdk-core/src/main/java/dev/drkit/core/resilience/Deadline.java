package dev.drkit.core.resilience;

import dev.drkit.core.internal.Checks;
import dev.drkit.core.time.Ticker;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * A point in time by which an operation must be done, measured on a monotonic {@link Ticker} (never the
 * wall clock, so a clock step cannot move it). Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * Deadline deadline = Deadline.after(Duration.ofSeconds(2));
 * Deadline.runWithin(deadline, () -> {
 *     // anywhere below, on this thread:
 *     Duration socketTimeout = Deadline.current().map(d -> d.timeoutFor(Duration.ofSeconds(5)))
 *         .orElse(Duration.ofSeconds(5));
 *     return client.load(orderId, socketTimeout);
 * });
 * }</pre>
 *
 * <h2>Propagation</h2>
 * {@link #runWithin(Deadline, Callable)} makes a deadline the {@linkplain #current() current} one for the
 * calling thread while the callable runs, and restores the previous one afterwards, whatever happens.
 * Deadlines only ever tighten: inside a scope whose deadline is sooner, a nested
 * {@code runWithin} with a later deadline keeps the sooner one. {@link Resilience} reads the current
 * deadline: its retry never starts an attempt that cannot start before it, and never waits past it.
 *
 * <h2>Thread pools</h2>
 * The current deadline is held per thread, so it does not follow a task to another thread by itself: a
 * pooled thread would run the task with no deadline at all. Wrap the task where it is submitted:
 * {@link #wrap(Runnable)} and {@link #wrap(Callable)} capture the submitting thread's current deadline and
 * make exactly that deadline current while the task runs on the other thread (and none if there was none),
 * then restore what that thread had:
 *
 * <pre>{@code
 * executor.submit(Deadline.wrap(() -> client.load(orderId)));
 * }</pre>
 *
 * @since 0.1
 */
public final class Deadline {

    /** Timeouts longer than this (about 73 years) are treated as this long, so tick arithmetic cannot overflow. */
    private static final long MAX_NANOS = Long.MAX_VALUE / 4;

    private static final ThreadLocal<Deadline> CURRENT = new ThreadLocal<>();

    private final Ticker ticker;
    private final long expiresAt;

    private Deadline(Ticker ticker, long expiresAt) {
        this.ticker = ticker;
        this.expiresAt = expiresAt;
    }

    /**
     * A deadline {@code timeout} from now on the system's monotonic clock.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @since 0.1
     */
    public static Deadline after(Duration timeout) {
        return after(timeout, Ticker.system());
    }

    /**
     * A deadline {@code timeout} from now on {@code ticker}; tests pass a {@code ManualTicker}. Timeouts
     * beyond about 73 years count as 73 years.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @since 0.1
     */
    public static Deadline after(Duration timeout, Ticker ticker) {
        Checks.notNegative(timeout, "timeout");
        Objects.requireNonNull(ticker, "ticker");
        long nanos = timeout.compareTo(Duration.ofNanos(MAX_NANOS)) > 0 ? MAX_NANOS : timeout.toNanos();
        return new Deadline(ticker, ticker.nanos() + nanos);
    }

    /**
     * Time left until this deadline: negative once it has passed, by how long ago it passed.
     *
     * @since 0.1
     */
    public Duration remaining() {
        return Duration.ofNanos(remainingNanos());
    }

    long remainingNanos() {
        // A difference of two ticker readings, as System.nanoTime() requires.
        return expiresAt - ticker.nanos();
    }

    /**
     * Whether the deadline has been reached (no time remains).
     *
     * @since 0.1
     */
    public boolean isExpired() {
        return remainingNanos() <= 0;
    }

    /**
     * Fails if the deadline has been reached; call it before starting work that cannot finish in no time.
     *
     * @param operation what is about to run, for the message; never a secret
     * @throws DeadlineExceededException if no time remains, saying by how much the deadline was missed
     * @since 0.1
     */
    public void checkNotExpired(String operation) {
        Objects.requireNonNull(operation, "operation");
        long remaining = remainingNanos();
        if (remaining <= 0) {
            throw new DeadlineExceededException(operation, Duration.ofNanos(-remaining));
        }
    }

    /**
     * The timeout to use for one blocking step: {@code requested}, or the time remaining if that is shorter
     * ({@link Duration#ZERO} once expired).
     *
     * @throws IllegalArgumentException if {@code requested} is negative
     * @since 0.1
     */
    public Duration timeoutFor(Duration requested) {
        Checks.notNegative(requested, "requested");
        long remaining = Math.max(0, remainingNanos());
        return requested.compareTo(Duration.ofNanos(remaining)) <= 0 ? requested : Duration.ofNanos(remaining);
    }

    /**
     * The sooner of this deadline and {@code other}; this one when both are equally soon. Works across
     * tickers by comparing the time remaining on each.
     *
     * @since 0.1
     */
    public Deadline earliest(Deadline other) {
        Objects.requireNonNull(other, "other");
        if (other.ticker == ticker) {
            return other.expiresAt - expiresAt < 0 ? other : this;
        }
        return other.remainingNanos() < remainingNanos() ? other : this;
    }

    /**
     * The calling thread's current deadline, set by {@link #runWithin(Deadline, Callable)} or a
     * {@linkplain #wrap(Runnable) wrapped} task; empty outside any.
     *
     * @since 0.1
     */
    public static Optional<Deadline> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /**
     * Runs {@code task} with {@code deadline}, or the current deadline if that is sooner, as the calling
     * thread's {@linkplain #current() current} deadline; restores the previous one afterwards. This method
     * does not itself stop {@code task} when the deadline passes: code inside checks it.
     *
     * @return what {@code task} returned
     * @throws Exception whatever {@code task} throws, unchanged
     * @since 0.1
     */
    public static <T> T runWithin(Deadline deadline, Callable<T> task) throws Exception {
        Objects.requireNonNull(task, "task");
        Deadline previous = tighten(deadline);
        try {
            return task.call();
        } finally {
            restore(previous);
        }
    }

    /**
     * {@link #runWithin(Deadline, Callable)} for code that throws no checked exception.
     *
     * @return what {@code task} returned
     * @since 0.1
     */
    public static <T> T supplyWithin(Deadline deadline, Supplier<T> task) {
        Objects.requireNonNull(task, "task");
        Deadline previous = tighten(deadline);
        try {
            return task.get();
        } finally {
            restore(previous);
        }
    }

    /**
     * Captures the calling thread's current deadline (if any) so that {@code task} runs with exactly that
     * deadline current on whichever thread runs it, and with none if there was none.
     *
     * @since 0.1
     */
    public static Runnable wrap(Runnable task) {
        Objects.requireNonNull(task, "task");
        Deadline captured = CURRENT.get();
        return () -> {
            Deadline previous = CURRENT.get();
            install(captured);
            try {
                task.run();
            } finally {
                restore(previous);
            }
        };
    }

    /**
     * Captures the calling thread's current deadline (if any) so that {@code task} runs with exactly that
     * deadline current on whichever thread runs it, and with none if there was none.
     *
     * @since 0.1
     */
    public static <T> Callable<T> wrap(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        Deadline captured = CURRENT.get();
        return () -> {
            Deadline previous = CURRENT.get();
            install(captured);
            try {
                return task.call();
            } finally {
                restore(previous);
            }
        };
    }

    /** Makes {@code deadline}, or the current one if sooner, current; returns what was current before. */
    private static @Nullable Deadline tighten(Deadline deadline) {
        Objects.requireNonNull(deadline, "deadline");
        Deadline previous = CURRENT.get();
        CURRENT.set(previous == null ? deadline : previous.earliest(deadline));
        return previous;
    }

    private static void install(@Nullable Deadline deadline) {
        if (deadline == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(deadline);
        }
    }

    private static void restore(@Nullable Deadline previous) {
        install(previous);
    }

    /** For logs: the time remaining, for example {@code Deadline[remaining=PT1.5S]}. */
    @Override
    public String toString() {
        return "Deadline[remaining=" + remaining() + "]";
    }
}
