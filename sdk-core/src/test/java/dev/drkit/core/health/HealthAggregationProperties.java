package dev.drkit.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

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

    @Test
    void readinessFollowsTheDocumentedRules() {
        qt().withExamples(1000).forAll(lists().of(dependencies()).ofSizeBetween(0, 12)).checkAssert(dependencies -> {
            HealthReport readiness = monitorOf(dependencies).readiness();

            boolean down = any(dependencies, Criticality.CRITICAL, HealthStatus.DOWN);
            boolean degraded = any(dependencies, Criticality.CRITICAL, HealthStatus.DEGRADED)
                || any(dependencies, Criticality.DEGRADED_OK, HealthStatus.DOWN)
                || any(dependencies, Criticality.DEGRADED_OK, HealthStatus.DEGRADED);
            HealthStatus expected = down ? HealthStatus.DOWN : degraded ? HealthStatus.DEGRADED : HealthStatus.UP;
            assertThat(readiness.status()).isEqualTo(expected);
            assertThat(readiness.passing()).isEqualTo(!down);
        });
    }

    @Test
    void optionalDependenciesNeverChangeTheStatusButAreAllReported() {
        qt().withExamples(500).forAll(lists().of(dependencies()).ofSizeBetween(0, 12)).checkAssert(dependencies -> {
            List<Dependency> withoutOptional = new ArrayList<>();
            for (Dependency d : dependencies) {
                if (d.criticality != Criticality.OPTIONAL) {
                    withoutOptional.add(d);
                }
            }

            HealthReport all = monitorOf(dependencies).readiness();

            assertThat(all.status()).isEqualTo(monitorOf(withoutOptional).readiness().status());
            assertThat(all.components()).hasSize(dependencies.size());
            for (int i = 0; i < dependencies.size(); i++) {
                assertThat(all.components().get(i).status()).isEqualTo(dependencies.get(i).status);
                assertThat(all.components().get(i).criticality()).isEqualTo(dependencies.get(i).criticality);
            }
        });
    }

    @Test
    void dependenciesNeverMakeTheServiceUnLive() {
        qt().withExamples(300).forAll(lists().of(dependencies()).ofSizeBetween(0, 12)).checkAssert(dependencies ->
            assertThat(monitorOf(dependencies).liveness().status()).isEqualTo(HealthStatus.UP));
    }

    @Test
    void aDependencyGettingWorseNeverMakesReadinessBetter() {
        qt().withExamples(500).forAll(lists().of(dependencies()).ofSizeBetween(1, 12), integers().between(0, 11))
            .checkAssert((dependencies, index) -> {
                int i = index % dependencies.size();
                Dependency before = dependencies.get(i);
                if (before.status == HealthStatus.DOWN) {
                    return;
                }
                List<Dependency> worse = new ArrayList<>(dependencies);
                worse.set(i, new Dependency(before.criticality, HealthStatus.values()[before.status.ordinal() + 1]));

                HealthStatus was = monitorOf(dependencies).readiness().status();
                HealthStatus now = monitorOf(worse).readiness().status();

                assertThat(now).isGreaterThanOrEqualTo(was);
            });
    }
}
