package dev.drkit.secrets.micrometer;

import dev.drkit.secrets.DynamicDatabaseCredentials;
import dev.drkit.secrets.TokenInfo;
import dev.drkit.secrets.VaultClient;
import dev.drkit.secrets.VaultStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * Binds a {@link VaultClient}'s counters to Micrometer. Tags are the client's name and, for lease gauges, the
 * database role: never a token, a path's value, or a secret.
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>tags</th></tr>
 * <tr><td>{@code drkit.secrets.logins}</td><td>FunctionCounter</td><td>{@code client}, {@code outcome=success|failure}</td></tr>
 * <tr><td>{@code drkit.secrets.renewals}</td><td>FunctionCounter</td><td>{@code client}, {@code what=token|lease|failed}</td></tr>
 * <tr><td>{@code drkit.secrets.rotations}</td><td>FunctionCounter</td><td>{@code client}</td></tr>
 * <tr><td>{@code drkit.secrets.kv.reads}</td><td>FunctionCounter</td><td>{@code client}, {@code result=hit|fetch|stale}</td></tr>
 * <tr><td>{@code drkit.secrets.failures}</td><td>FunctionCounter</td><td>{@code client}</td></tr>
 * <tr><td>{@code drkit.secrets.token.time.left}</td><td>Gauge (seconds; +Inf for a token that never
 *     expires)</td><td>{@code client}</td></tr>
 * <tr><td>{@code drkit.secrets.cache.staleness}</td><td>Gauge (seconds; see {@link VaultClient#staleness()})</td>
 *     <td>{@code client}</td></tr>
 * <tr><td>{@code drkit.secrets.token.expired}</td><td>Gauge (1 or 0)</td><td>{@code client}</td></tr>
 * <tr><td>{@code drkit.secrets.lease.time.left}</td><td>Gauge (seconds)</td><td>{@code client}, {@code role}</td></tr>
 * </table>
 *
 * <p>Meters hold the client weakly: keep it referenced. Thread-safe.
 *
 * @since 0.1
 */
public final class VaultMetrics implements MeterBinder {

    private final VaultClient client;
    private final List<DynamicDatabaseCredentials> credentials;

    private VaultMetrics(VaultClient client, List<DynamicDatabaseCredentials> credentials) {
        this.client = Objects.requireNonNull(client, "client");
        this.credentials = List.copyOf(credentials);
    }

    /**
     * Metrics of {@code client} and, for the lease gauge, of {@code credentials}.
     *
     * @since 0.1
     */
    public static VaultMetrics of(VaultClient client, DynamicDatabaseCredentials... credentials) {
        return new VaultMetrics(client, List.of(credentials));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Tags tags = Tags.of("client", client.name());
        counter(registry, "drkit.secrets.logins", "Logins to Vault", tags.and("outcome", "success"), VaultStats::logins);
        counter(registry, "drkit.secrets.logins", "Logins to Vault", tags.and("outcome", "failure"), VaultStats::loginFailures);
        counter(registry, "drkit.secrets.renewals", "Token and lease renewals", tags.and("what", "token"),
            VaultStats::tokenRenewals);
        counter(registry, "drkit.secrets.renewals", "Token and lease renewals", tags.and("what", "lease"),
            VaultStats::leaseRenewals);
        counter(registry, "drkit.secrets.renewals", "Token and lease renewals", tags.and("what", "failed"),
            VaultStats::renewalFailures);
        counter(registry, "drkit.secrets.rotations", "Database credential rotations", tags, VaultStats::rotations);
        counter(registry, "drkit.secrets.kv.reads", "KV reads", tags.and("result", "hit"), VaultStats::kvCacheHits);
        counter(registry, "drkit.secrets.kv.reads", "KV reads", tags.and("result", "fetch"), VaultStats::kvFetches);
        counter(registry, "drkit.secrets.kv.reads", "KV reads", tags.and("result", "stale"), VaultStats::kvStaleReads);
        counter(registry, "drkit.secrets.failures", "Calls to Vault that failed after retries", tags, VaultStats::failures);
        // A token that never expires has all the time there is, not none: zero would read as "about to expire".
        Gauge.builder("drkit.secrets.token.time.left", client, c -> seconds(c.stats().tokenTimeLeft()))
            .description("Time left on the Vault token (+Inf if it never expires)").baseUnit("seconds").tags(tags)
            .register(registry);
        Gauge.builder("drkit.secrets.cache.staleness", client, c -> c.staleness().toMillis() / 1000.0)
            .description("Age of the stalest KV value still served stale; 0 once Vault answers again")
            .baseUnit("seconds").tags(tags).register(registry);
        Gauge.builder("drkit.secrets.token.expired", client, c -> c.stats().staticTokenExpired() ? 1 : 0)
            .description("1 while the token given with VaultAuth.token has expired or was revoked and must be replaced"
                + " at its source").tags(tags).register(registry);
        for (DynamicDatabaseCredentials c : credentials) {
            Gauge.builder("drkit.secrets.lease.time.left", c, x -> x.leaseTimeLeft().toMillis() / 1000.0)
                .description("Time left on the database credentials' lease").baseUnit("seconds")
                .tags(tags.and("role", c.role())).register(registry);
        }
    }

    private static double seconds(Duration timeLeft) {
        return timeLeft.equals(TokenInfo.NO_EXPIRY) ? Double.POSITIVE_INFINITY : timeLeft.toMillis() / 1000.0;
    }

    private void counter(MeterRegistry registry, String name, String description, Tags tags, ToLongFunction<VaultStats> f) {
        FunctionCounter.builder(name, client, c -> f.applyAsLong(c.stats())).description(description).tags(tags)
            .register(registry);
    }
}
