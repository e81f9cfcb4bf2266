package dev.drkit.benchmarks.failover;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;
import dev.drkit.failover.FailoverDataSource;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code getConnection()} and {@code close()} on a healthy primary: through drkit's {@link FailoverDataSource}
 * (a routing decision, then its HikariCP pool for that host) against a plain {@link HikariDataSource} with the
 * same pool size. The bar: drkit no more than 5% slower. {@code drkit} has the idle-connection check on
 * (the default: a connection's return time against the data source's clock thread, no clock read per borrow),
 * {@code drkitNoIdleCheck} has it off
 * ({@code FailoverConfig.Builder.idleConnectionCheck(false)}). The PostgreSQL server is started by the
 * benchmark's setup on 127.0.0.1 and removed at its end.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GetConnectionBenchmark {

    private PgCluster cluster;
    private HikariDataSource hikari;
    private FailoverDataSource drkit;
    private FailoverDataSource drkitNoIdleCheck;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("bench").build());
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(cluster.jdbcUrl());
        config.setUsername(cluster.superuser());
        config.setPassword(new String(cluster.superuserPassword().reveal()));
        config.setMaximumPoolSize(10);
        hikari = new HikariDataSource(config);
        FailoverConfig drkitConfig = FailoverConfig.builder().name("bench")
            .endpoints(Endpoint.of(PgCluster.HOST, cluster.port()))
            .credentials(CredentialsSource.fixed(cluster.superuser(), cluster.superuserPassword()))
            .maximumPoolSize(10)
            .build();
        drkit = FailoverDataSource.create(drkitConfig);
        drkitNoIdleCheck = FailoverDataSource.create(drkitConfig.toBuilder().name("bench-no-idle-check")
            .idleConnectionCheck(false).build());
        for (FailoverDataSource dataSource : new FailoverDataSource[] {drkit, drkitNoIdleCheck}) {
            if (!dataSource.awaitPrimary(Duration.ofSeconds(30))) {
                throw new IllegalStateException("no primary: " + dataSource.topology());
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        drkit.close();
        drkitNoIdleCheck.close();
        hikari.close();
        cluster.close();
    }

    @Benchmark
    public boolean hikari() throws SQLException {
        try (Connection connection = hikari.getConnection()) {
            return connection.getAutoCommit();
        }
    }

    @Benchmark
    public boolean drkit() throws SQLException {
        try (Connection connection = drkit.getConnection()) {
            return connection.getAutoCommit();
        }
    }

    @Benchmark
    public boolean drkitNoIdleCheck() throws SQLException {
        try (Connection connection = drkitNoIdleCheck.getConnection()) {
            return connection.getAutoCommit();
        }
    }
}
