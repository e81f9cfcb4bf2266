package dev.drkit.core.health;

import dev.drkit.core.testing.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class HealthMonitorTest {

    private static final HealthCheck LIVE = HealthResult::up;

    private final CircuitBreaker orders = CircuitBreaker.ofDefaults("orders-db");
    private final CircuitBreaker payments = CircuitBreaker.ofDefaults("payments");

    private HealthMonitor monitor() {
        return HealthMonitor.builder()
            .liveness("event-loop", LIVE)
            .dependency("orders-db", Criticality.CRITICAL, HealthCheck.circuitBreaker(orders))
            .dependency("payments", Criticality.DEGRADED_OK, HealthCheck.circuitBreaker(payments))
            .executor(Runnable::run)
            .build();
    }

    @Test
    void isReadyAndLiveWhenEveryBreakerIsClosed() {
        HealthMonitor health = monitor();

        assertThat(health.readiness().status()).isEqualTo(HealthStatus.UP);
        assertThat(health.liveness().status()).isEqualTo(HealthStatus.UP);
    }

    @Test
    void anOpenBreakerOnADegradedOkDependencyLeavesTheServiceReadyButDegraded() {
        HealthMonitor health = monitor();

        payments.transitionToOpenState();
        HealthReport readiness = health.readiness();

        assertThat(readiness.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(readiness.passing()).isTrue();
        assertThat(readiness.component("payments")).hasValueSatisfying(c -> {
            assertThat(c.status()).isEqualTo(HealthStatus.DOWN);
            assertThat(c.detail()).isEqualTo("circuit breaker OPEN");
        });
        assertThat(health.liveness().status()).isEqualTo(HealthStatus.UP);
    }

    @Test
    void anOpenBreakerOnACriticalDependencyMakesTheServiceNotReadyButLeavesItLive() {
        HealthMonitor health = monitor();

        orders.transitionToOpenState();
        HealthReport readiness = health.readiness();

        assertThat(readiness.status()).isEqualTo(HealthStatus.DOWN);
        assertThat(readiness.passing()).isFalse();
        HealthReport liveness = health.liveness();
        assertThat(liveness.status()).isEqualTo(HealthStatus.UP);
        assertThat(liveness.passing()).isTrue();
        assertThat(liveness.components()).extracting(ComponentHealth::name).containsExactly("event-loop");
    }

    @Test
    void aHalfOpenBreakerOnACriticalDependencyDegradesTheService() {
        HealthMonitor health = monitor();

        orders.transitionToOpenState();
        orders.transitionToHalfOpenState();

        assertThat(health.readiness().status()).isEqualTo(HealthStatus.DEGRADED);
    }

    @Test
    void anOptionalDependencyIsReportedButNeverChangesTheStatus() {
        CircuitBreaker recommendations = CircuitBreaker.ofDefaults("recommendations");
        HealthMonitor health = HealthMonitor.builder()
            .dependency("orders-db", Criticality.CRITICAL, HealthCheck.circuitBreaker(orders))
            .dependency("recommendations", Criticality.OPTIONAL, HealthCheck.circuitBreaker(recommendations))
            .executor(Runnable::run)
            .build();

        recommendations.transitionToForcedOpenState();
        HealthReport readiness = health.readiness();

        assertThat(readiness.status()).isEqualTo(HealthStatus.UP);
        assertThat(readiness.component("recommendations").map(ComponentHealth::status)).hasValue(HealthStatus.DOWN);
    }

    @Test
    void aLivenessCheckThatIsDownMakesTheProcessNotLive() {
        HealthMonitor health = HealthMonitor.builder()
            .liveness("worker-pool", () -> HealthResult.down("all workers deadlocked"))
            .liveness("event-loop", () -> HealthResult.degraded("lagging"))
            .executor(Runnable::run)
            .build();

        HealthReport liveness = health.liveness();

        assertThat(liveness.status()).isEqualTo(HealthStatus.DOWN);
        assertThat(health.readiness().status()).isEqualTo(HealthStatus.UP);
    }

    @Test
    void aCheckThatThrowsIsDownWithTheExceptionTypeButNotItsMessage() {
        HealthMonitor health = HealthMonitor.builder()
            .dependency("orders-db", Criticality.CRITICAL, () -> {
                throw new IllegalStateException("cannot connect to postgres://admin:hunter2@db:5432/orders");
            })
            .executor(Runnable::run)
            .build();

        HealthReport readiness = health.readiness();

        assertThat(readiness.status()).isEqualTo(HealthStatus.DOWN);
        assertThat(readiness.components().get(0).detail()).isEqualTo("java.lang.IllegalStateException");
        assertThat(readiness.toJson()).doesNotContain("hunter2").doesNotContain("postgres://");
        assertThat(readiness.toString()).doesNotContain("hunter2");
    }

    @Test
    void aCheckThatReturnsNullIsDown() {
        HealthMonitor health = HealthMonitor.builder()
            .dependency("orders-db", Criticality.CRITICAL, () -> null)
            .executor(Runnable::run)
            .build();

        assertThat(health.readiness().components().get(0).detail()).isEqualTo("check returned null");
    }

    @Test
    void aCheckThatTakesTooLongIsDownWhileTheOthersAreReported() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            HealthMonitor health = HealthMonitor.builder()
                .dependency("orders-db", Criticality.CRITICAL, () -> {
                    release.await();
                    return HealthResult.up();
                })
                .dependency("payments", Criticality.DEGRADED_OK, HealthResult::up)
                // generous, so the fast check beats it even on a loaded machine; the slow one waits on a latch
                .checkTimeout(Duration.ofSeconds(2))
                .executor(pool)
                .build();

            HealthReport readiness = health.readiness();

            assertThat(readiness.status()).isEqualTo(HealthStatus.DOWN);
            assertThat(readiness.components()).extracting(ComponentHealth::detail)
                .containsExactly("java.util.concurrent.TimeoutException after 2000 ms", "");
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void aCheckThatHangsIsStartedOnlyOnceHoweverOftenItIsProbed() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger starts = new AtomicInteger();
        HealthMonitor health = HealthMonitor.builder()
            .dependency("orders-db", Criticality.CRITICAL, () -> {
                starts.incrementAndGet();
                started.countDown();
                awaitIgnoringInterrupts(release);
                return HealthResult.up();
            })
            .checkTimeout(Duration.ofMillis(20))
            .build();
        try {
            List<String> details = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                HealthReport readiness = health.readiness();
                assertThat(readiness.status()).isEqualTo(HealthStatus.DOWN);
                details.add(readiness.components().get(0).detail());
            }
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();

            assertThat(starts.get()).isEqualTo(1);
            assertThat(details).first().isEqualTo("java.util.concurrent.TimeoutException after 20 ms");
            assertThat(details.subList(1, 10)).containsOnly("still running from an earlier probe");
        } finally {
            release.countDown();
        }
    }

    @Test
    void aCheckThatTimesOutIsInterrupted() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        HealthMonitor health = HealthMonitor.builder()
            .dependency("orders-db", Criticality.CRITICAL, () -> {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    throw e;
                }
                return HealthResult.up();
            })
            .checkTimeout(Duration.ofMillis(20))
            .build();

        assertThat(health.readiness().status()).isEqualTo(HealthStatus.DOWN);

        assertThat(interrupted.await(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aFailedCheckShowsTheSqlStateButNotTheMessage() {
        HealthMonitor health = HealthMonitor.builder()
            .dependency("orders-db", Criticality.CRITICAL, () -> {
                throw new java.sql.SQLException("FATAL: password authentication failed for user \"admin\"", "28P01");
            })
            .executor(Runnable::run)
            .build();

        assertThat(health.readiness().components().get(0).detail()).isEqualTo("java.sql.SQLException (SQLState 28P01)");
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
    void aCheckTheExecutorRefusesIsDown() {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        pool.shutdown();
        HealthMonitor health = HealthMonitor.builder()
            .dependency("orders-db", Criticality.CRITICAL, HealthResult::up)
            .executor(pool)
            .build();

        assertThat(health.readiness().components().get(0).detail())
            .isEqualTo("java.util.concurrent.RejectedExecutionException");
    }

    @Test
    void theDefaultExecutorRunsChecksOnDaemonThreads() {
        HealthMonitor health = HealthMonitor.builder()
            .dependency("orders-db", Criticality.CRITICAL, () -> HealthResult.up(
                Thread.currentThread().isDaemon() ? "daemon" : "not daemon"))
            .build();

        assertThat(health.readiness().components().get(0).detail()).isEqualTo("daemon");
    }

    @Test
    void theReportHasAJsonFormWithTheOverallStatusAndEachComponent() throws Exception {
        HealthMonitor health = monitor();
        payments.transitionToOpenState();

        JsonNode json = new ObjectMapper().readTree(health.readiness().toJson());

        assertThat(json.get("probe").asText()).isEqualTo("readiness");
        assertThat(json.get("status").asText()).isEqualTo("DEGRADED");
        assertThat(json.get("passing").asBoolean()).isTrue();
        assertThat(json.get("components")).hasSize(2);
        JsonNode second = json.get("components").get(1);
        assertThat(second.get("name").asText()).isEqualTo("payments");
        assertThat(second.get("criticality").asText()).isEqualTo("DEGRADED_OK");
        assertThat(second.get("status").asText()).isEqualTo("DOWN");
        assertThat(second.get("detail").asText()).isEqualTo("circuit breaker OPEN");
    }

    @Test
    void logsReadinessChangesWorseAtWarnAndBetterAtInfo() {
        try (LogCapture logs = LogCapture.of(HealthMonitor.class)) {
            HealthMonitor health = monitor();
            health.readiness();
            orders.transitionToOpenState();
            health.readiness();
            health.readiness();
            orders.transitionToClosedState();
            health.readiness();

            assertThat(logs.events()).extracting(ILoggingEvent::getLevel, ILoggingEvent::getFormattedMessage)
                .containsExactly(
                    org.assertj.core.groups.Tuple.tuple(Level.WARN, "Readiness changed from UP to DOWN: [orders-db DOWN]"),
                    org.assertj.core.groups.Tuple.tuple(Level.INFO, "Readiness changed from DOWN to UP: []"));
        }
    }

    @Test
    void rejectsDuplicateNames() {
        HealthMonitor.Builder builder = HealthMonitor.builder().liveness("db", LIVE);

        assertThatThrownBy(() -> builder.dependency("db", Criticality.CRITICAL, LIVE))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("name must be unique, but 'db' is already registered");
    }
}
