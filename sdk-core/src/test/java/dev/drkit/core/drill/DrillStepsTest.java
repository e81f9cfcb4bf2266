package dev.drkit.core.drill;

import dev.drkit.core.EnvironmentException;
import dev.drkit.core.time.ManualTicker;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DrillStepsTest {

    private final ManualTicker ticker = new ManualTicker();
    private final RecoveryTimeline timeline =
        RecoveryTimeline.start(ticker, Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC));
    private final DrillSteps steps = new DrillSteps(timeline);

    @Test
    void recordsEachStepsStartDurationAndDetail() throws Exception {
        ticker.advance(Duration.ofMillis(100));
        int port = steps.run("start primary", () -> {
            ticker.advance(Duration.ofMillis(900));
            return 5433;
        }, p -> "port " + p);
        steps.run("promote", () -> {
            ticker.advance(Duration.ofMillis(250));
            return "timeline 2";
        });

        assertThat(port).isEqualTo(5433);
        assertThat(steps.steps()).containsExactly(
            DrillStep.of("start primary", Duration.ofMillis(100), Duration.ofMillis(900), StepOutcome.PASS, "port 5433"),
            DrillStep.of("promote", Duration.ofMillis(1000), Duration.ofMillis(250), StepOutcome.PASS, "timeline 2"));
        assertThat(steps.anyFailed()).isFalse();
    }

    @Test
    void aFailingStepIsRecordedWithTheDrkitMessageAndRethrown() {
        EnvironmentException refused = new EnvironmentException("host 127.0.0.1:5433 refused the connection", null);

        assertThatThrownBy(() -> steps.run("connect", () -> {
            ticker.advance(Duration.ofMillis(30));
            throw refused;
        })).isSameAs(refused);

        assertThat(steps.steps()).singleElement().satisfies(step -> {
            assertThat(step.outcome()).isEqualTo(StepOutcome.FAIL);
            assertThat(step.duration()).isEqualTo(Duration.ofMillis(30));
            assertThat(step.detail()).isEqualTo("host 127.0.0.1:5433 refused the connection");
        });
        assertThat(steps.anyFailed()).isTrue();
    }

    @Test
    void aForeignFailureShowsOnlyItsTypeBecauseItsMessageMayCarryAnything() {
        assertThatThrownBy(() -> steps.run("login", () -> {
            throw new IllegalStateException("token=s.abcdef rejected");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(steps.steps().get(0).detail()).isEqualTo("java.lang.IllegalStateException");
    }

    @Test
    void anAssertionFailingInAStepFailsTheStepAndIsRethrown() {
        AssertionError failed = new AssertionError("expected 5 rows but was 4");

        assertThatThrownBy(() -> steps.run("check rows", () -> {
            throw failed;
        })).isSameAs(failed);

        assertThat(steps.steps()).singleElement().satisfies(step -> {
            assertThat(step.name()).isEqualTo("check rows");
            assertThat(step.outcome()).isEqualTo(StepOutcome.FAIL);
            assertThat(step.detail()).isEqualTo("java.lang.AssertionError");
        });
    }

    @Test
    void aForeignSqlFailureShowsItsTypeAndSqlStateButNotItsMessage() {
        assertThatThrownBy(() -> steps.run("connect", () -> {
            throw new IllegalStateException("pool failed",
                new java.sql.SQLException("password authentication failed for user admin/hunter2", "28P01"));
        })).isInstanceOf(IllegalStateException.class);

        assertThat(steps.steps().get(0).detail()).isEqualTo("java.lang.IllegalStateException (SQLState 28P01)");
    }

    @Test
    void checksAndSkipsAreRecordedInOrder() {
        steps.check("replica has every row", false, "40 of 41 rows");
        steps.skip("promote", "an earlier step failed");

        assertThat(steps.steps()).extracting(DrillStep::outcome).containsExactly(StepOutcome.FAIL, StepOutcome.SKIP);
        assertThat(steps.anyFailed()).isTrue();
    }
}
