package dev.drkit.benchmarks.secrets;

import com.sun.net.httpserver.HttpServer;
import dev.drkit.core.secret.Secret;
import dev.drkit.secrets.KvEngine;
import dev.drkit.secrets.KvSecret;
import dev.drkit.secrets.LeakTripwire;
import dev.drkit.secrets.VaultAuth;
import dev.drkit.secrets.VaultClient;
import dev.drkit.secrets.VaultConfig;
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

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A KV read answered from the cache ({@link KvEngine#read(String)} within the cache time), and the same plus a
 * copy of one value ({@link KvSecret#secret(String)}), against a baseline that returns a field. The Vault here is
 * a minimal HTTP answerer on 127.0.0.1 (login and one KV v2 read), asked once in setup; the measured calls never
 * reach it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CachedSecretReadBenchmark {

    private HttpServer server;
    private VaultClient client;
    private KvEngine kv;
    private String baseline = "app/api";

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/auth/approle/login", exchange -> answer(exchange,
            "{\"auth\":{\"client_token\":\"hvs.benchmarktoken0000000000\",\"lease_duration\":3600,"
                + "\"renewable\":true,\"policies\":[\"default\"]}}"));
        server.createContext("/v1/secret/data/app/api", exchange -> answer(exchange,
            "{\"data\":{\"data\":{\"key\":\"benchmark-value-0123456789\"},\"metadata\":{\"version\":1,"
                + "\"created_time\":\"2026-11-23T00:00:00Z\"}}}"));
        server.start();
        VaultConfig config = VaultConfig.builder(URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
                VaultAuth.appRole(() -> Secret.ofString("role-id-benchmark", "role-id"),
                    () -> Secret.ofString("secret-id-benchmark", "secret-id")))
            .name("benchmark")
            .tripwire(LeakTripwire.create())
            .revokeOnClose(false)
            .kvCacheTtl(Duration.ofHours(1))
            .maxStaleness(Duration.ofHours(2))
            .build();
        client = VaultClient.start(config);
        kv = client.kv2("secret");
        kv.read("app/api");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        client.close();
        server.stop(0);
    }

    @Benchmark
    public String baseline() {
        return baseline;
    }

    @Benchmark
    public KvSecret cachedRead() {
        return kv.read("app/api");
    }

    @Benchmark
    public int cachedReadAndCopyValue() {
        try (Secret s = kv.read("app/api").secret("key")) {
            return s.length();
        }
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
