package dev.drkit.cli.docs;

import dev.drkit.cli.Drkit;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs every command in docs/, so the docs cannot drift from the code. The rules are in {@link DocCommands}:
 * {@code sh} and {@code console} blocks run (console output is compared exactly); a block marked
 * {@code <!-- not-run: REASON -->} is listed here and counted, and the count is pinned below, so a new one is
 * a decision someone made in a diff, not a silent skip.
 */
class DocsCommandsTest {

    /** Command blocks shown but not run (each says why in the docs). Change it only with a reason in the docs. */
    static final int NOT_RUN_BLOCKS = 16;

    /** Languages that look like commands but would not be run: write {@code sh} or {@code console} instead. */
    static final Set<String> HIDDEN_SHELLS = Set.of("bash", "shell", "zsh", "shell-session", "shellsession");

    static Path docs() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("docs")) && Files.isRegularFile(p.resolve("docs/README.md"))) {
                return p.resolve("docs");
            }
        }
        throw new IllegalStateException("no docs/ above " + dir);
    }

    static List<Path> pages() {
        Path docs = docs();
        try (Stream<Path> walk = Files.walk(docs)) {
            return walk.filter(p -> p.toString().endsWith(".md")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The project's other Markdown pages: the README a newcomer reads first, the modules' and examples' READMEs,
     * the benchmarks' pages. Their commands are not run here (the README's are the demo and the whole build), but
     * the options they give drkit commands are checked as docs/'s are.
     */
    static List<Path> otherPages() {
        Path root = docs().getParent();
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> p.toString().endsWith(".md"))
                .filter(p -> {
                    Path relative = root.relativize(p);
                    String first = relative.getName(0).toString();
                    return !first.equals("docs") && !first.startsWith(".") && !relative.toString().contains("/target/")
                        && !first.equals("target") && !relative.toString().contains("node_modules");
                })
                .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<DocCommands.Block> allBlocks() {
        return pages().stream().flatMap(p -> DocCommands.blocks(docs(), p).stream()).toList();
    }

    @Test
    void everyCodeBlockNamesItsLanguageSoNoCommandHides() {
        List<String> untagged = allBlocks().stream()
            .filter(b -> b.language().isEmpty() || HIDDEN_SHELLS.contains(b.language()))
            .map(b -> b.where() + " [" + b.language() + "]")
            .toList();
        assertThat(untagged)
            .as("code blocks without a language, or with a shell language that is not run (use sh, console or text)")
            .isEmpty();
    }

    @Test
    void blocksThatAreNotRunAreCountedAndSayWhy() {
        List<DocCommands.Block> notRun = allBlocks().stream().filter(b -> b.notRunReason() != null).toList();
        System.out.println("Command blocks in docs/ that are not run (" + notRun.size() + "):");
        notRun.forEach(b -> System.out.println("  " + b.where() + ": " + b.notRunReason()));
        assertThat(notRun).allSatisfy(b -> {
            assertThat(b.isCommand()).as(b.where() + ": not-run marks a command block (sh or console)").isTrue();
            assertThat(b.notRunReason()).as(b.where() + ": the reason").isNotBlank();
        });
        assertThat(notRun).as("not-run blocks: " + notRun.stream().map(DocCommands.Block::where).toList())
            .hasSize(NOT_RUN_BLOCKS);
    }

    @Test
    void theDocsRunCommandsAtAll() {
        List<DocCommands.Block> runs = allBlocks().stream().filter(DocCommands.Block::runs).toList();
        Set<String> pagesThatRun = runs.stream().map(DocCommands.Block::page).collect(Collectors.toSet());
        assertThat(pagesThatRun).contains("docs/getting-started.md", "docs/runbook.md", "docs/emergency-restore.md",
            "docs/retention.md", "docs/keys.md", "docs/backup.md");
    }

    @TestFactory
    Stream<DynamicTest> everyPageRunsItsCommands() {
        List<List<DocCommands.Block>> runnable = pages().stream()
            .map(p -> DocCommands.blocks(docs(), p))
            .filter(blocks -> blocks.stream().anyMatch(DocCommands.Block::runs))
            .toList();
        // Pages are independent (a scratch directory and gpg home each); two at a time, since most of the time
        // is JVM start-up of the drkit commands.
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<PageRunner.Result>> results = runnable.stream()
            .map(blocks -> pool.submit(() -> PageRunner.run(blocks)))
            .toList();
        pool.shutdown();
        return IntStream.range(0, runnable.size())
            .mapToObj(i -> DynamicTest.dynamicTest(runnable.get(i).get(0).page(), () -> {
                List<DocCommands.Block> blocks = runnable.get(i);
                PageRunner.Result result = results.get(i).get();
                System.out.println(result.output());
                assertThat(result.exitCode())
                    .as("%s: the block at %s failed (exit %d); its output:%n%s", blocks.get(0).page(),
                        result.failedAt(), result.exitCode(), tail(result.output()))
                    .isZero();
            }));
    }

    /**
     * Synopses, tables and prose name options too: every {@code --option} given to a {@code drkit} command in a
     * code span or block of docs/ must be an option of that command.
     */
    @Test
    void everyOptionTheDocsGiveADrkitCommandExists() throws IOException {
        List<String> unknown = new ArrayList<>();
        int checked = 0;
        List<Path> everyPage = new ArrayList<>(pages());
        everyPage.addAll(otherPages());
        assertThat(everyPage).as("pages checked").contains(docs().getParent().resolve("README.md"));
        for (Path page : everyPage) {
            String name = docs().getParent().relativize(page).toString();
            List<String> lines = Files.readAllLines(page);
            boolean inBlock = false;
            StringBuilder continued = new StringBuilder();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.trim().startsWith("```")) {
                    inBlock = !inBlock;
                    continued.setLength(0);
                    continue;
                }
                List<String> spans = new ArrayList<>();
                if (inBlock) {
                    // a command continued with a backslash is one command: its options on later lines count too
                    if (line.endsWith("\\")) {
                        continued.append(line, 0, line.length() - 1).append(' ');
                        continue;
                    }
                    spans.add(continued + line);
                    continued.setLength(0);
                } else {
                    Matcher m = CODE_SPAN.matcher(line);
                    while (m.find()) {
                        spans.add(m.group(1));
                    }
                }
                for (String span : spans) {
                    for (OptionUse use : optionUses(span)) {
                        checked++;
                        if (use.command().findOption(use.option()) == null) {
                            unknown.add(name + ":" + (i + 1) + ": " + use.command().qualifiedName() + " "
                                + use.option());
                        }
                    }
                }
            }
        }
        assertThat(checked).as("options checked").isGreaterThan(100);
        assertThat(unknown).as("options the docs give drkit commands that they do not have").isEmpty();
    }

    /**
     * docs/benchmarks.md is written by {@code benchmarks/run}, which copies the hand-written analysis in from
     * benchmarks/side-by-side.md: an edit made to the page alone would be lost at the next run.
     */
    @Test
    void theBenchmarksPageEndsWithTheAnalysisBenchmarksRunCopiesIn() throws IOException {
        String page = Files.readString(docs().resolve("benchmarks.md"));
        String analysis = Files.readString(docs().getParent().resolve("benchmarks/side-by-side.md"));
        assertThat(analysis).startsWith("## Earlier runs, with analysis");
        assertThat(page.endsWith(analysis))
            .as("docs/benchmarks.md ends with benchmarks/side-by-side.md as it stands; edit the analysis there")
            .isTrue();
    }

    private static final CommandLine ROOT = Drkit.commandLine();

    private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");

    /** How a word that stands where a subcommand must, and is none, shows among the unknown options. */
    static final String NO_SUCH_COMMAND = "no such subcommand: ";

    /** Words after "drkit" that are not its picocli subcommands but are right: the launcher's own. */
    private static final Set<String> NOT_SUBCOMMANDS = Set.of("demo");

    /** Tokens after which a word is run as a command. */
    private static final Set<String> COMMAND_POSITION = Set.of("$", "|", "&&", "||", ";", "exec", "sudo", "time");

    private record OptionUse(CommandSpec command, String option) {
    }

    private static final Pattern QUOTED = Pattern.compile("'[^']*'|\"[^\"]*\"");

    /**
     * The {@code --options} given to each {@code drkit SUBCOMMAND} in one line or code span. A quoted drkit
     * command inside another (a {@code --restore-command 'drkit wal-fetch ...'}) is a command of its own, and the
     * outer command's options go on after it.
     */
    static List<OptionUse> optionUses(String text) {
        List<OptionUse> uses = new ArrayList<>();
        StringBuilder outside = new StringBuilder();
        Matcher quoted = QUOTED.matcher(text);
        int last = 0;
        while (quoted.find()) {
            outside.append(text, last, quoted.start()).append(" QUOTED ");
            uses.addAll(unquotedOptionUses(quoted.group().substring(1, quoted.group().length() - 1)));
            last = quoted.end();
        }
        outside.append(text, last, text.length());
        uses.addAll(0, unquotedOptionUses(outside.toString()));
        return uses;
    }

    private static List<OptionUse> unquotedOptionUses(String text) {
        List<OptionUse> uses = new ArrayList<>();
        String[] tokens = text.trim().split("\\s+");
        for (int i = 0; i < tokens.length; i++) {
            String t = strip(tokens[i]);
            if (!t.equals("drkit") && !t.equals("./drkit")) {
                continue;
            }
            CommandLine command = ROOT;
            int j = i + 1;
            while (j < tokens.length && command.getSubcommands().containsKey(strip(tokens[j]))) {
                command = command.getSubcommands().get(strip(tokens[j]));
                j++;
            }
            // a word where a subcommand must stand that is none ("drkit pitr verfy"): an option of NO_SUCH_COMMAND
            boolean run = i == 0 || COMMAND_POSITION.contains(tokens[i - 1]);   // not "... give drkit more"
            if (run && j < tokens.length && !command.getSubcommands().isEmpty()
                && strip(tokens[j]).matches("[a-z][a-z-]*[a-z]") && !NOT_SUBCOMMANDS.contains(strip(tokens[j]))) {
                uses.add(new OptionUse(command.getCommandSpec(), NO_SUCH_COMMAND + strip(tokens[j])));
                continue;
            }
            if (command.getCommandSpec().parent() == null) {
                continue;    // "drkit demo", "drkit COMMAND", "drkit --help": no subcommand to check against
            }
            for (; j < tokens.length; j++) {
                String token = tokens[j];
                // a shell separator, or prose setting drkit beside another tool ("drkit X vs pg_waldump --stats")
                if (token.startsWith("#") || token.equals("|") || token.equals("&&") || token.equals("||")
                    || token.equals(";") || token.equals("vs") || token.equals("/") || strip(token).equals("drkit")) {
                    break;
                }
                String option = strip(token);
                int eq = option.indexOf('=');
                if (eq > 0) {
                    option = option.substring(0, eq);
                }
                if (option.matches("--[a-z0-9][a-z0-9-]*")) {
                    uses.add(new OptionUse(command.getCommandSpec(), option));
                }
            }
        }
        return uses;
    }

    private static String strip(String token) {
        return token.replaceAll("^[\\[({'\"]+", "").replaceAll("[\\])}'\",.:;]+$", "");
    }

    // Checks on the checks: the runner must notice a failing command, output that differs, and a wrong exit code.

    @Test
    void aFailingCommandFailsThePageAndIsNamed() throws Exception {
        List<DocCommands.Block> blocks = DocCommands.blocks("docs/x.md", String.join("\n",
            "```sh", "echo fine", "```", "", "```sh", "true", "drkit verify --no-such-option", "echo not reached", "```"));
        PageRunner.Result result = PageRunner.run(blocks);
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.failedAt()).isEqualTo("docs/x.md:5");
        assertThat(result.output()).contains("Usage: drkit verify").doesNotContain("not reached");
    }

    @Test
    void consoleOutputThatDiffersFromTheDocsFailsThePage() throws Exception {
        List<DocCommands.Block> same = DocCommands.blocks("docs/x.md", String.join("\n",
            "```console", "$ printf 'a\\nb\\n' \\", "    | sort -r", "b", "a", "```"));
        assertThat(PageRunner.run(same).exitCode()).isZero();
        List<DocCommands.Block> differs = DocCommands.blocks("docs/x.md", String.join("\n",
            "```console", "$ echo hello", "goodbye", "```"));
        PageRunner.Result result = PageRunner.run(differs);
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.output()).contains("-goodbye", "+hello");
    }

    @Test
    void theExitCodeTheDocsStateIsChecked() throws Exception {
        List<DocCommands.Block> right = DocCommands.blocks("docs/x.md", String.join("\n",
            "<!-- exit: 3 -->", "```sh", "exit 3", "```", "", "```sh", "echo after", "```"));
        PageRunner.Result ok = PageRunner.run(right);
        assertThat(ok.exitCode()).isZero();
        assertThat(ok.output()).contains("after");
        List<DocCommands.Block> wrong = DocCommands.blocks("docs/x.md", String.join("\n",
            "<!-- exit: 1 -->", "```sh", "true", "```"));
        PageRunner.Result failed = PageRunner.run(wrong);
        assertThat(failed.exitCode()).isEqualTo(99);
        assertThat(failed.output()).contains("the docs say exit 1, but it exited 0");
    }

    @Test
    void anOptionADrkitCommandDoesNotHaveIsFound() {
        List<OptionUse> uses = optionUses("restore_command = 'drkit wal-fetch --store /a --no-such-flag %f %p'");
        assertThat(uses).extracting(OptionUse::option).containsExactly("--store", "--no-such-flag");
        assertThat(uses.get(0).command().qualifiedName()).isEqualTo("drkit wal-fetch");
        assertThat(uses.get(1).command().findOption("--no-such-flag")).isNull();
        assertThat(optionUses("drkit pitr verify [--rpo D] | drkit demo --json")).extracting(OptionUse::option)
            .containsExactly("--rpo");
        assertThat(optionUses("drkit pitr verify --json vs pg_waldump --stats")).extracting(OptionUse::option)
            .containsExactly("--json");
        assertThat(optionUses("drkit pitr verfy --json")).extracting(OptionUse::option)
            .containsExactly(NO_SUCH_COMMAND + "verfy");
        assertThat(optionUses("drkit bakup --store s")).extracting(OptionUse::option)
            .containsExactly(NO_SUCH_COMMAND + "bakup");
        List<OptionUse> nested = optionUses("drkit pitr drill --restore-command 'drkit wal-fetch --store /a %f %p'"
            + " --target-time T");
        assertThat(nested).extracting(use -> use.command().qualifiedName() + " " + use.option()).containsExactly(
            "drkit pitr drill --restore-command", "drkit pitr drill --target-time", "drkit wal-fetch --store");
    }

    @Test
    void notRunBlocksAndOtherLanguagesAreNotRun() throws Exception {
        List<DocCommands.Block> blocks = DocCommands.blocks("docs/x.md", String.join("\n",
            "<!-- not-run: needs a Vault server -->", "```sh", "exit 5", "```", "",
            "```text", "exit 6", "```", "", "```sh", "echo ran", "```"));
        assertThat(blocks).extracting(DocCommands.Block::runs).containsExactly(false, false, true);
        assertThat(blocks.get(0).notRunReason()).isEqualTo("needs a Vault server");
        assertThat(PageRunner.run(blocks).exitCode()).isZero();
    }

    private static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 60), lines.length));
    }
}
