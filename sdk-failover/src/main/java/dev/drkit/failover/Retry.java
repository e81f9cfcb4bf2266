package dev.drkit.failover;

/**
 * Whether {@link FailoverDataSource#inTransaction(Retry, SqlWork)} may run the caller's work again after the
 * connection was lost. drkit never decides that a write is idempotent: the caller says so.
 *
 * @since 0.1
 */
public enum Retry {
    /**
     * Never run the work again: a lost connection fails the call with {@link PrimaryLostException}, whose
     * {@link PrimaryLostException#commitOutcomeUnknown()} says whether the commit may have happened.
     */
    NEVER,
    /**
     * The work may run again (it is read-only, idempotent, or guarded by a unique key): after a lost connection
     * or a failover the whole transaction runs again on the new primary, up to
     * {@link FailoverConfig#maxAttempts()} times in all, within {@link FailoverConfig#primaryWait()} per attempt.
     */
    SAFE_TO_RETRY
}
