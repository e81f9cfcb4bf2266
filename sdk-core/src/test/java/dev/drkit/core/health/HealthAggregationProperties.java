package dev.drkit.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * The readiness rules of {@link HealthMonitor}, as properties. Each check takes the aggregation to test as a
 * parameter, so the meta-tests at the end show it fails for a broken one, and counts the statuses its examples
 * ended in, so a generator that only ever made healthy services would be noticed.
 */
class HealthAggregationProperties {

    /** One dependency: how critical it is and what its check reports. */
    static final class Dependency {
        final Criticality criticality;
        final HealthStatus status;

        Dependency(Criticality criticality, HealthStatus status) {
            this.criticality = criticality;
            this.status = status;
        }

        @Override
        public String toString() {
            return criticality + "=" + status;
        }
    }

    static Gen<Dependency> dependencies() {
        return integers().between(0, Criticality.values().length - 1)
            .zip(integers().between(0, HealthStatus.values().length - 1),
                (c, s) -> new Dependency(Criticality.values()[c], HealthStatus.values()[s]));
    }

    static HealthMonitor monitorOf(List<Dependency> dependencies) {
        HealthMonitor.Builder builder = HealthMonitor.builder().executor(Runnable::run);
        for (int i = 0; i < dependencies.size(); i++) {
            Dependency d = dependencies.get(i);
            builder.dependency("dep-" + i, d.criticality, () -> HealthResult.of(d.status, "from test"));
        }
        return builder.build();
    }

    static boolean any(List<Dependency> dependencies, Criticality criticality, HealthStatus status) {
        return dependencies.stream().anyMatch(d -> d.criticality == criticality && d.status == status);
    }

    /** The aggregation under test: the readiness status of a service with these dependencies. */
    static final Function<List<Dependency>, HealthStatus> REAL = dependencies -> monitorOf(dependencies).readiness().status();

    /** A broken aggregation for the meta-tests: the worst status of all dependencies, optional ones included. */
    static final Function<List<Dependency>, HealthStatus> WORST_OF_ALL = dependencies -> dependencies.stream()
        .map(d -> d.status).max(Comparator.naturalOrder()).orElse(HealthStatus.UP);

    /** How many examples ended in each readiness status. */
    static final class Tally {
        final Map<HealthStatus, AtomicInteger> byStatus = new EnumMap<>(HealthStatus.class);

        Tally() {
            for (HealthStatus status : HealthStatus.values()) {
                byStatus.put(status, new AtomicInteger());
            }
        }

        void count(HealthStatus status) {
            byStatus.get(status).incrementAndGet();
        }

        int total() {
            return byStatus.values().stream().mapToInt(AtomicInteger::get).sum();
        }
    }

    static void checkDocumentedRules(Function<List<Dependency>, HealthStatus> readiness, int examples, Tally tally) {
        qt().withExamples(examples).forAll(lists().of(dependencies()).ofSizeBetween(0, 12)).checkAssert(dependencies -> {
            HealthStatus status = readiness.apply(dependencies);
            tally.count(status);

            boolean down = any(dependencies, Criticality.CRITICAL, HealthStatus.DOWN);
            boolean degraded = any(dependencies, Criticality.CRITICAL, HealthStatus.DEGRADED)
                || any(dependencies, Criticality.DEGRADED_OK, HealthStatus.DOWN)
                || any(dependencies, Criticality.DEGRADED_OK, HealthStatus.DEGRADED);
            HealthStatus expected = down ? HealthStatus.DOWN : degraded ? HealthStatus.DEGRADED : HealthStatus.UP;
            assertThat(status).isEqualTo(expected);
        });
    }

    static void checkOptionalNeverChangesTheStatus(Function<List<Dependency>, HealthStatus> readiness, int examples,
                                                   Tally tally) {
        qt().withExamples(examples).forAll(lists().of(dependencies()).ofSizeBetween(0, 12)).checkAssert(dependencies -> {
            List<Dependency> withoutOptional = new ArrayList<>();
            for (Dependency d : dependencies) {
                if (d.criticality != Criticality.OPTIONAL) {
                    withoutOptional.add(d);
                }
            }
            HealthStatus status = readiness.apply(dependencies);
            tally.count(status);

            assertThat(status).isEqualTo(readiness.apply(withoutOptional));
        });
    }

    static void checkWorseNeverMakesBetter(Function<List<Dependency>, HealthStatus> readiness, int examples,
                                           Tally tally) {
        qt().withExamples(examples).forAll(lists().of(dependencies()).ofSizeBetween(1, 12), integers().between(0, 11))
            .checkAssert((dependencies, index) -> {
                int i = index % dependencies.size();
                Dependency before = dependencies.get(i);
                if (before.status == HealthStatus.DOWN) {
                    return;
                }
                List<Dependency> worse = new ArrayList<>(dependencies);
                worse.set(i, new Dependency(before.criticality, HealthStatus.values()[before.status.ordinal() + 1]));

                HealthStatus was = readiness.apply(dependencies);
                HealthStatus now = readiness.apply(worse);
                tally.count(now);

                assertThat(now).isGreaterThanOrEqualTo(was);
            });
    }

    @Test
    void readinessFollowsTheDocumentedRules() {
        Tally tally = new Tally();
        checkDocumentedRules(REAL, 1000, tally);
        assertEveryStatusSeen(tally, 1000);
    }

    @Test
    void readinessIsPassingUnlessDownAndReportsEveryDependency() {
        qt().withExamples(300).forAll(lists().of(dependencies()).ofSizeBetween(0, 12)).checkAssert(dependencies -> {
            HealthReport readiness = monitorOf(dependencies).readiness();

            assertThat(readiness.passing()).isEqualTo(readiness.status() != HealthStatus.DOWN);
            assertThat(readiness.components()).hasSize(dependencies.size());
            for (int i = 0; i < dependencies.size(); i++) {
                assertThat(readiness.components().get(i).status()).isEqualTo(dependencies.get(i).status);
                assertThat(readiness.components().get(i).criticality()).isEqualTo(dependencies.get(i).criticality);
            }
        });
    }

    @Test
    void optionalDependenciesNeverChangeTheStatus() {
        Tally tally = new Tally();
        checkOptionalNeverChangesTheStatus(REAL, 500, tally);
        assertEveryStatusSeen(tally, 500);
    }

    @Test
    void dependenciesNeverMakeTheServiceUnLive() {
        qt().withExamples(300).forAll(lists().of(dependencies()).ofSizeBetween(0, 12)).checkAssert(dependencies ->
            assertThat(monitorOf(dependencies).liveness().status()).isEqualTo(HealthStatus.UP));
    }

    @Test
    void aDependencyGettingWorseNeverMakesReadinessBetter() {
        Tally tally = new Tally();
        checkWorseNeverMakesBetter(REAL, 500, tally);
        assertThat(tally.total()).as("examples with a dependency that could get worse").isGreaterThan(500 / 2);
    }

    private static void assertEveryStatusSeen(Tally tally, int examples) {
        // QuickTheories skips values it has already tried, so a few examples may not run
        assertThat(tally.total()).isGreaterThanOrEqualTo(examples * 9 / 10);
        for (HealthStatus status : HealthStatus.values()) {
            assertThat(tally.byStatus.get(status).get()).as("examples ending %s", status).isGreaterThan(examples / 20);
        }
    }

    // ---- the checks fail for a broken aggregation --------------------------------------------------------------

    @Test
    void theChecksFailForAnAggregationThatCountsOptionalDependencies() {
        assertThatThrownBy(() -> checkDocumentedRules(WORST_OF_ALL, 200, new Tally()))
            .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> checkOptionalNeverChangesTheStatus(WORST_OF_ALL, 200, new Tally()))
            .isInstanceOf(AssertionError.class);
    }

    @Test
    void theMonotonicityCheckFailsForAnAggregationThatGetsBetterWhenADependencyGetsWorse() {
        Function<List<Dependency>, HealthStatus> inverted = dependencies ->
            HealthStatus.values()[HealthStatus.values().length - 1 - REAL.apply(dependencies).ordinal()];
        assertThatThrownBy(() -> checkWorseNeverMakesBetter(inverted, 200, new Tally()))
            .isInstanceOf(AssertionError.class);
    }
}
