package dev.drkit.core.resilience;

import dev.drkit.core.DrkitException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A call failed and would have been retried, but its {@link RetryBudget} had no retry left: too large a
 * share of recent calls were retries already, so retrying would have added load to a dependency that is
 * probably struggling. The last failure is the cause.
 *
 * <p>{@link Kind#TIMEOUT} ("an operation ran out of time or budget", exit code 3), not
 * {@link Kind#ENVIRONMENT}: the budget is a limit drkit sets on itself, and the dependency's own failure is
 * in the cause. Callers that want the dependency's failure should look there.
 *
 * <p>The message names the dependency and the counts; so do the accessors and {@link #context()}
 * ({@code name}, {@code attempts}, {@code callsInWindow}, {@code retriesInWindow}).
 *
 * @since 0.1
 */
public class RetryBudgetExhaustedException extends DrkitException {

    private static final long serialVersionUID = 1L;

    private final String name;
    private final int attempts;
    private final long callsInWindow;
    private final long retriesInWindow;

    /**
     * @param name     the dependency, as named in its {@link ResiliencePolicies}; never a secret
     * @param attempts attempts made before the retry was refused (at least 1)
     * @param budget   the budget's counts when the retry was refused
     * @param cause    the failure that would have been retried
     * @since 0.1
     */
    public RetryBudgetExhaustedException(String name, int attempts, RetryBudget.Snapshot budget, Throwable cause) {
        super("Retry '" + name + "' refused after " + attempts + " attempt" + (attempts == 1 ? "" : "s")
                + ": retry budget exhausted (" + budget.retriesInWindow() + " retries for " + budget.callsInWindow()
                + " calls in the window); last failure " + Objects.requireNonNull(cause, "cause").getClass().getName(),
            Kind.TIMEOUT, context(name, attempts, budget), cause);
        this.name = name;
        this.attempts = attempts;
        this.callsInWindow = budget.callsInWindow();
        this.retriesInWindow = budget.retriesInWindow();
    }

    private static Map<String, String> context(String name, int attempts, RetryBudget.Snapshot budget) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("name", Objects.requireNonNull(name, "name"));
        context.put("attempts", Integer.toString(attempts));
        context.put("callsInWindow", Long.toString(budget.callsInWindow()));
        context.put("retriesInWindow", Long.toString(budget.retriesInWindow()));
        return context;
    }

    /**
     * The dependency whose retry was refused.
     *
     * @since 0.1
     */
    public String name() {
        return name;
    }

    /**
     * Attempts made before the retry was refused.
     *
     * @since 0.1
     */
    public int attempts() {
        return attempts;
    }

    /**
     * Calls counted by the budget's window when the retry was refused.
     *
     * @since 0.1
     */
    public long callsInWindow() {
        return callsInWindow;
    }

    /**
     * Retries counted by the budget's window when the retry was refused.
     *
     * @since 0.1
     */
    public long retriesInWindow() {
        return retriesInWindow;
    }
}
