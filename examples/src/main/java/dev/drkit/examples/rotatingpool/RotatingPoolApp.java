package dev.drkit.examples.rotatingpool;

import dev.drkit.core.DrkitException;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;
import dev.drkit.failover.FailoverDataSource;
import dev.drkit.failover.FailoverStats;
import dev.drkit.failover.Retry;
import dev.drkit.secrets.DynamicDatabaseCredentials;
import dev.drkit.secrets.VaultAuth;
import dev.drkit.secrets.VaultClient;
import dev.drkit.secrets.VaultConfig;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A service's database access through a failover pool whose credentials come from Vault's database secrets
 * engine: a {@link FailoverDataSource} over a primary and its replicas (one HikariCP pool per host, writes to the
 * confirmed primary) whose {@code CredentialsSource} is {@link DynamicDatabaseCredentials}. Vault creates a
 * database user per lease; drkit renews the lease, fetches a new user ahead of the lease's max TTL, and the pools
 * open new connections with it while work in flight finishes on the old ones. Neither the service nor its
 * configuration ever holds a database password.
 *
 * <p>As a program it records {@code --orders N} orders, one every {@code --interval-ms}, each in a transaction
 * that is safe to retry (the order's id is the primary key; a retry that finds it written adds nothing), and
 * prints what happened:
 *
 * <pre>
 * java -cp ... dev.drkit.examples.rotatingpool.RotatingPoolApp \
 *     --vault-addr https://vault.example:8200 \
 *     --role-id-file /etc/orders/vault-role-id --secret-id-file /etc/orders/vault-secret-id \
 *     --db-mount database --db-role orders-rw \
 *     --hosts db1.example:5432,db2.example:5432 --database orders --orders 100 --interval-ms 100
 * </pre>
 *
 * The {@code orders} table belongs to the schema's owner (a migration creates it); Vault's role grants its users
 * {@code SELECT, INSERT} on it. Exit codes as drkit's: 0 every order recorded, 1 some failed, 2 usage,
 * 3 environment (Vault or every database host unreachable, a file missing or too open).
 */
public final class RotatingPoolApp implements AutoCloseable {

    /** The table the app writes; a migration run by the schema's owner creates it. */
    public static final String SCHEMA = "CREATE TABLE IF NOT EXISTS orders ("
        + "id bigint PRIMARY KEY, written_by text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())";

    private static final List<String> OPTIONS = List.of("--vault-addr", "--role-id-file", "--secret-id-file",
        "--db-mount", "--db-role", "--hosts", "--database", "--orders", "--interval-ms");

    /** Where Vault and the database are. */
    public record Settings(URI vaultAddress, Path roleIdFile, Path secretIdFile, String databaseMount,
                           String databaseRole, List<Endpoint> hosts, String database) {
        public Settings {
            hosts = List.copyOf(hosts);
        }
    }

    private final VaultClient vault;
    private final DynamicDatabaseCredentials credentials;
    private final FailoverDataSource dataSource;

    private RotatingPoolApp(VaultClient vault, DynamicDatabaseCredentials credentials, FailoverDataSource dataSource) {
        this.vault = vault;
        this.credentials = credentials;
        this.dataSource = dataSource;
    }

    /**
     * Logs in to Vault, fetches the first database credentials and starts the failover pool over them.
     */
    public static RotatingPoolApp start(Settings settings) {
        Objects.requireNonNull(settings, "settings");
        VaultClient vault = VaultClient.start(VaultConfig.builder(settings.vaultAddress(),
                VaultAuth.appRoleFiles(settings.roleIdFile(), settings.secretIdFile()))
            .name("orders")
            .build());
        try {
            DynamicDatabaseCredentials credentials =
                vault.databaseCredentials(settings.databaseMount(), settings.databaseRole());
            // The data source listens to the credentials' rotations: new connections log in as the new user and
            // idle old ones are evicted; busy ones finish their work first.
            FailoverDataSource dataSource = FailoverDataSource.create(FailoverConfig.builder()
                .name("orders")
                .endpoints(settings.hosts())
                .database(settings.database())
                .credentials(credentials)
                .primaryWait(Duration.ofSeconds(15))
                // Also how long after a rotation the pools retire connections that were still logging in with
                // the old user: keep it well below the time Vault leaves between a rotation and the old lease's
                // end (a third of what was left when renewals were capped).
                .connectTimeoutSeconds(2)
                .build());
            return new RotatingPoolApp(vault, credentials, dataSource);
        } catch (RuntimeException e) {
            vault.close();
            throw e;
        }
    }

    /**
     * Records order {@code id}, returning the database user that wrote it. Safe to retry through a failover: the
     * id is the primary key and {@code ON CONFLICT DO NOTHING} makes a second run a no-op.
     *
     * @throws SQLException if it could not be recorded (no primary within the wait, or the database refused)
     */
    public String recordOrder(long id) throws SQLException {
        return dataSource.inTransaction(Retry.SAFE_TO_RETRY, connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO orders (id, written_by) VALUES (?, session_user) ON CONFLICT (id) DO NOTHING")) {
                insert.setLong(1, id);
                insert.executeUpdate();
            }
            try (PreparedStatement who = connection.prepareStatement("SELECT session_user");
                 ResultSet row = who.executeQuery()) {
                row.next();
                return row.getString(1);
            }
        });
    }

    /** Waits until the pool has confirmed a primary. */
    public boolean awaitPrimary(Duration timeout) throws InterruptedException {
        return dataSource.awaitPrimary(timeout);
    }

    /** The failover pool (for reads through {@code readOnly()}, metrics, listeners). */
    public FailoverDataSource dataSource() {
        return dataSource;
    }

    /** The rotating credentials (rotations so far, the current lease). */
    public DynamicDatabaseCredentials credentials() {
        return credentials;
    }

    /** Closes the pools, then revokes the Vault token and with it the database users' leases. */
    @Override
    public void close() {
        try {
            dataSource.close();
        } finally {
            vault.close();
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the program with {@code args}; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> options;
        Settings settings;
        int orders;
        long intervalMs;
        try {
            options = parse(args);
            settings = settings(options);
            orders = Integer.parseInt(options.get("--orders"));
            intervalMs = Long.parseLong(options.get("--interval-ms"));
            if (orders < 1 || intervalMs < 0) {
                throw new IllegalArgumentException("--orders must be >= 1 and --interval-ms >= 0");
            }
        } catch (IllegalArgumentException e) {
            err.println("rotating-pool: " + e.getMessage());
            err.println("usage: rotating-pool " + String.join(" VALUE ", OPTIONS) + " VALUE");
            return 2;
        }
        try (RotatingPoolApp app = start(settings)) {
            if (!app.awaitPrimary(Duration.ofSeconds(30))) {
                err.println("rotating-pool: no primary among " + settings.hosts() + " within 30 s");
                return 3;
            }
            int recorded = 0;
            int failed = 0;
            Set<String> users = new LinkedHashSet<>();
            long base = System.currentTimeMillis() * 1000;
            for (int i = 0; i < orders; i++) {
                try {
                    users.add(app.recordOrder(base + i));
                    recorded++;
                } catch (SQLException e) {
                    failed++;
                    err.println("rotating-pool: order " + (base + i) + " failed: " + e.getMessage());
                }
                Thread.sleep(intervalMs);
            }
            FailoverStats stats = app.dataSource().stats();
            out.printf("recorded %d, failed %d, database users %d, credential rotations %d, failovers %d%n",
                recorded, failed, users.size(), app.credentials().rotations(), stats.failovers());
            return failed == 0 ? 0 : 1;
        } catch (DrkitException e) {
            err.println("rotating-pool: " + e.getMessage());
            return e.kind().exitCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("rotating-pool: interrupted");
            return 3;
        }
    }

    private static Settings settings(Map<String, String> options) {
        URI address = URI.create(options.get("--vault-addr"));
        if (!Set.of("http", "https").contains(String.valueOf(address.getScheme()))) {
            throw new IllegalArgumentException("--vault-addr must be an http(s) URL");
        }
        List<Endpoint> hosts = new ArrayList<>();
        for (String host : options.get("--hosts").split(",")) {
            hosts.add(Endpoint.parse(host.strip()));
        }
        return new Settings(address, Path.of(options.get("--role-id-file")), Path.of(options.get("--secret-id-file")),
            options.get("--db-mount"), options.get("--db-role"), hosts, options.get("--database"));
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!OPTIONS.contains(name)) {
                throw new IllegalArgumentException("unknown option " + name);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            values.put(name, args[++i]);
        }
        for (String name : OPTIONS) {
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("missing " + name);
            }
        }
        return values;
    }
}
