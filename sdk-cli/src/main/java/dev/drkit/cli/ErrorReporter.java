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
 * carry anything. {@code DRKIT_DEBUG} in the environment adds the stack trace.
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
        PrintWriter err = cli.getErr();
        err.println(cli.getCommandSpec().qualifiedName() + ": " + describe(e));
        if (System.getenv("DRKIT_DEBUG") != null) {
            e.printStackTrace(err);
        }
        err.flush();
        return ExitCodes.of(e);
    }

    /** A drkit exception's message; for anything else, its type and how to see more. */
    public static String describe(Throwable e) {
        if (e instanceof DrkitException) {
            return e.getMessage();
        }
        return "internal error (" + e.getClass().getName() + "); set DRKIT_DEBUG=1 for the stack trace";
    }
}
