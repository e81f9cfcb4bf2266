package dev.drkit.core.health;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of one liveness or readiness probe: the overall status and each component's health, in the
 * order the components were registered. Immutable.
 *
 * <p>{@link #toJson()} gives the form a health endpoint serves:
 *
 * <pre>{@code
 * {"probe":"readiness","status":"DEGRADED","passing":true,
 *  "components":[{"name":"orders-db","criticality":"CRITICAL","status":"UP","detail":"circuit breaker CLOSED"},
 *                {"name":"payments","criticality":"DEGRADED_OK","status":"DOWN","detail":"circuit breaker OPEN"}]}
 * }</pre>
 *
 * @since 0.1
 */
public final class HealthReport {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Which question a report answers.
     *
     * @since 0.1
     */
    public enum Probe {
        /** Is the process itself working? If not, restart it. */
        LIVENESS,
        /** Can the service take traffic? If not, route traffic elsewhere until it can. */
        READINESS
    }

    private final Probe probe;
    private final HealthStatus status;
    private final List<ComponentHealth> components;

    /**
     * @param probe      which question this report answers
     * @param status     the overall status, aggregated as {@link HealthMonitor} describes
     * @param components each component's health; copied
     * @since 0.1
     */
    public HealthReport(Probe probe, HealthStatus status, List<ComponentHealth> components) {
        this.probe = Objects.requireNonNull(probe, "probe");
        this.status = Objects.requireNonNull(status, "status");
        this.components = List.copyOf(components);
    }

    /**
     * Which question this report answers.
     *
     * @since 0.1
     */
    public Probe probe() {
        return probe;
    }

    /**
     * The overall status.
     *
     * @since 0.1
     */
    public HealthStatus status() {
        return status;
    }

    /**
     * Whether the probe passes: live, or ready to take traffic. True for UP and DEGRADED, false for DOWN.
     *
     * @since 0.1
     */
    public boolean passing() {
        return status != HealthStatus.DOWN;
    }

    /**
     * Each component's health, in registration order; unmodifiable.
     *
     * @since 0.1
     */
    public List<ComponentHealth> components() {
        return components;
    }

    /**
     * The health of the component registered as {@code name}, if there is one.
     *
     * @since 0.1
     */
    public Optional<ComponentHealth> component(String name) {
        Objects.requireNonNull(name, "name");
        return components.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /**
     * This report as a JSON object with {@code probe}, {@code status}, {@code passing} and {@code components}
     * (each with {@code name}, {@code criticality}, {@code status}, {@code detail}).
     *
     * @since 0.1
     */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("probe", probe.name().toLowerCase(Locale.ROOT));
        root.put("status", status.name());
        root.put("passing", passing());
        ArrayNode list = root.putArray("components");
        for (ComponentHealth component : components) {
            list.addObject()
                .put("name", component.name())
                .put("criticality", component.criticality().name())
                .put("status", component.status().name())
                .put("detail", component.detail());
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            // A tree of strings and booleans always serializes.
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof HealthReport)) {
            return false;
        }
        HealthReport that = (HealthReport) o;
        return probe == that.probe && status == that.status && components.equals(that.components);
    }

    @Override
    public int hashCode() {
        return Objects.hash(probe, status, components);
    }

    @Override
    public String toString() {
        return probe.name().toLowerCase(Locale.ROOT) + " " + status + " " + components;
    }
}
