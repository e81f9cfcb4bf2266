package dev.drkit.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

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

    /**
     * Runs drkit in a JVM of its own, for what only a process has: its own environment (edited by {@code environment}
     * from this one's), a terminal, or a kill. Output goes through files in {@code dir}.
     */
    static CliRun inChild(Path dir, Consumer<Map<String, String>> environment, String... args) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(childCommand(args));
        environment.accept(builder.environment());
        Path out = Files.createTempFile(dir, "child", ".out");
        Path err = Files.createTempFile(dir, "child", ".err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("drkit " + String.join(" ", args) + " did not finish");
        }
        return new CliRun(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    }

    /** The command line that runs drkit with {@code args} in a new JVM on this test's class path. */
    static List<String> childCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), Drkit.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    @Override
    public String toString() {
        return "exit " + code + "\nstdout: " + out + "\nstderr: " + err;
    }
}
