package dev.drkit.cli.docs;

import dev.drkit.cli.docs.DocCommands.Block;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import java.io.File;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compiles every {@code java} block of the docs and the project's other pages against drkit's modules, so an API
 * change that breaks an example in the docs fails the build instead of a reader's first try.
 *
 * <p>A block is a method body (or, when it starts with an annotation, a member such as a {@code @Test} method):
 * it is compiled inside an abstract class whose method may throw anything, with
 * drkit's public packages and a few JDK and library types imported (see {@link #IMPORTS}). {@code { ... }}
 * stands for code left out and compiles as an empty block. What a block uses without declaring it (the
 * reader's registry, logger, repository) is declared just above it in Markdown comments, which readers do not
 * see: {@code <!-- java: MeterRegistry registry; Logger log; -->}, as class members (fields, abstract methods,
 * nested types), or {@code <!-- java: import some.Type; -->}.
 */
class DocsJavaTest {

    /** Imported by every block: drkit's public packages, and the JDK and library types the docs use unqualified. */
    static final List<String> IMPORTS = List.of(
        "dev.drkit.backup.*", "dev.drkit.backup.postgres.*", "dev.drkit.backup.postgres.wal.*",
        "dev.drkit.backup.retention.*", "dev.drkit.backup.store.*",
        "dev.drkit.core.*", "dev.drkit.core.drill.*", "dev.drkit.core.health.*", "dev.drkit.core.resilience.*",
        "dev.drkit.core.secret.*", "dev.drkit.core.slo.*", "dev.drkit.core.time.*",
        "dev.drkit.failover.*", "dev.drkit.failover.drill.*", "dev.drkit.failover.event.*",
        "dev.drkit.failover.micrometer.*", "dev.drkit.postgres.*",
        "dev.drkit.secrets.*", "dev.drkit.secrets.hikari.*", "dev.drkit.secrets.micrometer.*",
        "java.io.*", "java.net.URI", "java.nio.file.*", "java.sql.Connection", "java.sql.SQLException",
        "java.time.*", "java.util.*", "javax.sql.DataSource",
        "io.micrometer.core.instrument.MeterRegistry", "com.zaxxer.hikari.HikariConfig",
        "com.zaxxer.hikari.HikariDataSource", "org.slf4j.Logger");

    /**
     * One block as a compilation unit: the unit's lines {@code [contextLine, bodyLine)} hold the members declared
     * in the block's comments (with the method header after them), and {@code bodyLine} the block's first line.
     */
    record Snippet(Block block, String className, String source, int contextLine, int bodyLine) {

        /** Where a line of the unit comes from: the page's line for the block's own lines, else what wraps it. */
        String where(long unitLine) {
            if (unitLine >= bodyLine && unitLine < bodyLine + block.text().lines().count()) {
                return block.page() + ":" + (block.line() + 1 + (unitLine - bodyLine));
            }
            if (unitLine >= contextLine && unitLine < bodyLine) {
                return block.page() + ":" + block.line() + " (its java: comments)";
            }
            String line = source.lines().skip(Math.max(0, unitLine - 1)).findFirst().orElse("").strip();
            return block.page() + ":" + block.line() + " (the code around the block, at \"" + line + "\")";
        }
    }

    static Snippet snippet(Block block, int index) {
        String className = "DocSnippet" + index;
        StringBuilder source = new StringBuilder();
        List<String> members = new ArrayList<>();
        for (String context : block.javaContext()) {
            if (context.startsWith("import ")) {
                source.append(context).append('\n');
            } else {
                members.add(context);
            }
        }
        for (String imported : IMPORTS) {
            source.append("import ").append(imported).append(";\n");
        }
        source.append("abstract class ").append(className).append(" {\n");
        int contextLine = (int) source.toString().lines().count() + 1;
        for (String member : members) {
            source.append("    ").append(member).append('\n');
        }
        boolean member = firstCode(block.text()).startsWith("@");   // an annotated method, such as a @Test
        if (!member) {
            source.append("    void block() throws Exception {\n");
        }
        int bodyLine = (int) source.toString().lines().count() + 1;
        source.append(block.text().replace("{ ... }", "{ }"));
        source.append(member ? "}\n" : "    }\n}\n");
        return new Snippet(block, className, source.toString(), contextLine, bodyLine);
    }

    /** The block's first line that is neither blank nor a comment. */
    static String firstCode(String text) {
        return text.lines().map(String::strip)
            .filter(line -> !line.isEmpty() && !line.startsWith("//") && !line.startsWith("/*")
                && !line.startsWith("*"))
            .findFirst().orElse("");
    }

    /** Compiles the snippets into {@code out}; each error as "page:line: message". */
    static List<String> compile(List<Snippet> snippets, Path out) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<JavaFileObject> units = new ArrayList<>();
        for (Snippet s : snippets) {
            units.add(new SimpleJavaFileObject(URI.create("string:///" + s.className() + ".java"),
                JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return s.source();
                }
            });
        }
        // What a reader's build has: drkit's modules and their dependencies, not the test helpers on this test's path.
        String classpath = Stream.of(System.getProperty("surefire.test.class.path",
                System.getProperty("java.class.path")).split(File.pathSeparator))
            .filter(entry -> !entry.endsWith("-tests.jar") && !entry.replace('\\', '/').contains("/test-classes"))
            .collect(Collectors.joining(File.pathSeparator));
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        // The examples' READMEs show their classes: javac compiles those it needs from the examples' sources.
        Path examples = DocsCommandsTest.docs().getParent().resolve("examples/src/main/java");
        List<String> options = List.of("--release", "17", "-proc:none", "-Xlint:none", "-classpath", classpath,
            "-sourcepath", examples.toString(), "-d", out.toString());
        javac.getTask(null, null, diagnostics, options, null, units).call();
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) {
                continue;
            }
            String message = d.getMessage(Locale.ROOT).lines().map(String::strip)
                .collect(Collectors.joining(" "));
            String where = d.getSource() == null ? "javac" : snippets.stream()
                .filter(s -> d.getSource().toUri().getPath().equals("/" + s.className() + ".java"))
                .findFirst().map(s -> s.where(d.getLineNumber())).orElse(d.getSource().getName());
            errors.add(where + ": " + message);
        }
        return errors;
    }

    static List<Block> javaBlocks() {
        Path docs = DocsCommandsTest.docs();
        return Stream.concat(DocsCommandsTest.pages().stream(), DocsCommandsTest.otherPages().stream())
            .flatMap(page -> DocCommands.blocks(docs, page).stream())
            .filter(block -> block.language().equals("java"))
            .toList();
    }

    @Test
    void everyJavaBlockCompilesAgainstDrkit(@TempDir Path out) {
        List<Block> blocks = javaBlocks();
        // The pages show drkit's API in about twenty blocks; far fewer would mean the blocks are no longer found.
        assertThat(blocks).hasSizeGreaterThanOrEqualTo(15);
        List<Snippet> snippets = new ArrayList<>();
        for (Block block : blocks) {
            snippets.add(snippet(block, snippets.size()));
        }
        assertThat(compile(snippets, out)).as("java blocks in the docs that do not compile").isEmpty();
    }

    @Test
    void anErrorNamesThePageAndLineOfTheBlock(@TempDir Path out) {
        String page = "Some words.\n\n```java\nBackupEngine.builder(null)\n    .noSuchSetting(3);\n```\n";
        Block block = DocCommands.blocks("docs/example.md", page).get(0);

        assertThat(compile(List.of(snippet(block, 0)), out)).singleElement().asString()
            .startsWith("docs/example.md:5: ").contains("noSuchSetting");
    }

    @Test
    void anUnclosedBlockIsBlamedOnTheCodeAroundItNotOnItsComments(@TempDir Path out) {
        Block block = DocCommands.blocks("docs/d.md", "<!-- java: Logger log; -->\n```java\nif (true) {\n```\n").get(0);

        assertThat(compile(List.of(snippet(block, 0)), out)).singleElement().asString()
            .startsWith("docs/d.md:2 (the code around the block, at ");
    }

    @Test
    void anAnnotatedMethodAfterACommentIsAMember(@TempDir Path out) {
        Block block = DocCommands.blocks("docs/e.md",
            "```java\n// in your test class:\n@Deprecated\nvoid check() {\n}\n```\n").get(0);

        assertThat(compile(List.of(snippet(block, 0)), out)).isEmpty();
    }

    @Test
    void testHelpersOnThisTestsClassPathAreNotVisibleToTheDocs(@TempDir Path out) {
        // ExternalTools is public, in sdk-backup's test jar: on this test's class path, never on a reader's.
        Block block = DocCommands.blocks("docs/f.md", "```java\nObject tools = ExternalTools.class;\n```\n").get(0);

        assertThat(compile(List.of(snippet(block, 0)), out)).singleElement().asString()
            .startsWith("docs/f.md:2: ").contains("ExternalTools");
    }

    @Test
    void whatABlockUsesIsDeclaredInCommentsAboveIt(@TempDir Path out) {
        String body = "```java\nlog.info(\"{} backups\", registry.getMeters().size());\n```\n";
        Block bare = DocCommands.blocks("docs/a.md", body).get(0);
        Block declared = DocCommands.blocks("docs/b.md",
            "<!-- java: MeterRegistry registry; -->\n<!-- java: Logger log; -->\n" + body).get(0);
        Block unknownType = DocCommands.blocks("docs/c.md", "<!-- java: Registry registry; Logger log; -->\n" + body)
            .get(0);

        assertThat(compile(List.of(snippet(bare, 0)), out)).hasSize(2)
            .allSatisfy(error -> assertThat(error).startsWith("docs/a.md:2: ").contains("cannot find symbol"));
        assertThat(compile(List.of(snippet(declared, 1)), out)).isEmpty();
        assertThat(compile(List.of(snippet(unknownType, 2)), out)).singleElement().asString()
            .startsWith("docs/c.md:2 (its java: comments): ");
    }
}
