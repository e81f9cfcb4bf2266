package dev.drkit.failover;

import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ReplicaOptions;
import dev.drkit.postgres.ReplicationMode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** A primary and a streaming replica on 127.0.0.1, and a FailoverDataSource over both; closes all of it. */
final class Servers implements AutoCloseable {

    private static final AtomicInteger SERIAL = new AtomicInteger();

    final PgCluster primary;
    final PgCluster replica;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private Servers(PgCluster primary, PgCluster replica) {
        this.primary = primary;
        this.replica = replica;
    }

    static Servers start(ReplicationMode mode) {
        int n = SERIAL.incrementAndGet();
        PgCluster primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("primary" + n).build());
        try {
            PgCluster replica = primary.createReplica(ReplicaOptions.builder("replica" + n).mode(mode).build());
            return new Servers(primary, replica);
        } catch (RuntimeException e) {
            primary.close();
            throw e;
        }
    }

    CredentialsSource superuser() {
        return CredentialsSource.fixed(primary.superuser(), primary.superuserPassword());
    }

    FailoverConfig.Builder config() {
        return FailoverConfig.builder().name("test")
            // The replica first: the order must not matter.
            .endpoints(Endpoint.of(PgCluster.HOST, replica.port()), Endpoint.of(PgCluster.HOST, primary.port()))
            .credentials(superuser())
            .maximumPoolSize(4)
            .primaryWait(Duration.ofSeconds(15));
    }

    FailoverDataSource dataSource() {
        return dataSource(b -> { });
    }

    FailoverDataSource dataSource(Consumer<FailoverConfig.Builder> adjust) {
        FailoverConfig.Builder builder = config();
        adjust.accept(builder);
        FailoverDataSource dataSource = FailoverDataSource.create(builder.build());
        closeables.add(dataSource);
        try {
            if (!dataSource.awaitPrimary(Duration.ofSeconds(20))) {
                throw new IllegalStateException("no primary found: " + dataSource.topology());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return dataSource;
    }

    Endpoint primaryEndpoint() {
        return Endpoint.of(PgCluster.HOST, primary.port());
    }

    Endpoint replicaEndpoint() {
        return Endpoint.of(PgCluster.HOST, replica.port());
    }

    void track(AutoCloseable closeable) {
        closeables.add(closeable);
    }

    @Override
    public void close() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception ignored) {
                // close the rest
            }
        }
        replica.close();
        primary.close();
    }
}
