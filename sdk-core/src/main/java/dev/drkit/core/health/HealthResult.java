package dev.drkit.core.health;

import java.util.Objects;

/**
 * What one {@link HealthCheck} found: a {@link HealthStatus} and a short detail for operators, such as
 * {@code "circuit breaker OPEN"} or {@code "replication lag 12s"}. The detail appears in reports, logs and
 * JSON served to anyone who can reach the health endpoint: it must never hold a secret, a connection string
 * or data. Immutable.
 *
 * @since 0.1
 */
public final class HealthResult {

    private static final HealthResult UP = new HealthResult(HealthStatus.UP, "");

    private final HealthStatus status;
    private final String detail;

    private HealthResult(HealthStatus status, String detail) {
        this.status = status;
        this.detail = detail;
    }

    /**
     * A result with the given status and detail.
     *
     * @param detail a short, non-secret explanation; may be empty
     * @since 0.1
     */
    public static HealthResult of(HealthStatus status, String detail) {
        return new HealthResult(Objects.requireNonNull(status, "status"), Objects.requireNonNull(detail, "detail"));
    }

    /**
     * UP, with no detail.
     *
     * @since 0.1
     */
    public static HealthResult up() {
        return UP;
    }

    /**
     * UP, with a detail.
     *
     * @since 0.1
     */
    public static HealthResult up(String detail) {
        return of(HealthStatus.UP, detail);
    }

    /**
     * DEGRADED, with what is wrong.
     *
     * @since 0.1
     */
    public static HealthResult degraded(String detail) {
        return of(HealthStatus.DEGRADED, detail);
    }

    /**
     * DOWN, with what is wrong.
     *
     * @since 0.1
     */
    public static HealthResult down(String detail) {
        return of(HealthStatus.DOWN, detail);
    }

    /**
     * The status found.
     *
     * @since 0.1
     */
    public HealthStatus status() {
        return status;
    }

    /**
     * The explanation, possibly empty; never a secret.
     *
     * @since 0.1
     */
    public String detail() {
        return detail;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof HealthResult)) {
            return false;
        }
        HealthResult that = (HealthResult) o;
        return status == that.status && detail.equals(that.detail);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, detail);
    }

    @Override
    public String toString() {
        return detail.isEmpty() ? status.name() : status + " (" + detail + ")";
    }
}
