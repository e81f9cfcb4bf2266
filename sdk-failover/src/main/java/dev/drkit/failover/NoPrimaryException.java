package dev.drkit.failover;

import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code getConnection()} found no usable primary within {@link FailoverConfig#primaryWait()}: every host is
 * unreachable, in recovery or fenced, and no promotion was confirmed in time. SQLState {@value #SQL_STATE}
 * (the client could not establish a connection). Nothing was sent to any server, so the caller may try again.
 *
 * <pre>{@code
 * Failover data source 'orders-db' has no primary after 15000 ms
 *     (hosts: 10.0.0.5:5432 UNREACHABLE, 10.0.0.6:5432 STANDBY)
 * }</pre>
 *
 * <p>When hosts claim primary but none may be written to, the message says why, for a split brain:
 *
 * <pre>{@code
 * Failover data source 'orders-db' has no primary after 15000 ms: split brain: 10.0.0.5:5432 and 10.0.0.6:5432
 *     claim primary on timeline 2 of the same cluster; writing to none until all but one are in recovery or
 *     unreachable for 2 probes (hosts: 10.0.0.5:5432 CANDIDATE, 10.0.0.6:5432 CANDIDATE)
 * }</pre>
 *
 * @since 0.1
 */
public final class NoPrimaryException extends FailoverSQLException {

    /** The SQL state: {@value}. */
    public static final String SQL_STATE = "08001";

    private static final long serialVersionUID = 1L;

    private final Duration waited;
    private final transient List<HostState> hosts;

    /**
     * @param dataSourceName the data source's name
     * @param waited         how long the caller waited
     * @param hosts          the topology at the end of the wait
     * @param cause          the last connection failure, or {@code null}
     */
    public NoPrimaryException(String dataSourceName, Duration waited, List<HostState> hosts, @Nullable Throwable cause) {
        this(dataSourceName, waited, hosts, null, cause);
    }

    /**
     * @param dataSourceName the data source's name
     * @param waited         how long the caller waited
     * @param hosts          the topology at the end of the wait
     * @param why            why no host was elected though some claim primary (a split brain), or {@code null}
     * @param cause          the last connection failure, or {@code null}
     * @since 0.1
     */
    public NoPrimaryException(String dataSourceName, Duration waited, List<HostState> hosts, @Nullable String why,
                              @Nullable Throwable cause) {
        super("Failover data source '" + dataSourceName + "' has no primary after " + waited.toMillis() + " ms"
                + (why == null ? "" : ": " + why) + " (hosts: " + describe(hosts) + ")", SQL_STATE, dataSourceName,
            context(waited, hosts), cause);
        this.waited = waited;
        this.hosts = List.copyOf(hosts);
    }

    private static String describe(List<HostState> hosts) {
        StringBuilder text = new StringBuilder();
        for (HostState host : hosts) {
            if (text.length() > 0) {
                text.append(", ");
            }
            text.append(host.endpoint().id()).append(' ').append(host.role());
        }
        return text.toString();
    }

    private static Map<String, String> context(Duration waited, List<HostState> hosts) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("waitedMillis", Long.toString(waited.toMillis()));
        context.put("hosts", describe(hosts));
        return context;
    }

    /** How long the caller waited for a primary. @since 0.1 */
    public Duration waited() {
        return waited;
    }

    /** Each host's state when the wait ended. @since 0.1 */
    public List<HostState> hosts() {
        return hosts == null ? List.of() : hosts;
    }
}
