package dev.drkit.cli.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fenced code blocks of a Markdown page, read by the rules that make the commands in drkit's docs tested:
 *
 * <ul>
 *   <li>every fence names its language; commands are {@code sh} or {@code console}, synopses and output are
 *       {@code text}, so no command hides in an untagged block;</li>
 *   <li>a {@code sh} block is run with bash, as it stands, after the page's earlier blocks, in one scratch
 *       directory per page, and must exit 0;</li>
 *   <li>a {@code console} block holds commands after {@code $ } (a line ending in {@code \} continues) and,
 *       below each, its exact standard output;</li>
 *   <li>{@code <!-- exit: N -->} just above a block: it must exit N instead (run in a subshell, so it changes
 *       nothing for the blocks after it);</li>
 *   <li>{@code <!-- not-run: REASON -->} just above a block: shown, not run, and counted;</li>
 *   <li>a {@code java} block is compiled against drkit's modules (see {@link DocsJavaTest}); what it uses but does
 *       not declare is declared in {@code <!-- java: DECLARATIONS -->} comments just above it.</li>
 * </ul>
 */
final class DocCommands {

    private static final Pattern FENCE = Pattern.compile("^( *)```(\\S*)\\s*$");
    private static final Pattern NOT_RUN = Pattern.compile("^<!--\\s*not-run:\\s*(.*?)\\s*-->$");
    private static final Pattern EXIT = Pattern.compile("^<!--\\s*exit:\\s*(\\d+)\\s*-->$");
    private static final Pattern JAVA_CONTEXT = Pattern.compile("^<!--\\s*java:\\s*(.*?)\\s*-->$");
    private static final Pattern COMMENT = Pattern.compile("^<!--.*-->$");

    /** One fenced block: where it is, its language, its text, and what the comments above it say. */
    record Block(String page, int line, String language, String text, String notRunReason, OptionalInt exit,
                 List<String> javaContext) {

        boolean isCommand() {
            return language.equals("sh") || language.equals("console");
        }

        boolean runs() {
            return isCommand() && notRunReason == null;
        }

        String where() {
            return page + ":" + line;
        }
    }

    /** A {@code $ } command of a console block and the standard output shown below it. */
    record ConsoleStep(String command, String expectedOutput) {
    }

    private DocCommands() {
    }

    /** The blocks of one page; {@code page} is the name reports use. */
    static List<Block> blocks(String page, String markdown) {
        List<String> lines = markdown.lines().toList();
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher open = FENCE.matcher(lines.get(i));
            if (!open.matches()) {
                continue;
            }
            int start = i;
            String indent = open.group(1);     // a block inside a list item: its lines carry the item's indent
            StringBuilder text = new StringBuilder();
            i++;
            while (i < lines.size() && !lines.get(i).trim().startsWith("```")) {
                String line = lines.get(i);
                text.append(line.startsWith(indent) ? line.substring(indent.length()) : line.stripLeading())
                    .append('\n');
                i++;
            }
            if (i == lines.size()) {
                throw new IllegalArgumentException(page + ":" + (start + 1) + ": a code block that is never closed");
            }
            String notRun = null;
            OptionalInt exit = OptionalInt.empty();
            List<String> javaContext = new ArrayList<>();
            for (int j = start - 1; j >= 0; j--) {
                String above = lines.get(j).trim();
                if (above.isEmpty()) {
                    continue;
                }
                if (!COMMENT.matcher(above).matches()) {
                    break;
                }
                Matcher n = NOT_RUN.matcher(above);
                Matcher e = EXIT.matcher(above);
                Matcher c = JAVA_CONTEXT.matcher(above);
                if (n.matches()) {
                    notRun = n.group(1);
                } else if (e.matches()) {
                    exit = OptionalInt.of(Integer.parseInt(e.group(1)));
                } else if (c.matches()) {
                    javaContext.add(0, c.group(1));    // read upwards: keep the page's order
                }
            }
            blocks.add(new Block(page, start + 1, open.group(2), text.toString(), notRun, exit,
                List.copyOf(javaContext)));
        }
        return blocks;
    }

    static List<Block> blocks(Path docs, Path file) {
        try {
            String page = docs.getParent().relativize(file).toString();
            return blocks(page, Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The commands of a console block, each with the output shown below it. */
    static List<ConsoleStep> consoleSteps(Block block) {
        List<ConsoleStep> steps = new ArrayList<>();
        List<String> lines = block.text().lines().toList();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (!line.startsWith("$ ")) {
                throw new IllegalArgumentException(block.where() + ": a console block must start each command with"
                    + " \"$ \", but line " + (i + 1) + " is \"" + line + "\"");
            }
            StringBuilder command = new StringBuilder(line.substring(2));
            while (command.toString().endsWith("\\") && i + 1 < lines.size()) {
                command.append('\n').append(lines.get(++i));
            }
            i++;
            StringBuilder output = new StringBuilder();
            while (i < lines.size() && !lines.get(i).startsWith("$ ")) {
                output.append(lines.get(i)).append('\n');
                i++;
            }
            steps.add(new ConsoleStep(command.toString(), output.toString()));
        }
        return steps;
    }
}
