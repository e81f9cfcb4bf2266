package dev.drkit.core.health;

/**
 * How well something works, from best to worst.
 *
 * @since 0.1
 */
public enum HealthStatus {

    /** Works as it should. */
    UP,

    /** Works, but not fully: slower, with less redundancy, or without an optional feature. */
    DEGRADED,

    /** Does not work. */
    DOWN
}
