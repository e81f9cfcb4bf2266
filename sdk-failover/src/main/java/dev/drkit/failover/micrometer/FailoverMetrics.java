package dev.drkit.failover.micrometer;

import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverDataSource;
import dev.drkit.failover.FailoverStats;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Micrometer meters of a {@link FailoverDataSource}, tagged {@code failover=<name>}:
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>extra tags</th></tr>
 *   <tr><td>{@code drkit.failover.host.primary}</td><td>gauge: 1 for the current primary, else 0</td><td>{@code host}</td></tr>
 *   <tr><td>{@code drkit.failover.failovers}</td><td>function counter</td><td></td></tr>
 *   <tr><td>{@code drkit.failover.primary.losses}</td><td>function counter</td><td></td></tr>
 *   <tr><td>{@code drkit.failover.fencings}</td><td>function counter</td><td></td></tr>
 *   <tr><td>{@code drkit.failover.detect.time}</td><td>time gauge, seconds: the latest time to detect</td><td></td></tr>
 *   <tr><td>{@code drkit.failover.recover.time}</td><td>time gauge, seconds: the latest time to recover</td><td></td></tr>
 *   <tr><td>{@code drkit.failover.requests}</td><td>function counter</td><td>{@code outcome=delayed|failed}</td></tr>
 *   <tr><td>{@code drkit.failover.connections.evicted}</td><td>function counter: pooled connections found closed
 *   by their server when borrowed, evicted before use</td><td>{@code host}</td></tr>
 *   <tr><td>{@code drkit.failover.possible.data.loss}</td><td>function counter</td><td></td></tr>
 *   <tr><td>{@code drkit.failover.unreplicated}</td><td>gauge, bytes</td><td></td></tr>
 * </table>
 *
 * <p>The meters hold the data source weakly; keep it referenced.
 *
 * <pre>{@code
 * new FailoverMetrics(dataSource).bindTo(registry);
 * }</pre>
 *
 * @since 0.1
 */
public final class FailoverMetrics implements MeterBinder {

    private final FailoverDataSource dataSource;

    /** Meters for {@code dataSource}. @since 0.1 */
    public FailoverMetrics(FailoverDataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        List<Tag> tags = List.of(Tag.of("failover", dataSource.name()));
        for (Endpoint endpoint : dataSource.config().endpoints()) {
            Gauge.builder("drkit.failover.host.primary", dataSource,
                    ds -> ds.topology().primary().filter(endpoint::equals).isPresent() ? 1 : 0)
                .description("1 while this host is the primary writes go to, else 0")
                .tags(tags).tag("host", endpoint.id())
                .register(registry);
            FunctionCounter.builder("drkit.failover.connections.evicted", dataSource,
                    ds -> ds.stats().evictedOnBorrow().getOrDefault(endpoint, 0L).doubleValue())
                .description("Pooled connections found closed by their server when borrowed (it spoke while they sat"
                    + " idle and they failed validation), evicted before anything was sent on them")
                .tags(tags).tag("host", endpoint.id())
                .register(registry);
        }
        counter(registry, tags, "drkit.failover.failovers", "Times writes moved to another host after a loss",
            FailoverStats::failovers, null);
        counter(registry, tags, "drkit.failover.primary.losses", "Times the primary was lost",
            FailoverStats::primaryLosses, null);
        counter(registry, tags, "drkit.failover.fencings", "Times a host was fenced", FailoverStats::fencings, null);
        counter(registry, tags, "drkit.failover.requests", "getConnection calls that waited for a primary and got one",
            FailoverStats::requestsDelayed, "delayed");
        counter(registry, tags, "drkit.failover.requests", "Requests that failed for want of a primary or a connection",
            FailoverStats::requestsFailed, "failed");
        counter(registry, tags, "drkit.failover.possible.data.loss",
            "Failovers after which writes acknowledged by the old primary may be lost (asynchronous replication)",
            FailoverStats::possibleDataLosses, null);
        Gauge.builder("drkit.failover.unreplicated", dataSource, ds -> ds.stats().lastUnreplicatedBytes())
            .description("At the latest failover: bytes of WAL the old primary had flushed that the promoted host"
                + " had not received")
            .baseUnit("bytes")
            .tags(tags).register(registry);
        TimeGauge.builder("drkit.failover.detect.time", dataSource, TimeUnit.SECONDS,
                ds -> seconds(ds.stats().lastTimeToDetect().orElse(Duration.ZERO)))
            .description("Latest time from the primary's last good probe to its loss being declared")
            .tags(tags).register(registry);
        TimeGauge.builder("drkit.failover.recover.time", dataSource, TimeUnit.SECONDS,
                ds -> seconds(ds.stats().lastTimeToRecover().orElse(Duration.ZERO)))
            .description("Latest time from a loss being declared to a primary being elected")
            .tags(tags).register(registry);
    }

    private void counter(MeterRegistry registry, List<Tag> tags, String name, String description,
                         Function<FailoverStats, Long> value, @Nullable String outcome) {
        FunctionCounter.Builder<FailoverDataSource> builder = FunctionCounter.builder(name, dataSource,
                ds -> value.apply(ds.stats()).doubleValue())
            .description(description).tags(tags);
        if (outcome != null) {
            builder = builder.tag("outcome", outcome);
        }
        builder.register(registry);
    }

    private static double seconds(Duration duration) {
        return duration.toNanos() / 1e9;
    }
}
