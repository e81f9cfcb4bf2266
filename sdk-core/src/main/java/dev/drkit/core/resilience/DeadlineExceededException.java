package dev.drkit.core.resilience;

import dev.drkit.core.DrkitException;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * An operation ran past its {@link Deadline}, or would have: a retry is refused when its next attempt could
 * only start after the deadline. {@link Kind#TIMEOUT}, exit code 3 from the CLI.
 *
 * <p>The message names the operation and by how much the deadline is (or would be) exceeded; the same facts
 * are in {@link #operation()}, {@link #exceededBy()} and {@link #context()} ({@code operation},
 * {@code exceededByMs}). When a retry gave up because of the deadline, the last failure is the cause.
 *
 * @since 0.1
 */
public class DeadlineExceededException extends DrkitException {

    private static final long serialVersionUID = 1L;

    private final String operation;
    private final Duration exceededBy;

    /**
     * A deadline that has passed.
     *
     * @param operation  what was about to run, such as {@code "orders-db"} or {@code "load order"}; never a secret
     * @param exceededBy how long ago the deadline passed; not negative
     * @since 0.1
     */
    public DeadlineExceededException(String operation, Duration exceededBy) {
        this(operation, exceededBy, null);
    }

    /**
     * A deadline that has passed, with the failure that was being handled when it was noticed.
     *
     * @param operation  what was about to run; never a secret
     * @param exceededBy how long ago the deadline passed; not negative
     * @param cause      the last failure, or {@code null}
     * @since 0.1
     */
    public DeadlineExceededException(String operation, Duration exceededBy, @Nullable Throwable cause) {
        this("Deadline of '" + operation + "' exceeded by " + millis(exceededBy), operation, exceededBy, cause);
    }

    /** For callers that explain more than the standard message does, such as a retry that stops early. */
    DeadlineExceededException(String message, String operation, Duration exceededBy, @Nullable Throwable cause) {
        super(message, Kind.TIMEOUT, context(operation, exceededBy), cause);
        this.operation = operation;
        this.exceededBy = exceededBy;
    }

    private static Map<String, String> context(String operation, Duration exceededBy) {
        Objects.requireNonNull(operation, "operation");
        if (Objects.requireNonNull(exceededBy, "exceededBy").isNegative()) {
            throw new IllegalArgumentException("exceededBy must not be negative, but was " + exceededBy);
        }
        Map<String, String> context = new LinkedHashMap<>();
        context.put("operation", operation);
        context.put("exceededByMs", Long.toString(exceededBy.toMillis()));
        return context;
    }

    static String millis(Duration duration) {
        long ms = duration.toMillis();
        if (ms == 0 && !duration.isZero()) {
            return duration.toNanos() / 1000 + "us";
        }
        return ms + "ms";
    }

    /**
     * What ran, or was about to run, past the deadline.
     *
     * @since 0.1
     */
    public String operation() {
        return operation;
    }

    /**
     * By how much the deadline was exceeded, or would have been had the refused attempt started.
     *
     * @since 0.1
     */
    public Duration exceededBy() {
        return exceededBy;
    }
}
