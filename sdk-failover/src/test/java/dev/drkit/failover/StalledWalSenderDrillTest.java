package dev.drkit.failover;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.drkit.core.drill.Verdict;
import dev.drkit.failover.drill.FailoverDrill;
import dev.drkit.failover.internal.TopologyMonitor;
import dev.drkit.failover.micrometer.FailoverMetrics;
import dev.drkit.postgres.ReplicationMode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The drill of a crash after a stalled WAL sender, on real servers: SIGSTOP of the primary's WAL sender for 2 s
 * while writes go on, then kill -9. Asynchronous replication loses acknowledged writes, and drkit says so (event,
 * metric, WARN); synchronous replication loses none.
 */
class StalledWalSenderDrillTest {

    private final ListAppender<ILoggingEvent> warnings = new ListAppender<>();
    private final Logger monitorLog = (Logger) LoggerFactory.getLogger(TopologyMonitor.class);
    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();

    @BeforeEach
    void captureWarnings() {
        warnings.setContext(monitorLog.getLoggerContext());
        warnings.start();
        monitorLog.addAppender(warnings);
    }

    @AfterEach
    void release() {
        monitorLog.detachAppender(warnings);
    }

    @Test
    void asyncReplicationLosesAcknowledgedWritesAndDrkitReportsIt() {
        AtomicReference<FailoverDataSource> opened = new AtomicReference<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();

        FailoverDrill.Result result = drill(ReplicationMode.ASYNC, opened, registry);

        assertThat(result.report().verdict()).as("%s", result.report().toText()).isEqualTo(Verdict.PASS);
        assertThat(result.lost()).as("acknowledged writes lost").isPositive();
        assertThat(result.dataLossReport()).hasValueSatisfying(detail ->
            assertThat(detail).contains("bytes of WAL did not reach the new primary").contains("acknowledged"));
        assertThat(result.report().steps()).anySatisfy(step -> {
            assertThat(step.name()).isEqualTo("data loss reported by the data source");
            assertThat(step.detail()).startsWith("POSSIBLE_DATA_LOSS: ");
        });
        FailoverStats stats = opened.get().stats();
        assertThat(stats.possibleDataLosses()).isEqualTo(1);
        assertThat(stats.lastUnreplicatedBytes()).isPositive();
        assertThat(registry.get("drkit.failover.possible.data.loss").functionCounter().count()).isEqualTo(1.0);
        assertThat(registry.get("drkit.failover.unreplicated").gauge().value())
            .isEqualTo((double) stats.lastUnreplicatedBytes());
        assertThat(warnings.list).anySatisfy(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getFormattedMessage()).contains("possible data loss");
        });
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("drill: stall the WAL sender");
    }

    @Test
    void syncReplicationLosesNothingThroughTheSameStall() {
        AtomicReference<FailoverDataSource> opened = new AtomicReference<>();

        FailoverDrill.Result result = drill(ReplicationMode.SYNC, opened, new SimpleMeterRegistry());

        assertThat(result.report().verdict()).as("%s", result.report().toText()).isEqualTo(Verdict.PASS);
        assertThat(result.lost()).isZero();
        assertThat(result.acknowledged()).isPositive();
        assertThat(result.dataLossReport()).isEmpty();
        assertThat(opened.get().stats().possibleDataLosses()).isZero();
        assertThat(warnings.list).noneSatisfy(e -> assertThat(e.getFormattedMessage()).contains("possible data loss"));
    }

    @Test
    void aStallGoesWithTheCrashScenarioOnly() {
        assertThatThrownBy(() -> FailoverDrill.Options.of(FailoverDrill.Scenario.FREEZE, ReplicationMode.ASYNC)
            .withStallWalSender(Duration.ofSeconds(2)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("crash scenario");
        assertThatThrownBy(() -> FailoverDrill.Options.of(FailoverDrill.Scenario.CRASH, ReplicationMode.ASYNC)
            .withStallWalSender(Duration.ofMillis(-1)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stallWalSender");
    }

    private FailoverDrill.Result drill(ReplicationMode mode, AtomicReference<FailoverDataSource> opened,
                                      SimpleMeterRegistry registry) {
        FailoverDrill.Options options = FailoverDrill.Options.of(FailoverDrill.Scenario.CRASH, mode)
            .withStallWalSender(Duration.ofSeconds(2))
            .through("drkit", (hosts, credentials) -> {
                FailoverDataSource dataSource = FailoverDataSource.create(FailoverConfig.builder().name("drill")
                    .endpoints(hosts).credentials(credentials).build());
                new FailoverMetrics(dataSource).bindTo(registry);
                opened.set(dataSource);
                return dataSource;
            });
        return new FailoverDrill(options, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
    }
}
