package dev.drkit.examples.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.drkit.core.DrkitException;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import dev.drkit.core.slo.BurnRateAlert;
import dev.drkit.core.slo.ServiceLevelObjective;
import dev.drkit.core.slo.SloTracker;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;
import dev.drkit.failover.FailoverDataSource;
import dev.drkit.failover.FailoverSQLException;
import dev.drkit.failover.FailoverStats;
import dev.drkit.failover.Retry;
import dev.drkit.failover.micrometer.FailoverMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A plain Java HTTP service (the JDK's {@link HttpServer}, no framework) whose database is a primary and its
 * streaming replicas behind sdk-failover's {@link FailoverDataSource}, and whose requests feed two of sdk-core's
 * {@link SloTracker}s: availability (99.9% of requests answered without a server error) and latency (99% answered
 * successfully within 250 ms).
 *
 * <ul>
 * <li>{@code PUT /orders/{id}} (body: the item, UTF-8, at most 1 KiB) records an order on the primary, in a
 *     transaction marked safe to retry (the id is the primary key, and {@code ON CONFLICT DO NOTHING} makes a
 *     second run a no-op), so a failover in the middle of it runs it again on the new primary. 201, with the
 *     port of the server that holds it.</li>
 * <li>{@code GET /orders/{id}} reads through {@link FailoverDataSource#readOnly()}: a replica within the data
 *     source's lag bound, else the primary. 200 or 404.</li>
 * <li>{@code GET /slo} shows both objectives: events good and bad, error ratio over the last 5 minutes, error
 *     budget left, firing burn-rate alerts, and the data source's failover counters.</li>
 * </ul>
 *
 * <p>Every {@code /orders} request is one SLO event with its latency: a 2xx or 4xx answer succeeded, a 5xx (the
 * database had no primary within {@link Settings#primaryWait()}, or failed) did not. The wait is short on
 * purpose: a web request should fail fast, and the SLO should see it, rather than hang for the data source's
 * default 15 s.
 *
 * <pre>
 * java -cp ... dev.drkit.examples.service.ServiceApp \
 *     --hosts db1.example:5432,db2.example:5432 --database orders \
 *     --user orders --password-file /etc/orders/db-password --port 8080
 * </pre>
 *
 * Runs until stopped (SIGTERM or Ctrl-C): then it stops taking requests, lets those in flight finish (up to 2 s)
 * and closes the pools. Exit codes as drkit's: 0 stopped cleanly, 2 usage, 3 environment (the password file
 * missing or too open, the port taken). Instances are thread-safe.
 */
public final class ServiceApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServiceApp.class);

    /** The table the service writes; a migration run by the schema's owner creates it. */
    public static final String SCHEMA = "CREATE TABLE IF NOT EXISTS orders ("
        + "id bigint PRIMARY KEY, item text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())";

    /** The availability objective's name, in metric tags and logs: {@value}. */
    public static final String AVAILABILITY_SLO = "orders-availability";
    /** The latency objective's name: {@value}. */
    public static final String LATENCY_SLO = "orders-latency";
    /** What counts as fast enough for the latency objective. */
    public static final Duration LATENCY_THRESHOLD = Duration.ofMillis(250);

    private static final int MAX_ITEM_BYTES = 1024;
    private static final Pattern ORDER_PATH = Pattern.compile("/orders/(\\d{1,18})");
    private static final Duration STATUS_WINDOW = Duration.ofMinutes(5);
    private static final List<String> OPTIONS = List.of("--hosts", "--database", "--user", "--password-file",
        "--port");

    /**
     * Where the database is, who the service logs in as, where it listens.
     *
     * @param hosts       the primary and its replicas, in any order
     * @param database    the database name
     * @param credentials the database user (a fixed one, or rotating ones from Vault: see rotatingpool)
     * @param port        the port on 127.0.0.1; 0 for any free port
     * @param primaryWait how long a request waits for a primary during a failover before it fails with 503
     */
    public record Settings(List<Endpoint> hosts, String database, CredentialsSource credentials, int port,
                           Duration primaryWait) {
        public Settings {
            hosts = List.copyOf(hosts);
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(credentials, "credentials");
            Objects.requireNonNull(primaryWait, "primaryWait");
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be between 0 and 65535, but was " + port);
            }
        }
    }

    /**
     * One objective as {@code GET /slo} shows it.
     *
     * @param name             the objective
     * @param target           the share of requests that must be good
     * @param good             good requests since the service started
     * @param bad              bad requests since the service started
     * @param errorRatio       the share of bad requests over the last 5 minutes
     * @param budgetRemaining  the share of the error budget left over the objective's window (30 days)
     * @param firingAlerts     the burn-rate alerts that fire now, such as {@code PAGE 1h/5m}
     */
    public record SloStatus(String name, double target, long good, long bad, double errorRatio,
                            double budgetRemaining, List<String> firingAlerts) {
        public SloStatus {
            firingAlerts = List.copyOf(firingAlerts);
        }
    }

    private final FailoverDataSource dataSource;
    private final MeterRegistry registry;
    private final SloTracker availability;
    private final SloTracker latency;
    private final HttpServer server;
    private final ExecutorService workers;
    private final Object closeLock = new Object();
    private boolean closed;

    private ServiceApp(FailoverDataSource dataSource, MeterRegistry registry, SloTracker availability,
                       SloTracker latency, HttpServer server, ExecutorService workers) {
        this.dataSource = dataSource;
        this.registry = registry;
        this.availability = availability;
        this.latency = latency;
        this.server = server;
        this.workers = workers;
    }

    /** Starts the service with its own meter registry. */
    public static ServiceApp start(Settings settings) throws IOException {
        return start(settings, new SimpleMeterRegistry());
    }

    /**
     * Starts the data source (its monitor finds the primary in the background), the SLO trackers reporting to
     * {@code registry} (a service would pass its Prometheus registry), and the HTTP server on 127.0.0.1.
     *
     * @throws IOException if the port cannot be bound
     */
    public static ServiceApp start(Settings settings, MeterRegistry registry) throws IOException {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(registry, "registry");
        SloTracker availability = SloTracker.of(ServiceLevelObjective.availability(AVAILABILITY_SLO, 0.999)
            .meterRegistry(registry).build());
        SloTracker latency = SloTracker.of(ServiceLevelObjective.latency(LATENCY_SLO, LATENCY_THRESHOLD, 0.99)
            .meterRegistry(registry).build());
        FailoverDataSource dataSource = FailoverDataSource.create(FailoverConfig.builder()
            .name("orders")
            .endpoints(settings.hosts())
            .database(settings.database())
            .credentials(settings.credentials())
            .maximumPoolSize(8)
            .primaryWait(settings.primaryWait())
            .build());
        new FailoverMetrics(dataSource).bindTo(registry);
        ExecutorService workers = Executors.newFixedThreadPool(8, runnable -> {
            Thread thread = new Thread(runnable, "orders-http");
            thread.setDaemon(true);
            return thread;
        });
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), settings.port()), 64);
        } catch (IOException | RuntimeException e) {
            workers.shutdown();
            dataSource.close();
            throw e;
        }
        ServiceApp app = new ServiceApp(dataSource, registry, availability, latency, server, workers);
        server.createContext("/orders/", app::orders);
        server.createContext("/slo", app::slo);
        server.setExecutor(workers);
        server.start();
        log.info("Orders service listening on http://{}:{} over {}", server.getAddress().getAddress().getHostAddress(), server.getAddress().getPort(),
            settings.hosts());
        return app;
    }

    /** The port the service listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The failover data source (for its topology and counters). */
    public FailoverDataSource dataSource() {
        return dataSource;
    }

    /** The registry the trackers and the data source report to. */
    public MeterRegistry meterRegistry() {
        return registry;
    }

    /** Both objectives now: availability first, then latency. */
    public List<SloStatus> sloStatus() {
        return List.of(status(availability), status(latency));
    }

    // ------------------------------------------------------------------ requests

    private void orders(HttpExchange exchange) throws IOException {
        long start = System.nanoTime();
        int status = 500;
        try {
            Matcher path = ORDER_PATH.matcher(exchange.getRequestURI().getPath());
            if (!path.matches()) {
                status = respond(exchange, 404, "{\"error\":\"no such resource\"}");
            } else if (exchange.getRequestMethod().equals("PUT")) {
                status = put(exchange, Long.parseLong(path.group(1)));
            } else if (exchange.getRequestMethod().equals("GET")) {
                status = get(exchange, Long.parseLong(path.group(1)));
            } else {
                exchange.getResponseHeaders().set("Allow", "GET, PUT");
                status = respond(exchange, 405, "{\"error\":\"method not allowed\"}");
            }
        } catch (SQLException e) {
            log.warn("Orders service: {} {} failed: {}", exchange.getRequestMethod(),
                exchange.getRequestURI().getPath(), e.getMessage());
            if (e instanceof FailoverSQLException) {
                // No primary within the wait, or the primary lost after the retries: the client may try again.
                exchange.getResponseHeaders().set("Retry-After", "1");
                status = respond(exchange, 503, "{\"error\":\"database unavailable\"}");
            } else {
                status = respond(exchange, 500, "{\"error\":\"database error\"}");
            }
        } catch (RuntimeException e) {
            log.error("Orders service: {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                e);
            status = respond(exchange, 500, "{\"error\":\"internal error\"}");
        } finally {
            exchange.close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            // 4xx is the client's doing: the service did its job. 5xx spends the error budget.
            boolean success = status < 500;
            availability.record(took, success);
            latency.record(took, success);
        }
    }

    private int put(HttpExchange exchange, long id) throws IOException, SQLException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_ITEM_BYTES + 1);
        }
        if (body.length == 0 || body.length > MAX_ITEM_BYTES) {
            return respond(exchange, 400, "{\"error\":\"the item must be 1 to " + MAX_ITEM_BYTES + " bytes\"}");
        }
        String item = new String(body, StandardCharsets.UTF_8);
        int writtenOn = dataSource.inTransaction(Retry.SAFE_TO_RETRY, connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO orders (id, item) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")) {
                insert.setLong(1, id);
                insert.setString(2, item);
                insert.executeUpdate();
            }
            return serverPort(connection);
        });
        return respond(exchange, 201, "{\"id\":" + id + ",\"written_on\":" + writtenOn + "}");
    }

    private int get(HttpExchange exchange, long id) throws IOException, SQLException {
        Optional<String> item;
        int readFrom;
        try (Connection connection = dataSource.readOnly().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT item FROM orders WHERE id = ?")) {
            select.setLong(1, id);
            try (ResultSet row = select.executeQuery()) {
                item = row.next() ? Optional.of(row.getString(1)) : Optional.empty();
            }
            readFrom = serverPort(connection);
        }
        if (item.isEmpty()) {
            return respond(exchange, 404, "{\"error\":\"no order " + id + "\"}");
        }
        return respond(exchange, 200, "{\"id\":" + id + ",\"item\":" + json(item.get()) + ",\"read_from\":"
            + readFrom + "}");
    }

    private static int serverPort(Connection connection) throws SQLException {
        try (PreparedStatement port = connection.prepareStatement("SELECT inet_server_port()");
             ResultSet row = port.executeQuery()) {
            row.next();
            return row.getInt(1);
        }
    }

    private void slo(HttpExchange exchange) throws IOException {
        try {
            if (!exchange.getRequestMethod().equals("GET")) {
                respond(exchange, 405, "{\"error\":\"method not allowed\"}");
                return;
            }
            respond(exchange, 200, sloJson());
        } finally {
            exchange.close();
        }
    }

    /** What {@code GET /slo} answers: both objectives and the failover counters, as one JSON object. */
    public String sloJson() {
        StringBuilder json = new StringBuilder("{\"objectives\":[");
        List<SloStatus> statuses = sloStatus();
        for (int i = 0; i < statuses.size(); i++) {
            SloStatus s = statuses.get(i);
            List<String> alerts = new ArrayList<>();
            s.firingAlerts().forEach(a -> alerts.add(json(a)));
            json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                "{\"name\":%s,\"target\":%s,\"good\":%d,\"bad\":%d,\"error_ratio_5m\":%.6f,"
                    + "\"error_budget_remaining\":%.6f,\"firing_alerts\":[%s]}",
                json(s.name()), s.target(), s.good(), s.bad(), s.errorRatio(), s.budgetRemaining(),
                String.join(",", alerts)));
        }
        FailoverStats stats = dataSource.stats();
        json.append("],\"failover\":{\"primary\":")
            .append(json(dataSource.topology().primary().map(Endpoint::id).orElse("none")))
            .append(",\"failovers\":").append(stats.failovers())
            .append(",\"requests_failed\":").append(stats.requestsFailed()).append("}}");
        return json.toString();
    }

    private SloStatus status(SloTracker tracker) {
        String name = tracker.objective().name();
        List<String> alerts = new ArrayList<>();
        for (BurnRateAlert alert : tracker.firingAlerts()) {
            alerts.add(alert.severity() + " " + alert.label());
        }
        return new SloStatus(name, tracker.objective().target(), events(name, "good"), events(name, "bad"),
            tracker.errorRatio(STATUS_WINDOW), tracker.errorBudgetRemaining(), alerts);
    }

    private long events(String slo, String outcome) {
        Counter counter = registry.find("drkit.slo.events").tag("slo", slo).tag("outcome", outcome).counter();
        return counter == null ? 0 : (long) counter.count();
    }

    private static int respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = (json + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
        return status;
    }

    private static String json(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Stops taking requests, lets those in flight finish (up to 2 s), then closes the pools. Idempotent.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            server.stop(2);
            workers.shutdown();
            try {
                if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
                    workers.shutdownNow();
                }
            } catch (InterruptedException e) {
                workers.shutdownNow();
                Thread.currentThread().interrupt();
            }
        } finally {
            dataSource.close();
            log.info("Orders service stopped");
        }
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        // After a clean stop the JVM is already shutting down: exiting again would only wait for it.
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the service until the JVM is asked to stop; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> options;
        List<Endpoint> hosts = new ArrayList<>();
        int port;
        try {
            options = parse(args);
            for (String host : options.get("--hosts").split(",")) {
                hosts.add(Endpoint.parse(host.strip()));
            }
            port = Integer.parseInt(options.get("--port"));
            if (port < 0 || port > 65_535) {
                // here, not only in Settings: a bad value is a usage error (2), not a stack trace
                throw new IllegalArgumentException("--port must be between 0 and 65535, but was " + port);
            }
        } catch (IllegalArgumentException e) {
            err.println("orders-service: " + e.getMessage());
            err.println("usage: orders-service " + String.join(" VALUE ", OPTIONS) + " VALUE");
            return 2;
        }
        // The password stays in the Secret (the data source holds it) until the service stops.
        try (Secret password = Secrets.fromFile(Path.of(options.get("--password-file")))) {
            Settings settings = new Settings(hosts, options.get("--database"),
                CredentialsSource.fixed(options.get("--user"), password), port, Duration.ofSeconds(2));
            CountDownLatch stopped = new CountDownLatch(1);
            ServiceApp app = start(settings);
            Thread hook = new Thread(() -> {
                app.close();
                stopped.countDown();
            }, "orders-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            out.println("listening on http://127.0.0.1:" + app.port());
            stopped.await();
            return 0;
        } catch (DrkitException e) {
            err.println("orders-service: " + e.getMessage());
            return e.kind().exitCode();
        } catch (IOException e) {
            err.println("orders-service: cannot listen on port " + port + ": " + e.getMessage());
            return 3;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 3;
        }
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
