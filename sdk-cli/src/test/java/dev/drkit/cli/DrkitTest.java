package dev.drkit.cli;

import dev.drkit.backup.postgres.WalReadAhead;
import dev.drkit.core.DataIntegrityException;
import dev.drkit.core.EnvironmentException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DrkitTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(CommandLine cli, String... args) {
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void printsItsVersionAndJava() {
        int code = run(Drkit.commandLine(), "--version");

        assertThat(code).isZero();
        assertThat(out.toString()).startsWith("drkit ").contains("Java " + System.getProperty("java.version"));
    }

    @Test
    void outputLostToAFullDiskIsNotASuccess() throws Exception {
        java.io.File full = new java.io.File("/dev/full");
        org.junit.jupiter.api.Assumptions.assumeTrue(full.canWrite(), "needs /dev/full");
        Process process = new ProcessBuilder(CliRun.childCommand("--version")).redirectOutput(full)
            .redirectErrorStream(false).start();
        String errors = new String(process.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);

        assertThat(process.waitFor()).as(errors).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(errors).contains("standard output could not be written");
    }

    @Test
    void helpListsTheExitCodes() {
        int code = run(Drkit.commandLine(), "--help");

        assertThat(code).isZero();
        assertThat(out.toString()).contains("Usage: drkit").contains("Exit codes:").contains("3  environment error");
    }

    @Test
    void aValueAfterAMistypedOptionIsNeverRepeated() {
        int code = run(Drkit.commandLine(), "backup", "--store", "/nowhere", "--passphrase", "hunter2-secret",
            "--pass-file=also-secret", "--source", "/etc/hostname");

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("'--passphrase'", "'--pass-file'", "not repeated here")
            .doesNotContain("hunter2-secret").doesNotContain("also-secret");
    }

    @Test
    void unknownOptionIsAUsageError() {
        int code = run(Drkit.commandLine(), "--no-such-option");

        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("Unknown option: '--no-such-option'");
    }

    @Test
    void aCommandThatOnlyGroupsOthersIsAUsageErrorWhenRunAlone() {
        for (List<String> group : List.of(List.<String>of(), List.of("pg"), List.of("pitr"), List.of("retention"),
            List.of("failover"), List.of("secrets"))) {
            StringWriter groupOut = new StringWriter();
            StringWriter groupErr = new StringWriter();
            String[] args = group.toArray(new String[0]);
            CommandLine cli = Drkit.commandLine(args);
            cli.setOut(new PrintWriter(groupOut, true));
            cli.setErr(new PrintWriter(groupErr, true));

            assertThat(cli.execute(args)).as("drkit %s", group).isEqualTo(ExitCodes.USAGE);
            assertThat(groupOut.toString()).as("drkit %s", group).isEmpty();
            assertThat(groupErr.toString()).as("drkit %s", group).startsWith("Missing subcommand: one of ")
                .contains("Usage: drkit" + (group.isEmpty() ? "" : " " + group.get(0)))
                .doesNotContain("one of help");
        }
    }

    @Test
    void dataFailureExitsOneWithOneReadableLine() {
        CommandLine cli = Drkit.commandLine().addSubcommand(new Failing(
            new DataIntegrityException("segment 000000010000000000000003 is missing", Map.of(), null)));

        int code = run(cli, "fail");

        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString().strip()).isEqualTo("drkit fail: segment 000000010000000000000003 is missing");
    }

    @Test
    void environmentFailureExitsThree() {
        CommandLine cli = Drkit.commandLine().addSubcommand(new Failing(
            new EnvironmentException("host 127.0.0.1:1 refused the connection", null)));

        assertThat(run(cli, "fail")).isEqualTo(ExitCodes.ENVIRONMENT);
    }

    @Test
    void foreignExceptionIsInternalAndHidesItsMessage() {
        CommandLine cli = Drkit.commandLine().addSubcommand(new Failing(
            new IllegalStateException("password=hunter2 leaked by a library")));

        int code = run(cli, "fail");

        assertThat(code).isEqualTo(ExitCodes.INTERNAL);
        assertThat(err.toString()).contains("java.lang.IllegalStateException").doesNotContain("hunter2");
    }

    @Test
    void runningOutOfHeapIsAnEnvironmentErrorOnOneLineWithoutAStackTrace() {
        CommandLine cli = Drkit.commandLine().addSubcommand(new FailingWithError(
            new OutOfMemoryError("Java heap space")));

        int code = run(cli, "fail");

        assertThat(code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString().strip()).startsWith("drkit fail: out of memory (Java heap space): the Java heap of ")
            .contains("DRKIT_JAVA_OPTS=-Xmx").doesNotContain("\n").doesNotContain("at dev.drkit");
    }

    @Test
    void aStackOverflowIsAnInternalErrorOnOneLine() {
        CommandLine cli = Drkit.commandLine().addSubcommand(new FailingWithError(new StackOverflowError()));

        int code = run(cli, "fail");

        assertThat(code).isEqualTo(ExitCodes.INTERNAL);
        assertThat(err.toString().strip()).isEqualTo("drkit fail: internal error (java.lang.StackOverflowError); "
            + "set DRKIT_DEBUG=1 for the stack trace");
    }

    @Test
    void anyOtherErrorIsAnInternalErrorOnOneLineNotAStackTraceWithExitOne() {
        // a jar rebuilt under a running JVM, a static initializer that threw: no VirtualMachineError, still an Error
        CommandLine cli = Drkit.commandLine().addSubcommand(new FailingWithError(
            new NoClassDefFoundError("dev/drkit/Gone")));

        int code = run(cli, "fail");

        assertThat(code).isEqualTo(ExitCodes.INTERNAL);
        assertThat(err.toString().strip()).isEqualTo("drkit fail: internal error (java.lang.NoClassDefFoundError); "
            + "set DRKIT_DEBUG=1 for the stack trace");
    }

    @Test
    void aCommandLineNamingASubcommandBuildsOnlyThatOne() {
        CommandLine cli = Drkit.commandLine("wal-fetch", "--store", "/a", "N", "P");

        assertThat(cli.getSubcommands()).containsOnlyKeys("wal-fetch");
        assertThat(cli.getSubcommands().get("wal-fetch").getSubcommands()).isEmpty();
        assertThat(Drkit.commandLine("pitr", "verify").getSubcommands().get("pitr").getSubcommands())
            .containsOnlyKeys("verify", "drill");
        assertThat(Drkit.commandLine("--version").getSubcommands()).isEmpty();
    }

    @Test
    void anythingElseGetsEverySubcommand() {
        List<String> all = List.copyOf(Drkit.commandLine().getSubcommands().keySet());

        assertThat(all).containsExactlyElementsOf(Drkit.SUBCOMMANDS.keySet()).contains("help", "wal-fetch", "pitr");
        for (String[] args : new String[][] {{}, {"help", "wal-fetch"}, {"--help"}, {"wal-fech"}, {"@args"},
                                             {"--version", "wal-fetch"}}) {
            assertThat(Drkit.commandLine(args).getSubcommands().keySet()).as(String.join(" ", args))
                .containsExactlyElementsOf(all);
        }
    }

    @Test
    void theSubcommandTableNamesEachCommandAsItsAnnotationDoes() {
        Drkit.SUBCOMMANDS.forEach((name, type) ->
            assertThat(type.getAnnotation(Command.class).name()).as(type.getName()).isEqualTo(name));
    }

    @Test
    void walFetchHelpShowsTheReadAheadRestoreCommandThatWalReadAheadMakes() {
        String generated = WalReadAhead.restoreCommand(Path.of("/spool"), Path.of("/archive/wal"),
            "drkit wal-fetch --spool /spool --store /archive/wal --passphrase-file /etc/drkit/wal.pass %f %p");
        // one element of the description, as the user reads it: picocli's %% is a %
        String shown = Arrays.stream(WalFetchCommand.class.getAnnotation(Command.class).description())
            .filter(line -> line.contains("--spool /spool")).findFirst().orElseThrow().replace("%%", "%");

        assertThat(shown.strip()).isEqualTo("restore_command = '" + generated + "'");
    }

    @Test
    void rotateHelpDoesNotBreakItsDescriptionMidSentence() {
        int code = run(Drkit.commandLine(), "rotate", "--help");

        assertThat(code).isZero();
        // picocli starts a line at each element of a description: a sentence split across two elements breaks
        assertThat(out.toString().lines().filter(line -> line.contains("restic's rules;")))
            .singleElement().asString().contains("restic's rules; see drkit retention plan)");
    }

    @Test
    void thePassphraseOptionsSpeakOfIdentityOnlyWhereTheCommandTakesOne() {
        for (String[] command : new String[][] {{"backup"}, {"wal-push"}, {"pg", "backup"}, {"verify"},
            {"restore"}, {"wal-fetch"}}) {
            StringWriter help = new StringWriter();
            CommandLine cli = Drkit.commandLine();
            cli.setOut(new PrintWriter(help, true));
            String[] args = java.util.Arrays.copyOf(command, command.length + 1);
            args[command.length] = "--help";
            assertThat(cli.execute(args)).isZero();

            String text = help.toString().replaceAll("\\s+", " ");
            assertThat(text).as(String.join(" ", command)).contains("--passphrase-file");
            if (text.contains("--identity=")) {
                assertThat(text).as(String.join(" ", command)).contains("With --identity: the private key's passphrase");
            } else {
                assertThat(text).as(String.join(" ", command)).doesNotContain("--identity");
            }
        }
    }

    @Test
    void aSubcommandAloneParsesAndPrintsHelpAsInTheWholeTree() {
        for (String name : Drkit.SUBCOMMANDS.keySet()) {
            StringWriter whole = new StringWriter();
            StringWriter alone = new StringWriter();
            CommandLine full = Drkit.commandLine();
            full.setOut(new PrintWriter(whole, true));
            full.setErr(new PrintWriter(whole, true));
            CommandLine lazy = Drkit.commandLine(name, "--help");
            lazy.setOut(new PrintWriter(alone, true));
            lazy.setErr(new PrintWriter(alone, true));

            assertThat(lazy.execute(name, "--help")).as(name).isEqualTo(full.execute(name, "--help"));
            assertThat(alone.toString()).as(name).isEqualTo(whole.toString()).contains("Usage: drkit " + name);
        }
        // a usage error inside a subcommand reads the same too
        String[] wrong = {"wal-fetch", "--store", "/a", "--no-such-option", "000000010000000000000001", "p"};
        StringWriter lazyErr = new StringWriter();
        CommandLine lazy = Drkit.commandLine(wrong);
        lazy.setErr(new PrintWriter(lazyErr, true));
        assertThat(lazy.execute(wrong)).isEqualTo(ExitCodes.USAGE);
        assertThat(run(Drkit.commandLine(), wrong)).isEqualTo(ExitCodes.USAGE);
        assertThat(lazyErr.toString()).isEqualTo(err.toString()).contains("Unknown option: '--no-such-option'");
    }

    @Command(name = "fail")
    static final class FailingWithError implements Runnable {
        private final Error failure;

        FailingWithError(Error failure) {
            this.failure = failure;
        }

        @Override
        public void run() {
            throw failure;
        }
    }

    @Command(name = "fail")
    static final class Failing implements Runnable {
        private final RuntimeException failure;

        Failing(RuntimeException failure) {
            this.failure = failure;
        }

        @Override
        public void run() {
            throw failure;
        }
    }
}
