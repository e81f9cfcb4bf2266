package dev.drkit.failover;

import dev.drkit.failover.micrometer.FailoverMetrics;
import dev.drkit.postgres.ReplicationMode;
import dev.drkit.postgres.StopMode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Work not marked safe to retry, on real servers whose primary crashes while it runs: it runs once, fails with
 * {@link PrimaryLostException} saying whether the commit may have happened, and is not run on the new primary.
 */
class NeverRetriedTest {

    @Test
    void workWhosePrimaryCrashesBeforeCommitRunsOnceAndFailsSayingItWasRolledBack() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.SYNC)) {
            FailoverDataSource dataSource = servers.dataSource();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new FailoverMetrics(dataSource).bindTo(registry);
            servers.primary.execute("CREATE TABLE orders (id int)");
            AtomicInteger runs = new AtomicInteger();

            Throwable thrown = catchThrowable(() -> dataSource.inTransaction(Retry.NEVER, c -> {
                runs.incrementAndGet();
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO orders VALUES (1)");
                    servers.primary.stop(StopMode.IMMEDIATE);
                    return s.executeUpdate("INSERT INTO orders VALUES (2)");
                }
            }));

            assertThat(thrown).isInstanceOf(PrimaryLostException.class);
            PrimaryLostException lost = (PrimaryLostException) thrown;
            assertThat(lost.commitOutcomeUnknown()).isFalse();
            assertThat(lost.attempts()).isEqualTo(1);
            assertThat(lost.host()).isEqualTo(servers.primaryEndpoint().id());
            assertThat(lost.getSQLState()).isEqualTo(PrimaryLostException.SQL_STATE);
            assertThat(lost.getMessage()).contains("lost before COMMIT: the transaction was rolled back");
            assertThat(dataSource.stats().requestsFailed()).isEqualTo(1);
            assertThat(registry.get("drkit.failover.requests").tag("outcome", "failed").functionCounter().count())
                .isEqualTo(1.0);

            servers.replica.promote();
            FailoverTest.awaitPrimary(dataSource, servers.replicaEndpoint(), Duration.ofSeconds(15));
            assertThat(runs).as("times the work ran, a new primary being there").hasValue(1);
            assertThat(servers.replica.queryLong("SELECT count(*) FROM orders")).isZero();
        }
    }

    @Test
    void workWhoseConnectionBreaksAtCommitFailsSayingTheOutcomeIsUnknown() throws Exception {
        try (Servers servers = Servers.start(ReplicationMode.SYNC)) {
            FailoverDataSource dataSource = servers.dataSource();
            servers.primary.execute("CREATE TABLE orders (id int)");
            AtomicInteger runs = new AtomicInteger();

            Throwable thrown = catchThrowable(() -> dataSource.inTransaction(c -> {
                runs.incrementAndGet();
                try (Statement s = c.createStatement()) {
                    int inserted = s.executeUpdate("INSERT INTO orders VALUES (1)");
                    // the work is done; the COMMIT that follows finds the connection gone
                    servers.primary.stop(StopMode.IMMEDIATE);
                    return inserted;
                }
            }));

            assertThat(thrown).isInstanceOf(PrimaryLostException.class);
            PrimaryLostException lost = (PrimaryLostException) thrown;
            assertThat(lost.commitOutcomeUnknown()).isTrue();
            assertThat(lost.attempts()).isEqualTo(1);
            assertThat(lost.getMessage()).contains("lost during COMMIT: the transaction may or may not have committed");
            assertThat(runs).hasValue(1);
        }
    }
}
