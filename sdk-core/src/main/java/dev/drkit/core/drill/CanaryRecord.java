package dev.drkit.core.drill;

import java.time.Instant;
import java.util.Objects;

/**
 * One canary write as a {@link CanaryStore} holds it: its sequence number (1, 2, 3, ... in the order of
 * writing) and when it was written, by the drill's wall clock. Immutable and thread-safe.
 *
 * @param sequence  the write's number, from 1
 * @param writtenAt when the write was started
 * @since 0.1
 */
public record CanaryRecord(long sequence, Instant writtenAt) {

    /**
     * @throws IllegalArgumentException if {@code sequence} is less than 1
     * @since 0.1
     */
    public CanaryRecord {
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be positive, but was " + sequence);
        }
        Objects.requireNonNull(writtenAt, "writtenAt");
    }
}
