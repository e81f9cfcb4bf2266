package dev.drkit.core.drill;

import java.time.Instant;
import java.util.Collection;

/**
 * Where a {@link CanaryWriter} writes its numbered records: a table in the database under test, an object in
 * the bucket being replicated. The drill measures what of it survives a disruption, so writes must go
 * through the same path as the application's own data and be durable when {@link #write} returns.
 *
 * <pre>{@code
 * CanaryStore table = new CanaryStore() {
 *     public void write(long sequence, Instant writtenAt) throws SQLException {
 *         try (Connection c = pool.getConnection();
 *              PreparedStatement s = c.prepareStatement("INSERT INTO drill_canary (seq, written_at) VALUES (?, ?)")) {
 *             s.setLong(1, sequence);
 *             s.setTimestamp(2, Timestamp.from(writtenAt));
 *             s.executeUpdate();   // auto-commit: returns once committed
 *         }
 *     }
 *     public Collection<CanaryRecord> readAll() throws SQLException { ... SELECT seq, written_at ... }
 * };
 * }</pre>
 *
 * <p>{@link #write} is called from one thread at a time; {@link #readAll} after writing has stopped.
 *
 * @since 0.1
 */
public interface CanaryStore {

    /**
     * Writes one record durably. Returning normally is the acknowledgement: a record acknowledged and later
     * missing is counted as lost.
     *
     * @throws Exception if the write failed or its outcome is unknown; the record is not counted as acknowledged
     * @since 0.1
     */
    void write(long sequence, Instant writtenAt) throws Exception;

    /**
     * Every record the store holds now, read from wherever the application reads after recovery (the promoted
     * replica, the restored database), in any order.
     *
     * @throws Exception if they cannot be read
     * @since 0.1
     */
    Collection<CanaryRecord> readAll() throws Exception;
}
