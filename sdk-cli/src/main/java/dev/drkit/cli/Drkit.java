package dev.drkit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

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
    subcommands = {
        CommandLine.HelpCommand.class,
        DoctorCommand.class,
        RetentionCommand.class,
        RotateCommand.class,
        KeygenCommand.class,
        SecretsCommand.class,
        PitrCommand.class,
        PgCommand.class,
        FailoverCommand.class,
        BackupCommand.class,
        ListCommand.class,
        VerifyCommand.class,
        RestoreCommand.class,
        WalPushCommand.class,
        WalFetchCommand.class},
    footerHeading = "%nExit codes:%n",
    footer = {
        "  0  success",
        "  1  verification failed, or something is wrong with the data",
        "  2  usage error",
        "  3  environment error: unreachable, permission, missing tool, timeout",
        "  4  wal-fetch only: the archive has no such file (quiet)",
        " 70  internal error (please report it)",
        "",
        "The demo drill runs from a source checkout: ./drkit demo [--json]"})
public final class Drkit implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Entry point; exits the JVM with the command's exit code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line without exiting, for tests and embedding; returns the exit code. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The configured picocli command line: error handling and exit codes as documented above. */
    public static CommandLine commandLine() {
        return ErrorReporter.install(new CommandLine(new Drkit()));
    }

    @Override
    public void run() {
        // "drkit" alone: show what it can do.
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
