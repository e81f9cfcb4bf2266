package dev.drkit.postgres;

import java.util.Objects;

/**
 * One row of a primary's {@code pg_stat_replication}: a standby connected to it. Immutable.
 *
 * @param applicationName the standby's {@code application_name} (a drkit replica's name)
 * @param state           {@code startup}, {@code catchup}, {@code streaming}, {@code backup} or {@code stopping}
 * @param syncState       {@code async}, {@code potential}, {@code sync} or {@code quorum}
 * @since 0.1
 */
public record StandbyStatus(String applicationName, String state, String syncState) {

    /**
     * @throws NullPointerException if a component is null
     */
    public StandbyStatus {
        Objects.requireNonNull(applicationName, "applicationName");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(syncState, "syncState");
    }

    /**
     * Whether the standby is streaming WAL.
     *
     * @since 0.1
     */
    public boolean isStreaming() {
        return "streaming".equals(state);
    }

    /**
     * Whether commits on the primary wait for this standby.
     *
     * @since 0.1
     */
    public boolean isSynchronous() {
        return "sync".equals(syncState) || "quorum".equals(syncState);
    }
}
