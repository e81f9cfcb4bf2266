package dev.drkit.cli;

import dev.drkit.core.DrkitException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.util.List;

/**
 * How every drkit command reports a failure: one readable line on standard error,
 * {@code drkit COMMAND: message}, and the exit code of {@link ExitCodes#of(Throwable)}. Only drkit's own
 * exception messages are printed; for any other exception only its type, since a third-party message may
 * carry anything. {@code DRKIT_DEBUG} in the environment adds the stack trace. An {@link Error} (out of memory, a
 * stack overflow, a class that cannot be loaded) is reported the same way instead of escaping as a stack trace with
 * exit code 1: running out of heap as an environment error (exit 3), the others as internal errors (70).
 *
 * @since 0.1
 */
public final class ErrorReporter implements IExecutionExceptionHandler {

    /**
     * Installs this reporter and drkit's exit codes on {@code cli}.
     *
     * @return {@code cli}
     * @since 0.1
     */
    public static CommandLine install(CommandLine cli) {
        CommandLine.IExecutionStrategy strategy = cli.getExecutionStrategy();
        cli.setExecutionStrategy(parsed -> {
            try {
                return strategy.execute(parsed);
            } catch (Error e) {
                // picocli lets Errors through, which would end drkit with a stack trace and exit code 1 ("the data
                // is wrong"); hand them to the handler as one line and an exit code of what they are.
                List<CommandLine> commands = parsed.asCommandLineList();
                throw new CommandLine.ExecutionException(commands.get(commands.size() - 1), e.toString(), e);
            }
        });
        cli.setExecutionExceptionHandler(new ErrorReporter());
        cli.setExitCodeExceptionMapper(ExitCodes::of);
        CommandLine.IParameterExceptionHandler usage = cli.getParameterExceptionHandler();
        cli.setParameterExceptionHandler((e, args) -> WalFetchCommand.usageExitCode(args,
            e instanceof CommandLine.UnmatchedArgumentException unmatched ? reportUnmatched(unmatched)
                : usage.handleParseException(e, args)));
        return cli;
    }

    /**
     * Reports arguments no option takes by the options' names only: picocli's own message repeats every value, and
     * a value after a mistyped option ({@code --passphrase hunter2}) may be a secret that stderr, cron's mail or a
     * server log would keep.
     */
    private static int reportUnmatched(CommandLine.UnmatchedArgumentException e) {
        CommandLine cli = e.getCommandLine();
        PrintWriter err = cli.getErr();
        List<String> options = e.getUnmatched().stream().filter(a -> a.startsWith("-") && a.length() > 1)
            .map(a -> "'" + (a.indexOf('=') > 0 ? a.substring(0, a.indexOf('=')) : a) + "'").toList();
        long values = e.getUnmatched().stream().filter(a -> !a.startsWith("-") || a.length() == 1).count()
            + e.getUnmatched().stream().filter(a -> a.startsWith("-") && a.indexOf('=') > 0).count();
        String hidden = values == 0 ? "" : (options.isEmpty() ? "" : " and ") + values + " value"
            + (values == 1 ? "" : "s") + " (not repeated here: a value may be a secret)";
        err.println(options.isEmpty() ? "Unmatched argument" + (values == 1 ? ": " : "s: ") + hidden
            : "Unknown option" + (options.size() == 1 ? ": " : "s: ") + String.join(", ", options) + hidden);
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            cli.usage(err);
        }
        err.flush();
        return cli.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cli, ParseResult parsed) {
        Throwable failure = e instanceof CommandLine.ExecutionException && e.getCause() instanceof Error
            ? e.getCause() : e;
        PrintWriter err = cli.getErr();
        err.println(cli.getCommandSpec().qualifiedName() + ": " + describe(failure));
        if (System.getenv("DRKIT_DEBUG") != null) {
            failure.printStackTrace(err);
        }
        err.flush();
        return ExitCodes.of(failure);
    }

    /**
     * A drkit exception's message; for running out of heap, how much there was and how to give more; for anything
     * else, its type and how to see more.
     */
    public static String describe(Throwable e) {
        if (e instanceof DrkitException) {
            return e.getMessage();
        }
        if (e instanceof OutOfMemoryError) {
            return "out of memory (" + (e.getMessage() == null ? "OutOfMemoryError" : e.getMessage()) + "): the "
                + "Java heap of " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB is too small for this;"
                + " give drkit more, e.g. DRKIT_JAVA_OPTS=-Xmx1g (see docs/cli.md)";
        }
        return "internal error (" + e.getClass().getName() + "); set DRKIT_DEBUG=1 for the stack trace";
    }
}
