package dev.drkit.core.health;

/**
 * How much a service needs one of its dependencies to serve traffic; decides how the dependency's health
 * counts towards the service's readiness (see {@link HealthMonitor}).
 *
 * @since 0.1
 */
public enum Criticality {

    /** The service cannot serve without it: DOWN makes the service not ready, DEGRADED degrades it. */
    CRITICAL,

    /** The service can serve without it, degraded: DOWN or DEGRADED makes the service DEGRADED, still ready. */
    DEGRADED_OK,

    /** Nice to have: reported, but never changes the service's status. */
    OPTIONAL
}
