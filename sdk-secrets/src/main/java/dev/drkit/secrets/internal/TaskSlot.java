package dev.drkit.secrets.internal;

import org.jspecify.annotations.Nullable;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The one pending background task of a token or a lease: scheduling a task calls off the one pending before it, a
 * task that throws runs again after the retry delay, and nothing is scheduled once the owner has stopped.
 * Thread-safe.
 */
final class TaskSlot {

    private final TaskScheduler scheduler;
    private final BooleanSupplier stopped;
    private final long retryDelayNanos;
    private final Consumer<RuntimeException> onFailure;
    private volatile TaskScheduler.@Nullable Cancellable pending;

    /**
     * @param stopped   whether the owner has stopped; checked before every scheduling
     * @param onFailure told (to log it) when a task throws, before the task is scheduled again
     */
    TaskSlot(TaskScheduler scheduler, BooleanSupplier stopped, long retryDelayNanos,
             Consumer<RuntimeException> onFailure) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.stopped = Objects.requireNonNull(stopped, "stopped");
        this.retryDelayNanos = retryDelayNanos;
        this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
    }

    /** Runs {@code task} after {@code delayNanos} instead of whatever was pending. */
    void schedule(Runnable task, long delayNanos) {
        if (stopped.getAsBoolean()) {
            return;
        }
        cancel();
        pending = scheduler.schedule(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                onFailure.accept(e);
                schedule(task, retryDelayNanos);
            }
        }, delayNanos);
    }

    /** Calls off the pending task, if any. */
    void cancel() {
        TaskScheduler.Cancellable previous = pending;
        if (previous != null) {
            previous.cancel();
        }
    }
}
