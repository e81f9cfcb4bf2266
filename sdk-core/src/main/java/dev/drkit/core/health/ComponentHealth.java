package dev.drkit.core.health;

import java.util.Objects;

/**
 * The health of one checked component in a {@link HealthReport}: its name, how critical it is, and what its
 * check found. Components of a liveness report are all {@link Criticality#CRITICAL}. Immutable.
 *
 * @since 0.1
 */
public final class ComponentHealth {

    private final String name;
    private final Criticality criticality;
    private final HealthStatus status;
    private final String detail;

    /**
     * @param name        the component, as registered
     * @param criticality how much the service needs it
     * @param status      what its check found
     * @param detail      the check's explanation; never a secret
     * @since 0.1
     */
    public ComponentHealth(String name, Criticality criticality, HealthStatus status, String detail) {
        this.name = Objects.requireNonNull(name, "name");
        this.criticality = Objects.requireNonNull(criticality, "criticality");
        this.status = Objects.requireNonNull(status, "status");
        this.detail = Objects.requireNonNull(detail, "detail");
    }

    /**
     * The component, as registered.
     *
     * @since 0.1
     */
    public String name() {
        return name;
    }

    /**
     * How much the service needs it.
     *
     * @since 0.1
     */
    public Criticality criticality() {
        return criticality;
    }

    /**
     * What its check found.
     *
     * @since 0.1
     */
    public HealthStatus status() {
        return status;
    }

    /**
     * The check's explanation, possibly empty.
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
        if (!(o instanceof ComponentHealth)) {
            return false;
        }
        ComponentHealth that = (ComponentHealth) o;
        return name.equals(that.name) && criticality == that.criticality && status == that.status
            && detail.equals(that.detail);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, criticality, status, detail);
    }

    @Override
    public String toString() {
        return name + " [" + criticality + "]: " + status + (detail.isEmpty() ? "" : " (" + detail + ")");
    }
}
