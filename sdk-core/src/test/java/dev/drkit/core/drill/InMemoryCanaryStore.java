package dev.drkit.core.drill;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * A {@link CanaryStore} in memory, for tests: it can be taken down (writes throw), lose its newest records
 * the way an asynchronous replica that is promoted loses them, and commit a write while reporting a failure.
 */
final class InMemoryCanaryStore implements CanaryStore {

    private final Map<Long, CanaryRecord> records = new TreeMap<>();
    private boolean down;
    private boolean commitButFail;
    private int readFailures;
    private CountDownLatch writes = new CountDownLatch(0);

    @Override
    public synchronized void write(long sequence, Instant writtenAt) throws IOException {
        writes.countDown();
        if (down) {
            throw new IOException("Connection refused");
        }
        records.put(sequence, new CanaryRecord(sequence, writtenAt));
        if (commitButFail) {
            throw new IOException("connection reset after commit");
        }
    }

    @Override
    public synchronized Collection<CanaryRecord> readAll() throws IOException {
        if (readFailures > 0) {
            readFailures--;
            throw new IOException("still recovering");
        }
        return new ArrayList<>(records.values());
    }

    synchronized InMemoryCanaryStore down(boolean down) {
        this.down = down;
        return this;
    }

    synchronized InMemoryCanaryStore commitButFail(boolean commitButFail) {
        this.commitButFail = commitButFail;
        return this;
    }

    synchronized InMemoryCanaryStore failReads(int times) {
        this.readFailures = times;
        return this;
    }

    /** Forgets every record after {@code sequence}, as a promoted replica that lagged behind would. */
    synchronized InMemoryCanaryStore loseAfter(long sequence) {
        records.keySet().removeIf(s -> s > sequence);
        return this;
    }

    synchronized InMemoryCanaryStore lose(long... sequences) {
        for (long s : sequences) {
            records.remove(s);
        }
        return this;
    }

    synchronized InMemoryCanaryStore add(CanaryRecord record) {
        records.put(record.sequence(), record);
        return this;
    }

    synchronized List<Long> sequences() {
        return new ArrayList<>(records.keySet());
    }

    /** A latch counted down by each of the next {@code count} writes. */
    synchronized CountDownLatch expectWrites(int count) {
        writes = new CountDownLatch(count);
        return writes;
    }
}
