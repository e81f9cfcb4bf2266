package dev.drkit.secrets;

import dev.drkit.core.time.ManualTicker;
import dev.drkit.secrets.internal.TaskScheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A {@link TaskScheduler} that runs tasks on the test's thread when its {@link ManualTicker} has reached them. */
final class ManualScheduler implements TaskScheduler {

    private final ManualTicker ticker;
    private final List<Task> tasks = new ArrayList<>();
    private long sequence;
    private boolean closed;

    ManualScheduler(ManualTicker ticker) {
        this.ticker = ticker;
    }

    @Override
    public synchronized Cancellable schedule(Runnable task, long delayNanos) {
        Task t = new Task(ticker.nanos() + Math.max(0, delayNanos), sequence++, task);
        if (!closed) {
            tasks.add(t);
        }
        return () -> {
            synchronized (this) {
                tasks.remove(t);
            }
        };
    }

    /** Advances the ticker by {@code by} in small steps, running every task that falls due on the way. */
    void advance(Duration by) {
        long end = ticker.nanos() + by.toNanos();
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.stream().min(Comparator.comparingLong((Task t) -> t.due).thenComparingLong(t -> t.seq))
                    .orElse(null);
                if (next == null || next.due > end) {
                    break;
                }
                tasks.remove(next);
            }
            if (next.due > ticker.nanos()) {
                ticker.advance(Duration.ofNanos(next.due - ticker.nanos()));
            }
            next.task.run();
        }
        if (end > ticker.nanos()) {
            ticker.advance(Duration.ofNanos(end - ticker.nanos()));
        }
    }

    /** Runs the tasks already due. */
    void runDue() {
        advance(Duration.ZERO);
    }

    synchronized int pending() {
        return tasks.size();
    }

    @Override
    public synchronized void close() {
        closed = true;
        tasks.clear();
    }

    private static final class Task {
        final long due;
        final long seq;
        final Runnable task;

        Task(long due, long seq, Runnable task) {
            this.due = due;
            this.seq = seq;
            this.task = task;
        }
    }
}
