package dev.drkit.failover;

import dev.drkit.postgres.ReplicationMode;
import dev.drkit.postgres.StopMode;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.drkit.failover.FailoverTest.awaitRole;
import static org.assertj.core.api.Assertions.assertThat;

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
