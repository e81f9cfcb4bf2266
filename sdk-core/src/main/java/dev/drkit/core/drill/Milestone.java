package dev.drkit.core.drill;

/**
 * The well-known moments of a recovery, in the order they normally happen. A {@link RecoveryTimeline}
 * records each at most once.
 *
 * <p>Immutable and thread-safe, as enums are.
 *
 * @since 0.1
 */
public enum Milestone {

    /** The failure was caused or began (the primary was stopped, the network cut). RTO and RPO count from here. */
    DISRUPTION("disruption"),

    /** Monitoring noticed the failure. */
    DETECTION("detection"),

    /** The recovery action was taken: a replica promoted, a restore started, traffic moved. */
    ACTION("action"),

    /** The end of the first of the consecutive passing probes that proved recovery; minus the disruption, the RTO. */
    FIRST_SUCCESS("first-success"),

    /** Recovery was confirmed by enough consecutive passing probes. */
    VERIFIED_RECOVERY("verified-recovery");

    private final String markName;

    Milestone(String markName) {
        this.markName = markName;
    }

    /**
     * The name of this milestone's mark in a timeline, such as {@code first-success}.
     *
     * @since 0.1
     */
    public String markName() {
        return markName;
    }
}
