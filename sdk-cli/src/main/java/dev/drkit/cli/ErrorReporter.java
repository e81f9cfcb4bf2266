package dev.drkit.cli;

import dev.drkit.core.DrkitException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;

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
            usage.handleParseException(e, args)));
        return cli;
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
