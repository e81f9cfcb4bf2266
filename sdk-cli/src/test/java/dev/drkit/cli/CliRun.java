package dev.drkit.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * One {@code drkit} command line run, in this JVM as {@code main} runs it or in a child: its exit code and what it
 * printed. Read as fields or accessors, as the tests that shared it were written.
 */
final class CliRun {

    final int code;
    final String out;
    final String err;

    CliRun(int code, String out, String err) {
        this.code = code;
        this.out = out;
        this.err = err;
    }

    int code() {
        return code;
    }

    String out() {
        return out;
    }

    String err() {
        return err;
    }

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + code + "\nstdout: " + out + "\nstderr: " + err;
    }
}
