package dev.drkit.failover;

import dev.drkit.postgres.ReplicationMode;
import dev.drkit.postgres.StopMode;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.drkit.failover.FailoverTest.awaitRole;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * What the monitor's thread and a waiting caller must survive: a listener that throws an Error, a caller
 * interrupted while the primary's pool is exhausted.
 */
class ListenerFailureTest {

    @Test
    void aListenerThrowingAnErrorLeavesTheMonitorWatching() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC)) {
            AtomicInteger calls = new AtomicInteger();
            try (FailoverDataSource dataSource = FailoverDataSource.create(servers.config().build(), event -> {
                calls.incrementAndGet();
                throw new AssertionError("a listener's own bug on " + event.type());
            })) {
                assertThat(dataSource.awaitPrimary(Duration.ofSeconds(20))).isTrue();
                assertThat(calls.get()).as("the listener heard the election, and threw").isPositive();

                servers.replica.stop(StopMode.FAST);

                // noticed only by a monitor still running after the Error
                awaitRole(dataSource, servers.replicaEndpoint(), HostRole.UNREACHABLE, Duration.ofSeconds(15));
                assertThat(calls.get()).isGreaterThan(1);
            }
        }
    }

    @Test
    void noConnectionIsHandedOutOnceCloseHasBegunThoughTheMonitorIsSlowToStop() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC)) {
            AtomicBoolean hold = new AtomicBoolean();
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            FailoverDataSource dataSource = FailoverDataSource.create(servers.config().build(), event -> {
                if (hold.get()) {
                    held.countDown();
                    awaitIgnoringInterrupts(release);   // a slow listener: close() waits for the monitor's thread
                }
            });
            Thread closer = new Thread(dataSource::close);
            try {
                assertThat(dataSource.awaitPrimary(Duration.ofSeconds(20))).isTrue();
                try (Connection c = dataSource.getConnection()) {
                    assertThat(c.isValid(2)).isTrue();
                }
                hold.set(true);
                servers.replica.stop(StopMode.FAST);
                assertThat(held.await(20, TimeUnit.SECONDS)).as("the monitor reports the replica's loss").isTrue();

                closer.start();
                while (closer.getState() != Thread.State.TIMED_WAITING && closer.isAlive()) {
                    Thread.onSpinWait();   // until close() waits for the monitor's thread to end
                }

                assertThat(catchThrowable(dataSource::getConnection)).isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("08003");
                assertThat(catchThrowable(() -> dataSource.readOnly().getConnection()))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("08003");
            } finally {
                release.countDown();
                if (closer.getState() == Thread.State.NEW) {
                    dataSource.close();
                }
                closer.join(TimeUnit.SECONDS.toMillis(20));
            }
        }
    }

    private static void awaitIgnoringInterrupts(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aCallerInterruptedWhileThePoolIsExhaustedFailsSayingSoInsteadOfSpinning() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.ASYNC);
             FailoverDataSource dataSource = servers.dataSource(b -> b.maximumPoolSize(1)
                 .primaryWait(Duration.ofSeconds(30)));
             Connection held = dataSource.getConnection()) {
            assertThat(held.isValid(2)).isTrue();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                Thread.currentThread().interrupt();
                try (Connection ignored = dataSource.getConnection()) {
                    failure.set(new AssertionError("got a connection from an exhausted pool"));
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            caller.start();
            // well within the 30 s primaryWait, which the old code spun through
            caller.join(Duration.ofSeconds(20).toMillis());

            assertThat(caller.isAlive()).as("still waiting").isFalse();
            assertThat(failure.get()).isInstanceOf(FailoverSQLException.class)
                .hasMessageContaining("interrupted while waiting for a connection to the primary");
        }
    }
}
