package dev.drkit.examples.demo;

import dev.drkit.core.DrkitException;
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
 * Exit code 0 when every step passed and RTO and RPO met their targets, 1 when not, 3 when the environment
 * stopped the drill.
 */
@Command(name = "drkit demo", mixinStandardHelpOptions = true,
    description = {
        "Runs a disaster-recovery drill on this machine with embedded defaults: a PostgreSQL primary and a",
        "synchronous replica on 127.0.0.1, a steady canary workload, a crash of the primary, promotion of the",
        "replica, and a report of each step with the measured RTO and RPO.",
        "Progress goes to standard error, the report to standard output."})
public final class Demo implements Callable<Integer> {

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--keep", description = "Keep the clusters' directories (stopped) and print where they are.")
    boolean keep;

    @Option(names = "--history", paramLabel = "FILE",
        description = "Append the report as one JSON line to FILE (created 0600).")
    Path history;

    private final PrintStream out;
    private final PrintStream err;

    Demo(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    /** Runs the demo with the given streams; returns the exit code. */
    static int run(PrintStream out, PrintStream err, String... args) {
        CommandLine cli = new CommandLine(new Demo(out, err));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            err.println("drkit demo: " + (e instanceof DrkitException ? e.getMessage() : e.getClass().getName()));
            return e instanceof DrkitException ? ((DrkitException) e).kind().exitCode() : 70;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        DrillReport report = new DemoDrill(DemoDrill.Options.defaults().keepingClusters(keep), err).run();
        if (history != null) {
            DrillHistory.at(history).append(report);
            err.println("demo: report appended to " + history);
        }
        out.println(json ? report.toJson() : report.toText());
        out.flush();
        return report.verdict() == Verdict.PASS ? 0 : 1;
    }
}
