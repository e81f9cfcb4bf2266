package dev.drkit.failover;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of what the topology monitor knows: each host's role, and the primary writes go to now.
 * Instances are immutable and thread-safe.
 *
 * @param hosts      every configured host, in the configured order
 * @param primary    the confirmed primary, or empty during a failover
 * @param generation increases each time the primary changes (to another host or to none)
 * @since 0.1
 */
public record Topology(List<HostState> hosts, Optional<Endpoint> primary, long generation) {

    /** Copies the host list. */
    public Topology {
        hosts = List.copyOf(hosts);
        Objects.requireNonNull(primary, "primary");
    }

    /** The state of {@code endpoint}, if it is one of the hosts. @since 0.1 */
    public Optional<HostState> host(Endpoint endpoint) {
        return hosts.stream().filter(h -> h.endpoint().equals(endpoint)).findFirst();
    }
}
