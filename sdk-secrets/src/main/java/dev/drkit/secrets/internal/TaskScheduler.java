package dev.drkit.secrets.internal;

/**
 * Runs background work (renewals, re-logins, rotations) after a delay. The default runs on one daemon thread;
 * tests use one driven by a manual clock. Implementations are thread-safe.
 */
public interface TaskScheduler extends AutoCloseable {

    /** Runs {@code task} once, {@code delayNanos} from now (at once if not positive). */
    Cancellable schedule(Runnable task, long delayNanos);

    /** Stops running tasks; idempotent. */
    @Override
    void close();

    /** A scheduled task that can be called off. */
    @FunctionalInterface
    interface Cancellable {
        /** Calls the task off if it has not started; does nothing otherwise. */
        void cancel();
    }
}
