package dev.drkit.examples.demo;

import dev.drkit.cli.ErrorReporter;
import dev.drkit.cli.ExitCodes;
import dev.drkit.core.drill.DrillHistory;
import dev.drkit.core.drill.DrillReport;
import dev.drkit.core.drill.Verdict;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ./drkit demo}: runs {@link DemoDrill} and prints its report, as text or ({@code --json}) as JSON.
 * Exit code 0 when every step passed and RTO and RPO met their targets; 3 when the environment stopped the
 * drill (no PostgreSQL, no way to run it); 1 when the drill ran and failed.
 */
@Command(name = "drkit demo", mixinStandardHelpOptions = true,
    description = {
        "Runs a disaster-recovery drill on this machine with embedded defaults: a PostgreSQL primary that",
        "archives WAL through drkit and a synchronous replica on 127.0.0.1, an encrypted base backup, a steady",
        "canary workload through drkit's failover DataSource, encrypted file backups (rotated, verified,",
        "restored), verification of the WAL archive, a PITR drill to the middle of the workload, a crash of the",
        "primary and promotion of the replica, and a report of each step with the measured RTO and RPO.",
        "Progress goes to standard error, the report to standard output."})
public final class Demo implements Callable<Integer> {

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--keep",
        description = "Keep the clusters' directories (stopped) and the stores, and print where they are.")
    boolean keep;

    @Option(names = "--history", paramLabel = "FILE",
        description = "Append the report as one JSON line to FILE (created 0600).")
    Path history;

    private final PrintStream out;
    private final PrintStream err;
    private final DemoDrill.Options options;

    Demo(PrintStream out, PrintStream err, DemoDrill.Options options) {
        this.out = out;
        this.err = err;
        this.options = options;
    }

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, DemoDrill.Options.defaults(), args));
    }

    /** Runs the demo with the given streams and options; returns the exit code. */
    static int run(PrintStream out, PrintStream err, DemoDrill.Options options, String... args) {
        CommandLine cli = ErrorReporter.install(new CommandLine(new Demo(out, err, options)));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        DemoDrill drill = new DemoDrill(options.keepingClusters(keep), err);
        DrillReport report = drill.run();
        // The report first: a failing history file must not lose it.
        out.println(json ? report.toJson() : report.toText());
        out.flush();
        if (history != null) {
            DrillHistory.at(history).append(report);
            err.println("demo: report appended to " + history);
        }
        if (drill.failure().isPresent()) {
            err.println("drkit demo: " + ErrorReporter.describe(drill.failure().get()));
            return ExitCodes.of(drill.failure().get());
        }
        return report.verdict() == Verdict.PASS ? ExitCodes.OK : ExitCodes.DATA;
    }
}
