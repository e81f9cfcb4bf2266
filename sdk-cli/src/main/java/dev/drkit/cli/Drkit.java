package dev.drkit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The {@code drkit} command: a thin shell over drkit's modules for operators, cron and emergencies.
 *
 * <p>Exit codes (see {@link ExitCodes}): 0 success; 1 verification failed or the data is wrong; 2 usage
 * error; 3 environment error (unreachable, permission, missing tool, timeout); 70 an internal error.
 * Results go to standard output ({@code --json} where a command offers it); progress and errors to standard
 * error, one line each.
 *
 * @since 0.1
 */
@Command(
    name = "drkit",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Resilience and disaster-recovery tools: backups, PostgreSQL backups, PITR checks, secrets, failover drills.",
    footerHeading = "%nExit codes:%n",
    footer = {
        "  0  success",
        "  1  verification failed, or something is wrong with the data",
        "  2  usage error",
        "  3  environment error: unreachable, permission, missing tool, timeout",
        "  4  wal-fetch only: the archive has no such file (quiet)",
        "126  wal-fetch --stop-recovery-on-error only: any failure but 'no such file'",
        " 70  internal error (please report it)",
        "",
        "The demo drill runs from a source checkout: ./drkit demo [--json]"})
public final class Drkit implements Runnable {

    /**
     * The subcommands by name, in the order {@code drkit --help} lists them; {@code help} comes first. picocli
     * builds a command's model (every option, by reflection) when the command is added, which is most of what
     * starting {@code drkit} costs after the JVM itself, so {@link #commandLine(String...)} adds only the one a
     * command line names.
     */
    static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Entry point; exits the JVM with the command's exit code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line without exiting, for tests and embedding; returns the exit code. */
    public static int run(String... args) {
        CommandLine cli = commandLine(args);
        // one writer for the command and its subcommands, so that a failed write to it is seen here
        PrintWriter out = cli.getOut();
        cli.setOut(out);
        int code = cli.execute(args);
        // picocli's writer goes through System.out, a PrintStream that keeps its own write errors to itself
        boolean lost = out.checkError() | System.out.checkError();
        if (lost && code == ExitCodes.OK) {
            // a report or the ids of the backups made, lost to a full disk or a closed pipe: not a success
            PrintWriter err = cli.getErr();
            err.println("drkit: standard output could not be written (a full disk, a closed pipe?): what the command"
                + " printed is lost");
            err.flush();
            return ExitCodes.ENVIRONMENT;
        }
        return code;
    }

    /** The configured picocli command line with every subcommand: error handling and exit codes as documented above. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Drkit());
        SUBCOMMANDS.values().forEach(cli::addSubcommand);
        return ErrorReporter.install(KeyOptions.fitHelp(cli));
    }

    /**
     * The command line that runs {@code args}, as {@link #commandLine()} does, but built faster: when
     * {@code args} starts with a subcommand's name, only that subcommand is added (it and its own subcommands
     * parse, run and print help exactly as in the whole tree); {@code --version} alone needs none. Anything else
     * ({@code help}, {@code --help}, no arguments, an unknown name, an {@code @file}) gets every subcommand, so
     * listings and "did you mean" suggestions stay whole.
     */
    static CommandLine commandLine(String... args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            return ErrorReporter.install(new CommandLine(new Drkit()));
        }
        Class<?> only = args.length == 0 || args[0].equals("help") ? null : SUBCOMMANDS.get(args[0]);
        if (only == null) {
            return commandLine();
        }
        CommandLine cli = new CommandLine(new Drkit());
        cli.addSubcommand(only);
        return ErrorReporter.install(KeyOptions.fitHelp(cli));
    }

    private static Map<String, Class<?>> subcommands() {
        Map<String, Class<?>> all = new LinkedHashMap<>();
        all.put("help", CommandLine.HelpCommand.class);
        all.put("doctor", DoctorCommand.class);
        all.put("retention", RetentionCommand.class);
        all.put("rotate", RotateCommand.class);
        all.put("keygen", KeygenCommand.class);
        all.put("secrets", SecretsCommand.class);
        all.put("pitr", PitrCommand.class);
        all.put("pg", PgCommand.class);
        all.put("failover", FailoverCommand.class);
        all.put("backup", BackupCommand.class);
        all.put("list", ListCommand.class);
        all.put("verify", VerifyCommand.class);
        all.put("restore", RestoreCommand.class);
        all.put("wal-push", WalPushCommand.class);
        all.put("wal-fetch", WalFetchCommand.class);
        return Collections.unmodifiableMap(all);
    }

    @Override
    public void run() {
        throw missingSubcommand(spec);
    }

    /**
     * The usage error of a command that only groups others, run without one ({@code drkit}, {@code drkit pitr}):
     * exit code 2 and the command's usage on standard error, so a cron line or script missing a word fails instead
     * of passing having done nothing.
     */
    static CommandLine.ParameterException missingSubcommand(CommandLine.Model.CommandSpec spec) {
        String names = spec.subcommands().keySet().stream().filter(name -> !name.equals("help"))
            .collect(Collectors.joining(", "));
        return new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: one of " + names);
    }
}
