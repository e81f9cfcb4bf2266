package dev.drkit.failover.event;

/**
 * Receives the topology changes of a {@link dev.drkit.failover.FailoverDataSource}. Called on the topology
 * monitor's thread, one event at a time in the order they happened, so it must be quick and must not block;
 * an exception it throws is logged at WARN and counted, and does not stop the monitor.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface FailoverListener {

    /** Called for each topology change. */
    void onEvent(FailoverEvent event);
}
