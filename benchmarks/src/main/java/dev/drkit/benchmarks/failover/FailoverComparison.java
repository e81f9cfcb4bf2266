package dev.drkit.benchmarks.failover;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.DatabaseCredentials;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.Retry;
import dev.drkit.failover.drill.FailoverDrill;
import dev.drkit.postgres.ReplicationMode;

import javax.sql.DataSource;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The same failover drills through drkit's DataSource and through the usual alternative, HikariCP over a pgjdbc
 * multi-host URL with {@code targetServerType=primary} (default settings, and tuned timeouts), printing each
 * figure side by side as medians over the repeats.
 *
 * <p>{@code --through} names: {@code drkit} (its DataSource, plain autocommit inserts, not retried),
 * {@code drkit-retry} (the same DataSource, each row written by {@code inTransaction(Retry.SAFE_TO_RETRY, ...)}
 * with an idempotent insert), {@code hikari} and {@code hikari-tuned} (HikariCP has no such helper: its writes
 * are never retried). The default set is {@code drkit,drkit-retry,hikari,hikari-tuned}.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.drkit.benchmarks.failover.FailoverComparison [--repeat N]
 *     [--scenario crash,freeze,zombie] [--replication sync|async]
 *     [--through drkit,drkit-retry,hikari,hikari-tuned]
 * </pre>
 */
public final class FailoverComparison {

    private FailoverComparison() {
    }

    public static void main(String[] args) throws Exception {
        int repeat = 3;
        List<String> scenarios = List.of("crash", "freeze", "zombie");
        List<String> throughs = List.of("drkit", "drkit-retry", "hikari", "hikari-tuned");
        ReplicationMode replication = ReplicationMode.SYNC;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--scenario" -> scenarios = Arrays.asList(args[++i].split(","));
                case "--through" -> throughs = Arrays.asList(args[++i].split(","));
                case "--replication" -> replication = ReplicationMode.valueOf(args[++i].toUpperCase(Locale.ROOT));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        for (String through : throughs) {
            if (!List.of("drkit", "drkit-retry", "hikari", "hikari-tuned").contains(through)) {
                throw new IllegalArgumentException("--through takes drkit, drkit-retry, hikari, hikari-tuned, but was "
                    + through);
            }
        }
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        Map<String, List<FailoverDrill.Result>> results = new LinkedHashMap<>();
        for (String scenario : scenarios) {
            for (String through : throughs) {
                List<FailoverDrill.Result> runs = new ArrayList<>();
                for (int r = 0; r < repeat; r++) {
                    FailoverDrill.Options options = FailoverDrill.Options.of(
                        FailoverDrill.Scenario.valueOf(scenario.toUpperCase(Locale.ROOT)), replication);
                    if (through.equals("drkit-retry")) {
                        options = options.withRetry(Retry.SAFE_TO_RETRY);
                    } else if (!through.equals("drkit")) {
                        options = options.through(through, factory(through.equals("hikari-tuned")));
                    }
                    FailoverDrill.Result result = new FailoverDrill(options, quiet).run();
                    System.err.printf("%s via %s #%d: %s%n", scenario, through, r + 1, line(result));
                    runs.add(result);
                }
                results.put(scenario + " | " + through, runs);
            }
        }
        System.out.printf("%n%-26s | %9s | %7s | %24s | %24s | %16s | %19s | %7s | %4s | %11s | %s%n",
            "scenario | through", "detect ms", "retried", "1st write, left recovery ms", "1st write, promote start",
            "failed in flight", "failed after break", "delayed", "lost", "old primary", "verdicts");
        for (Map.Entry<String, List<FailoverDrill.Result>> entry : results.entrySet()) {
            List<FailoverDrill.Result> runs = entry.getValue();
            System.out.printf("%-26s | %9s | %7s | %24s | %24s | %16s | %19s | %7s | %4s | %11s | %s%n", entry.getKey(),
                medianMillis(runs, FailoverDrill.Result::timeToDetect),
                runs.get(0).retry() == Retry.SAFE_TO_RETRY ? median(runs, FailoverDrill.Result::retried) : "never",
                medianMillis(runs, FailoverDrill.Result::firstWriteAfterPromotion),
                medianMillis(runs, FailoverDrill.Result::firstWriteAfterPromote),
                median(runs, FailoverDrill.Result::failedInFlight),
                median(runs, FailoverDrill.Result::failedAfterBreak), median(runs, FailoverDrill.Result::delayed),
                median(runs, FailoverDrill.Result::lost), median(runs, FailoverDrill.Result::zombieWrites),
                runs.stream().map(r -> r.report().verdict().name()).collect(Collectors.joining(",")));
        }
    }

    private static String line(FailoverDrill.Result r) {
        return "detect " + r.timeToDetect().map(d -> d.toMillis() + " ms").orElse("-") + ", first write after leaving recovery "
            + r.firstWriteAfterPromotion().map(d -> d.toMillis() + " ms").orElse("never") + " (from the promote start "
            + r.firstWriteAfterPromote().map(d -> d.toMillis() + " ms").orElse("never") + "), failed " + r.failed()
            + " (" + r.failedInFlight() + " in flight at the break, " + r.failedAfterBreak() + " started after it)"
            + ", retried " + (r.retry() == Retry.SAFE_TO_RETRY ? Long.toString(r.retried()) : "never")
            + ", delayed " + r.delayed() + ", lost " + r.lost() + ", old primary " + r.zombieWrites() + ", "
            + r.report().verdict();
    }

    private static String medianMillis(List<FailoverDrill.Result> runs,
                                       Function<FailoverDrill.Result, Optional<Duration>> figure) {
        List<Long> values = runs.stream().map(figure).filter(Optional::isPresent).map(o -> o.get().toMillis())
            .sorted().toList();
        if (values.isEmpty()) {
            return "-";
        }
        String median = Long.toString(values.get(values.size() / 2));
        return values.size() < runs.size() ? median + " (" + values.size() + "/" + runs.size() + ")" : median;
    }

    private static String median(List<FailoverDrill.Result> runs, Function<FailoverDrill.Result, Long> figure) {
        List<Long> values = runs.stream().map(figure).sorted().toList();
        return Long.toString(values.get(values.size() / 2));
    }

    /** HikariCP over a pgjdbc multi-host URL, as the baseline measured it. */
    static FailoverDrill.DataSourceFactory factory(boolean tuned) {
        return (List<Endpoint> hosts, CredentialsSource credentials) -> {
            DatabaseCredentials current = credentials.current();
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl("jdbc:postgresql://" + hosts.stream().map(Endpoint::id).collect(Collectors.joining(","))
                + "/postgres?targetServerType=primary");
            config.setUsername(current.username());
            config.setPassword(new String(current.password().reveal()));
            config.setMaximumPoolSize(10);
            if (tuned) {
                config.addDataSourceProperty("connectTimeout", "2");
                config.addDataSourceProperty("socketTimeout", "2");
                config.addDataSourceProperty("loginTimeout", "4");
                config.setConnectionTimeout(5000);
            }
            DataSource dataSource = new HikariDataSource(config);
            return dataSource;
        };
    }
}
