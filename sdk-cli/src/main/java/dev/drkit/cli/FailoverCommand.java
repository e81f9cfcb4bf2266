package dev.drkit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.core.drill.Verdict;
import dev.drkit.failover.Retry;
import dev.drkit.failover.drill.FailoverDrill;
import dev.drkit.postgres.ReplicationMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code drkit failover}: the failover DataSource's tools. Its one subcommand, {@code drill}, runs a failover
 * drill on this machine and prints its report: exit 0 when it passed, 1 when it did not, 3 when the environment
 * stopped it.
 */
@Command(name = "failover", mixinStandardHelpOptions = true,
    description = "Failover of a PostgreSQL primary to its replica, as drkit's DataSource sees it.",
    subcommands = FailoverCommand.Drill.class)
final class FailoverCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw Drkit.missingSubcommand(spec);
    }

    /** {@code drkit failover drill}. */
    @Command(name = "drill", mixinStandardHelpOptions = true,
        description = {"Starts a primary and a replica on 127.0.0.1, writes numbered rows through drkit's failover "
            + "DataSource, breaks the primary, promotes the replica one second later, and reports: time to detect, "
            + "time from the promotion to the first successful write, requests failed and delayed, acknowledged "
            + "writes lost, and writes that reached the old primary after the promotion.",
            "Exit 0 if it passed, 1 if it did not, 3 if the environment stopped it."})
    static final class Drill implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--scenario", defaultValue = "crash", paramLabel = "crash|freeze|zombie",
            description = "How to break the primary: crash (kill -9), freeze (SIGSTOP: no reset, only silence), "
                + "zombie (crash, promote, restart the old primary as a primary). Default: ${DEFAULT-VALUE}.")
        String scenario;

        @Option(names = "--crash-by", defaultValue = "kill", paramLabel = "kill|immediate",
            description = "How crash and zombie stop the primary: kill (kill -9 of the postmaster) or immediate "
                + "(pg_ctl stop -m immediate: the backends warn their clients and exit at once). "
                + "Default: ${DEFAULT-VALUE}.")
        String crashBy;

        @Option(names = "--replication", defaultValue = "sync", paramLabel = "sync|async",
            description = "The replica's replication. Default: ${DEFAULT-VALUE}.")
        String replication;

        @Option(names = "--stall-walsender", paramLabel = "DURATION",
            description = "With --scenario crash: stop (SIGSTOP) the primary's WAL sender for this long while the "
                + "writes go on, then kill -9 it with the primary, e.g. 2s or 1500ms. Under async replication this "
                + "loses acknowledged writes; the drill counts them and checks the data source reported them.")
        String stallWalSender;

        @Option(names = "--retry", defaultValue = "never", paramLabel = "never|safe",
            description = "never: each row is one plain insert, and a write whose connection broke fails. safe: each "
                + "row is written by the DataSource's inTransaction(SAFE_TO_RETRY, ...) with an idempotent insert "
                + "(ON CONFLICT (id) DO NOTHING), so a write whose connection broke runs again on the new primary; "
                + "the drill then requires 0 failed writes when the outage is shorter than the DataSource's wait "
                + "for a primary. Default: ${DEFAULT-VALUE}.")
        String retry;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @Override
        public Integer call() {
            FailoverDrill.Scenario chosen = parse(FailoverDrill.Scenario.class, scenario, "--scenario");
            ReplicationMode mode = parse(ReplicationMode.class, replication, "--replication");
            PrintWriter err = spec.commandLine().getErr();
            // Progress lines go to standard error, one per step.
            PrintStream progress = new PrintStream(new LineForwarder(err), true, StandardCharsets.UTF_8);
            FailoverDrill.CrashBy how = parse(FailoverDrill.CrashBy.class, crashBy, "--crash-by");
            FailoverDrill.Options options = FailoverDrill.Options.of(chosen, mode);
            if (parseRetry(retry) == Retry.SAFE_TO_RETRY) {
                options = options.withRetry(Retry.SAFE_TO_RETRY);
            }
            if (how != FailoverDrill.CrashBy.KILL) {
                try {
                    options = options.withCrashBy(how);
                } catch (IllegalArgumentException e) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--crash-by: " + e.getMessage());
                }
            }
            if (stallWalSender != null) {
                try {
                    options = options.withStallWalSender(parseStall(stallWalSender));
                } catch (IllegalArgumentException e) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--stall-walsender: " + e.getMessage());
                }
            }
            FailoverDrill drill = new FailoverDrill(options, progress);
            FailoverDrill.Result result = drill.run();

            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(toJson(result).toPrettyString());
            } else {
                out.print(result.report().toText());
                out.println(figures(result));
            }
            out.flush();
            if (drill.failure().isPresent()) {
                err.println("drkit failover drill: " + drill.failure().get().getMessage());
                err.flush();
                return ExitCodes.ENVIRONMENT;
            }
            return result.report().verdict() == Verdict.PASS ? ExitCodes.OK : ExitCodes.DATA;
        }

        private Retry parseRetry(String value) {
            switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "never":
                    return Retry.NEVER;
                case "safe":
                    return Retry.SAFE_TO_RETRY;
                default:
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--retry must be one of [never, safe], but was '" + value + "'");
            }
        }

        static String retryName(Retry retry) {
            return retry == Retry.SAFE_TO_RETRY ? "safe" : "never";
        }

        /** {@code 2s}, {@code 1500ms}; at most 60 s, checked by the drill's options. */
        private Duration parseStall(String text) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,6})(ms|s)")
                .matcher(text.strip().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new IllegalArgumentException("must be a duration such as 2s or 1500ms, but was '" + text + "'");
            }
            long n = Long.parseLong(m.group(1));
            Duration d = m.group(2).equals("ms") ? Duration.ofMillis(n) : Duration.ofSeconds(n);
            if (d.isZero()) {
                throw new IllegalArgumentException("must be longer than 0, but was '" + text + "'");
            }
            return d;
        }

        private <E extends Enum<E>> E parse(Class<E> type, String value, String option) {
            try {
                return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    option + " must be one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT)
                        + ", but was '" + value + "'");
            }
        }

        static ObjectNode toJson(FailoverDrill.Result result) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode();
            try {
                root.set("report", mapper.readTree(result.report().toJson()));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("the drill report is not JSON", e);
            }
            ObjectNode figures = root.putObject("failover");
            figures.put("retry", retryName(result.retry()));
            figures.put("retried", result.retried());
            putMillis(figures, "timeToDetectMillis", result.timeToDetect());
            putMillis(figures, "firstWriteAfterPromotionMillis", result.firstWriteAfterPromotion());
            putMillis(figures, "firstWriteAfterPromoteStartMillis", result.firstWriteAfterPromote());
            figures.put("acknowledged", result.acknowledged());
            figures.put("failed", result.failed());
            figures.put("failedInFlightAtBreak", result.failedInFlight());
            figures.put("failedStartedAfterBreak", result.failedAfterBreak());
            if (result.failedAfterDetection().isPresent()) {
                figures.put("failedStartedAfterDetection", result.failedAfterDetection().getAsLong());
            } else {
                figures.putNull("failedStartedAfterDetection");
            }
            figures.put("delayed", result.delayed());
            figures.put("lost", result.lost());
            figures.put("writesToOldPrimary", result.zombieWrites());
            if (result.dataLossReport().isPresent()) {
                figures.put("dataLossReported", result.dataLossReport().get());
            } else {
                figures.putNull("dataLossReported");
            }
            return root;
        }

        private static void putMillis(ObjectNode node, String name, Optional<Duration> value) {
            if (value.isPresent()) {
                node.put(name, value.get().toMillis());
            } else {
                node.putNull(name);
            }
        }

        private static String figures(FailoverDrill.Result result) {
            return String.format("%nfailover figures%n  retry                             %s%n"
                    + "  time to detect                    %s%n"
                    + "  first write after the promotion   %s%n  requests failed / delayed         %d / %d%n"
                    + "    in flight at the break          %d%n    started after the break         %d%n"
                    + "      of them after detection       %s%n"
                    + "  acknowledged writes lost          %d of %d%n  writes to the old primary after   %d%n"
                    + "  data loss reported                %s%n",
                retryName(result.retry()) + (result.retry() == Retry.SAFE_TO_RETRY ? " (" + result.retried()
                    + " writes acknowledged after a retry)" : ""),
                millis(result.timeToDetect()), millis(result.firstWriteAfterPromotion()), result.failed(),
                result.delayed(), result.failedInFlight(), result.failedAfterBreak(),
                result.failedAfterDetection().isPresent() ? Long.toString(result.failedAfterDetection().getAsLong())
                    : "not measured", result.lost(),
                result.acknowledged(), result.zombieWrites(),
                result.dataLossReport().orElse("no"));
        }

        private static String millis(Optional<Duration> value) {
            return value.map(d -> d.toMillis() + " ms").orElse("not measured");
        }
    }

    /** Forwards whole lines of bytes to a writer. */
    private static final class LineForwarder extends java.io.OutputStream {
        private final PrintWriter target;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineForwarder(PrintWriter target) {
            this.target = target;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                target.println(line.toString(StandardCharsets.UTF_8));
                target.flush();
                line.reset();
            } else {
                line.write(b);
            }
        }
    }
}
