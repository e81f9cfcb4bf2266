package dev.drkit.failover;

import dev.drkit.core.drill.StepOutcome;
import dev.drkit.core.drill.Verdict;
import dev.drkit.failover.drill.FailoverDrill;
import dev.drkit.failover.drill.WriteLoad;
import dev.drkit.postgres.ReplicationMode;

import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The drill with its writes marked safe to retry, on real servers: a write sent to a primary that then froze or
 * crashed runs again on the new primary, so none fails and none is lost or counted twice; the same freeze without
 * retry fails the writes that reached the frozen primary.
 */
class SafeRetryDrillTest {

    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @Test
    void freezeFailsTheWritesSentToTheFrozenPrimaryUnlessTheyAreMarkedSafeToRetry() {
        FailoverDrill.Options freeze = FailoverDrill.Options.of(FailoverDrill.Scenario.FREEZE, ReplicationMode.SYNC);

        FailoverDrill.Result never = new FailoverDrill(freeze, QUIET).run();
        FailoverDrill.Result safe = new FailoverDrill(freeze.withRetry(Retry.SAFE_TO_RETRY), QUIET).run();

        // Without retry: every write that borrowed a connection to the primary after the freeze, before the loss
        // was noticed (some 700 ms, ten write intervals), was sent there and fails when its connection is aborted.
        assertThat(never.report().verdict()).as("%s", never.report().toText()).isEqualTo(Verdict.PASS);
        assertThat(never.retry()).isEqualTo(Retry.NEVER);
        assertThat(never.failedAfterBreak()).as("writes sent to the frozen primary that failed").isPositive();
        assertThat(never.retried()).isZero();

        assertThat(safe.report().verdict()).as("%s", safe.report().toText()).isEqualTo(Verdict.PASS);
        assertThat(safe.retry()).isEqualTo(Retry.SAFE_TO_RETRY);
        assertThat(safe.report().name()).contains("writes marked safe to retry");
        assertThat(safe.failed()).as("failed writes, marked safe to retry").isZero();
        assertThat(safe.retried()).as("writes sent to the frozen primary, then run again on the new one")
            .isPositive();
        assertThat(safe.lost()).as("acknowledged writes lost").isZero();
        assertThat(safe.zombieWrites()).isZero();
    }

    @Test
    void crashFailsNoWriteMarkedSafeToRetryAndLosesNone() {
        FailoverDrill.Result safe = new FailoverDrill(FailoverDrill.Options.of(FailoverDrill.Scenario.CRASH,
            ReplicationMode.SYNC).withRetry(Retry.SAFE_TO_RETRY), QUIET).run();

        assertThat(safe.report().verdict()).as("%s", safe.report().toText()).isEqualTo(Verdict.PASS);
        assertThat(safe.retry()).isEqualTo(Retry.SAFE_TO_RETRY);
        assertThat(safe.failed()).as("failed writes, marked safe to retry").isZero();
        assertThat(safe.lost()).as("acknowledged writes lost").isZero();
        assertThat(safe.acknowledged()).isPositive();
    }

    @Test
    void aFailedWriteMarkedSafeToRetryFailsTheDrillWhenTheOutageWasShorterThanTheWait() {
        // One attempt only: the writes sent to the frozen primary are marked safe to retry but cannot be.
        FailoverDrill.Options oneAttempt = FailoverDrill.Options.of(FailoverDrill.Scenario.FREEZE,
                ReplicationMode.SYNC)
            .through("drkit, one attempt", (hosts, credentials) -> FailoverDataSource.create(FailoverConfig.builder()
                .name("drill-one-attempt").endpoints(hosts).credentials(credentials).maxAttempts(1).build()))
            .withRetry(Retry.SAFE_TO_RETRY);

        FailoverDrill.Result result = new FailoverDrill(oneAttempt, QUIET).run();

        assertThat(result.retry()).isEqualTo(Retry.SAFE_TO_RETRY);
        assertThat(result.failed()).as("writes sent to the frozen primary").isPositive();
        assertThat(result.lost()).isZero();
        assertThat(result.report().verdict()).as("%s", result.report().toText()).isEqualTo(Verdict.FAIL);
        assertThat(result.report().steps()).filteredOn(step -> step.outcome() == StepOutcome.FAIL)
            .singleElement().satisfies(step -> {
                assertThat(step.name()).isEqualTo("requests failed and delayed");
                assertThat(step.detail()).contains("0 required");
            });
    }

    @Test
    void aDataSourceWithoutTheHelperIsNotRetried() {
        WriteLoad load = new WriteLoad(new PGSimpleDataSource(), 1, Duration.ofMillis(10), Duration.ofMillis(250),
            Retry.SAFE_TO_RETRY);

        assertThat(load.retry()).isEqualTo(Retry.NEVER);
    }
}
