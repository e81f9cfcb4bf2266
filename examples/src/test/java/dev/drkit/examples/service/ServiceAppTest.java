package dev.drkit.examples.service;

import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.failover.Endpoint;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.PgClusterConfig;
import dev.drkit.postgres.ReplicaOptions;
import dev.drkit.postgres.ReplicationMode;
import dev.drkit.postgres.StopMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

/**
 * Runs the service over a real primary and a synchronous streaming replica, crashes the primary
 * ({@code pg_ctl stop -m immediate}), promotes the replica, and checks that writes go on and that the SLO
 * trackers counted every request as the client saw it.
 */
class ServiceAppTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private PgCluster primary;
    private PgCluster replica;

    @AfterEach
    void tearDown() {
        if (replica != null) {
            replica.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void keepsServingWritesThroughAFailoverAndItsSloCountsTheFailedRequests() throws Exception {
        primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("service-primary").build());
        primary.execute(ServiceApp.SCHEMA);
        replica = primary.createReplica(ReplicaOptions.builder("service-replica").mode(ReplicationMode.SYNC).build());
        ServiceApp.Settings settings = new ServiceApp.Settings(
            List.of(Endpoint.of(PgCluster.HOST, primary.port()), Endpoint.of(PgCluster.HOST, replica.port())),
            "postgres", CredentialsSource.fixed(primary.superuser(), primary.superuserPassword()), 0,
            Duration.ofSeconds(1));
        int good = 0;
        int bad = 0;
        List<Long> acknowledged = new ArrayList<>();
        ServiceApp app = ServiceApp.start(settings);
        URI slo = uri(app.port(), "/slo");
        try {
            assertThat(app.dataSource().awaitPrimary(Duration.ofSeconds(20))).isTrue();
            for (long id = 1; id <= 10; id++) {
                HttpResponse<String> put = put(app, id, "item " + id);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
                assertThat(put.body()).contains("\"written_on\":" + primary.port());
                acknowledged.add(id);
                good++;
            }
            HttpResponse<String> read = get(app, "/orders/3");
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(read.body()).contains("\"item\":\"item 3\"");
            good++;
            assertThat(get(app, "/orders/999").statusCode()).as("a missing order is the client's problem").isEqualTo(404);
            good++;

            replica.awaitReplay(primary.currentLsn(), Duration.ofSeconds(10));
            primary.stop(StopMode.IMMEDIATE);
            // No primary until the replica is promoted: the request waits 1 s (per attempt) and fails.
            HttpResponse<String> during = put(app, 11, "during the outage");
            assertThat(during.statusCode()).as(during.body()).isEqualTo(503);
            assertThat(during.body()).contains("database unavailable");
            bad++;

            replica.promote();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                HttpResponse<String> put = put(app, 12, "after the promotion");
                if (put.statusCode() == 201) {
                    good++;
                    acknowledged.add(12L);
                    break;
                }
                assertThat(put.statusCode()).as(put.body()).isEqualTo(503);
                bad++;
                assertThat(System.nanoTime()).as("a write accepted after the promotion").isLessThan(deadline);
            }
            for (long id = 13; id <= 15; id++) {
                HttpResponse<String> put = put(app, id, "item " + id);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
                assertThat(put.body()).contains("\"written_on\":" + replica.port());
                acknowledged.add(id);
                good++;
            }
            assertThat(app.dataSource().stats().failovers()).isEqualTo(1);

            // Every request is one event, counted as the client saw it.
            ServiceApp.SloStatus availability = app.sloStatus().get(0);
            assertThat(availability.name()).isEqualTo(ServiceApp.AVAILABILITY_SLO);
            assertThat(availability.good()).isEqualTo(good);
            assertThat(availability.bad()).isEqualTo(bad).isGreaterThanOrEqualTo(1);
            assertThat(availability.errorRatio()).isCloseTo((double) bad / (good + bad), offset(1e-9));
            assertThat(availability.budgetRemaining()).isLessThan(1.0);
            // At least 1 bad in under 30 requests burns far faster than 14.4 x: the page alerts fire.
            assertThat(availability.firingAlerts()).contains("PAGE 1h/5m");
            // The failed request took at least the 1 s wait: bad for the latency objective too.
            ServiceApp.SloStatus latency = app.sloStatus().get(1);
            assertThat(latency.bad()).isGreaterThanOrEqualTo(bad);
            assertThat(latency.good() + latency.bad()).isEqualTo(good + bad);

            HttpResponse<String> status = get(app, "/slo");
            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(status.body())
                .contains("\"name\":\"" + ServiceApp.AVAILABILITY_SLO + "\"")
                .contains("\"good\":" + good + ",\"bad\":" + bad)
                .contains("\"failovers\":1")
                .contains("\"primary\":\"" + Endpoint.of(PgCluster.HOST, replica.port()).id() + "\"");
        } finally {
            app.close();
        }

        // Synchronous replication: every acknowledged write is on the promoted replica; the failed one is not.
        for (long id : acknowledged) {
            assertThat(replica.queryLong("SELECT count(*) FROM orders WHERE id = " + id)).as("order %d", id).isOne();
        }
        assertThat(replica.queryLong("SELECT count(*) FROM orders WHERE id = 11")).isZero();
        // Closed: the port no longer answers.
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(slo).GET().build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    }

    @Test
    void aMissingOptionIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ServiceApp.run(new String[] {"--hosts", "127.0.0.1:5432"},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("missing --database");
    }

    @Test
    void aPortOutOfRangeIsAUsageErrorNotAStackTrace() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ServiceApp.run(new String[] {"--hosts", "127.0.0.1:5432", "--database", "orders", "--user", "app",
                "--password-file", "/nonexistent/password", "--port", "70000"},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--port must be between 0 and 65535, but was 70000");
    }

    private HttpResponse<String> put(ServiceApp app, long id, String item) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(app.port(), "/orders/" + id)).timeout(Duration.ofSeconds(20))
            .PUT(HttpRequest.BodyPublishers.ofString(item)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(ServiceApp app, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(app.port(), path)).timeout(Duration.ofSeconds(20)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
