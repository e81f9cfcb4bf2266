package dev.drkit.failover.drill;

import dev.drkit.core.internal.Checks;
import dev.drkit.failover.FailoverDataSource;
import dev.drkit.failover.Retry;

import org.jspecify.annotations.Nullable;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A steady write load of numbered rows through any {@link DataSource}: each thread takes the next number, inserts
 * it in its own autocommit statement, and remembers it as acknowledged only when the insert returned. Afterwards
 * the rows on the surviving primary tell exactly which acknowledged writes were lost. By default nothing is
 * retried: a failed write is counted, with the time it started, and the thread goes on with the next number; so a
 * drill can tell the writes in flight when the primary broke from the ones that started later.
 *
 * <p>With {@link Retry#SAFE_TO_RETRY} and a {@link FailoverDataSource}, each row is written through
 * {@link FailoverDataSource#inTransaction(Retry, dev.drkit.failover.SqlWork)} marked safe to retry, with an
 * idempotent insert ({@code ON CONFLICT (id) DO NOTHING}): a write whose connection was lost runs again on the new
 * primary, and if its first attempt did commit, the second leaves the row as it is. A number is acknowledged once,
 * whichever attempt succeeded, so the lost count stays exact. Through any other data source the writes are not
 * retried ({@link #retry()} says which ran).
 *
 * <p>Thread-safe: {@link #start()} and {@link #stop()} from one thread, readings from any.
 *
 * @since 0.1
 */
public final class WriteLoad implements AutoCloseable {

    /** The table the load writes to. */
    public static final String TABLE = "drkit_failover_load";
    /** Creates {@link #TABLE}. */
    public static final String CREATE = "CREATE TABLE IF NOT EXISTS " + TABLE
        + " (id bigint PRIMARY KEY, port int NOT NULL DEFAULT inet_server_port(),"
        + " written_at timestamptz NOT NULL DEFAULT clock_timestamp())";

    private static final String INSERT = "INSERT INTO " + TABLE + " (id) VALUES (?)";
    /** Run again after a lost connection whose first attempt committed, it leaves the row as it is. */
    private static final String IDEMPOTENT_INSERT = INSERT + " ON CONFLICT (id) DO NOTHING";
    /** Which server acknowledges: its port, so an acknowledgement by an old primary is told from the new one's. */
    private static final String RETURNING_PORT = " RETURNING inet_server_port()";

    private final DataSource dataSource;
    private final int threads;
    private final Duration interval;
    private final Duration delayedAfter;
    private final @Nullable FailoverDataSource retrying;
    private final AtomicLong next = new AtomicLong();
    private final BitSet acknowledged = new BitSet();
    private final LongAdder failed = new LongAdder();
    private final LongAdder delayed = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final AtomicLong firstAckAfter = new AtomicLong(Long.MIN_VALUE);
    private final List<Thread> workers = new ArrayList<>();
    private final List<Long> ackNanos = new ArrayList<>();
    /** The port of the server that acknowledged each write, in the order of {@link #ackNanos}. */
    private final List<Integer> ackPorts = new ArrayList<>();
    private final List<Long> failedStartNanos = new ArrayList<>();
    /** When each numbered write began ({@link System#nanoTime()}), by number; 0 for numbers not begun. */
    private long[] startNanos = new long[1024];
    private volatile boolean running;

    /**
     * @param dataSource   where to write
     * @param threads      writers, each pacing itself to one write per {@code interval}
     * @param interval     time between one thread's writes
     * @param delayedAfter a successful write that took longer than this counts as delayed
     */
    public WriteLoad(DataSource dataSource, int threads, Duration interval, Duration delayedAfter) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.threads = Checks.inRange(threads, 1, 64, "threads");
        this.interval = Checks.positive(interval, "interval");
        this.delayedAfter = Checks.positive(delayedAfter, "delayedAfter");
        this.retrying = null;
    }

    /**
     * @param dataSource   where to write
     * @param threads      writers, each pacing itself to one write per {@code interval}
     * @param interval     time between one thread's writes
     * @param delayedAfter a successful write that took longer than this counts as delayed
     * @param retry        {@link Retry#SAFE_TO_RETRY} to write each row in a transaction marked safe to retry,
     *                     when {@code dataSource} is a {@link FailoverDataSource}
     */
    public WriteLoad(DataSource dataSource, int threads, Duration interval, Duration delayedAfter, Retry retry) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.threads = Checks.inRange(threads, 1, 64, "threads");
        this.interval = Checks.positive(interval, "interval");
        this.delayedAfter = Checks.positive(delayedAfter, "delayedAfter");
        this.retrying = Objects.requireNonNull(retry, "retry") == Retry.SAFE_TO_RETRY
            && dataSource instanceof FailoverDataSource ? (FailoverDataSource) dataSource : null;
    }

    /**
     * How the writes run: {@link Retry#SAFE_TO_RETRY} when asked for and the data source is a
     * {@link FailoverDataSource}, else {@link Retry#NEVER}.
     */
    public Retry retry() {
        return retrying == null ? Retry.NEVER : Retry.SAFE_TO_RETRY;
    }

    /** Starts the writers. */
    public void start() {
        running = true;
        for (int i = 0; i < threads; i++) {
            Thread worker = new Thread(this::run, "drkit-write-load-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
    }

    private void run() {
        long pace = interval.toNanos();
        long due = System.nanoTime();
        while (running) {
            long id = next.incrementAndGet();
            long began = System.nanoTime();
            synchronized (acknowledged) {
                if (id >= startNanos.length) {
                    startNanos = Arrays.copyOf(startNanos, Math.max(startNanos.length * 2,
                        Math.toIntExact(id) + 1));
                }
                startNanos[Math.toIntExact(id)] = began;
            }
            try {
                int port = write(id);
                long done = System.nanoTime();
                synchronized (acknowledged) {
                    acknowledged.set(Math.toIntExact(id));
                    ackNanos.add(done);
                    ackPorts.add(port);
                }
                if (done - began > delayedAfter.toNanos()) {
                    delayed.increment();
                }
            } catch (SQLException | RuntimeException e) {
                synchronized (acknowledged) {
                    failedStartNanos.add(began);
                }
                failed.increment();
            }
            due += pace;
            long sleep = due - System.nanoTime();
            if (sleep > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                } catch (InterruptedException e) {
                    return;
                }
            } else {
                due = System.nanoTime();
            }
        }
    }

    /** Writes row {@code id}; returns the port of the server that acknowledged it. */
    private int write(long id) throws SQLException {
        FailoverDataSource safe = retrying;
        if (safe != null) {
            int[] attempts = new int[1];
            int port = safe.inTransaction(Retry.SAFE_TO_RETRY, connection -> {
                attempts[0]++;
                try (PreparedStatement insert = connection.prepareStatement(IDEMPOTENT_INSERT + RETURNING_PORT)) {
                    insert.setLong(1, id);
                    try (ResultSet inserted = insert.executeQuery()) {
                        if (inserted.next()) {
                            return inserted.getInt(1);
                        }
                    }
                }
                // an earlier attempt had committed the row: nothing returned, so ask the server that has it now
                try (Statement query = connection.createStatement();
                     ResultSet server = query.executeQuery("SELECT inet_server_port()")) {
                    server.next();
                    return server.getInt(1);
                }
            });
            if (attempts[0] > 1) {
                retried.increment();
            }
            return port;
        }
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(INSERT + RETURNING_PORT)) {
            insert.setLong(1, id);
            try (ResultSet inserted = insert.executeQuery()) {
                inserted.next();
                return inserted.getInt(1);
            }
        }
    }

    /** Stops the writers and waits for writes in flight (up to 30 s). */
    public void stop() throws InterruptedException {
        stop(Duration.ofSeconds(30));
    }

    /**
     * Stops the writers and waits up to {@code grace} for writes in flight; then interrupts the writers still
     * waiting (for a connection from a pool that has none to give, say), so each of those writes fails and is
     * counted, and waits up to 5 s more. A writer blocked on a socket read does not notice an interrupt: it stays
     * behind, and its write is neither acknowledged nor counted as failed.
     */
    public void stop(Duration grace) throws InterruptedException {
        running = false;
        long deadline = System.nanoTime() + grace.toNanos();
        for (Thread worker : workers) {
            long wait = deadline - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.timedJoin(worker, wait);
            }
        }
        for (Thread worker : workers) {
            worker.interrupt();
        }
        // A writer that already ended returns from join at once.
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(5));
        }
    }

    /** Writes acknowledged so far. */
    public long acknowledged() {
        synchronized (acknowledged) {
            return acknowledged.cardinality();
        }
    }

    /** Writes that failed so far. */
    public long failed() {
        return failed.sum();
    }

    /**
     * Failed writes that started (asked for their connection) in {@code [from, to)}, both {@link System#nanoTime()}.
     */
    public long failedStartedBetween(long from, long to) {
        synchronized (acknowledged) {
            return failedStartNanos.stream().mapToLong(Long::longValue).filter(t -> t - from >= 0 && t - to < 0)
                .count();
        }
    }

    /**
     * Acknowledged writes that took more than one attempt (their connection was lost and they were run again on
     * the new primary); always 0 unless {@link #retry()} is {@link Retry#SAFE_TO_RETRY}.
     */
    public long retried() {
        return retried.sum();
    }

    /** Writes that succeeded but took longer than the delay bound. */
    public long delayed() {
        return delayed.sum();
    }

    /** The first acknowledgement at or after {@code nanos} ({@link System#nanoTime()}), if any. */
    public OptionalLong firstAckAtOrAfter(long nanos) {
        synchronized (acknowledged) {
            return ackNanos.stream().mapToLong(Long::longValue).filter(t -> t - nanos >= 0).min();
        }
    }

    /**
     * The first acknowledgement at or after {@code nanos} by the server listening on {@code port}, if any: after
     * a promotion, the new primary's, not an old primary's that a data source kept writing to.
     */
    public OptionalLong firstAckAtOrAfter(long nanos, int port) {
        synchronized (acknowledged) {
            long first = Long.MAX_VALUE;
            boolean found = false;
            for (int i = 0; i < ackNanos.size(); i++) {
                long t = ackNanos.get(i);
                if (t - nanos >= 0 && ackPorts.get(i) == port && (!found || t - first < 0)) {
                    first = t;
                    found = true;
                }
            }
            return found ? OptionalLong.of(first) : OptionalLong.empty();
        }
    }

    /** Acknowledgements at or after {@code nanos} by a server other than the one on {@code port}. */
    public long acksAtOrAfterNotBy(long nanos, int port) {
        synchronized (acknowledged) {
            long count = 0;
            for (int i = 0; i < ackNanos.size(); i++) {
                if (ackNanos.get(i) - nanos >= 0 && ackPorts.get(i) != port) {
                    count++;
                }
            }
            return count;
        }
    }

    /**
     * When the write numbered {@code id} began ({@link System#nanoTime()}: before it asked for a connection), if it
     * did.
     */
    public OptionalLong startedAt(long id) {
        synchronized (acknowledged) {
            if (id <= 0 || id >= startNanos.length || startNanos[(int) id] == 0) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(startNanos[(int) id]);
        }
    }

    /** Acknowledged numbers missing from the table as {@code dataSource} sees it (read from the table). */
    public List<Long> lostOn(Connection survivor) throws SQLException {
        BitSet present = new BitSet();
        try (Statement query = survivor.createStatement();
             ResultSet rows = query.executeQuery("SELECT id FROM " + TABLE)) {
            while (rows.next()) {
                present.set(Math.toIntExact(rows.getLong(1)));
            }
        }
        List<Long> lost = new ArrayList<>();
        synchronized (acknowledged) {
            for (int id = acknowledged.nextSetBit(0); id >= 0; id = acknowledged.nextSetBit(id + 1)) {
                if (!present.get(id)) {
                    lost.add((long) id);
                }
            }
        }
        return lost;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
