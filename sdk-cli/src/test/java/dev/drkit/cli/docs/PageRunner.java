package dev.drkit.cli.docs;

import dev.drkit.cli.Drkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the runnable blocks of one page as one bash script, in a scratch directory of its own, with {@code drkit}
 * on the PATH (this build's CLI, from the test classpath) and a throwaway gpg home. The script stops at the first
 * block that fails; {@link Result#failedAt()} names it.
 */
final class PageRunner {

    private static final long TIMEOUT_SECONDS = 120;

    /** What a run of one page gave: the exit code of the script, the block it stopped in, and all its output. */
    record Result(int exitCode, String failedAt, String output) {
    }

    private PageRunner() {
    }

    static Result run(List<DocCommands.Block> blocks) throws IOException, InterruptedException {
        Path root = Files.createTempDirectory("drkit-docs-");
        try {
            Path work = Files.createDirectory(root.resolve("work"));
            Path bin = Files.createDirectory(root.resolve("bin"));
            Path meta = Files.createDirectory(root.resolve("meta"));
            Path gnupg = Files.createDirectory(root.resolve("gnupg"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            writeDrkitWrapper(bin.resolve("drkit"));
            Path mark = meta.resolve("block");
            Path script = meta.resolve("page.sh");
            Files.writeString(script, script(blocks, meta, mark), StandardCharsets.UTF_8);

            ProcessBuilder builder = new ProcessBuilder("bash", script.toString())
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(meta.resolve("output").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
            builder.environment().put("GNUPGHOME", gnupg.toString());
            builder.environment().remove("DRKIT_DEBUG");
            Process process = builder.start();
            int exit;
            try {
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly().waitFor();
                    exit = -1;
                } else {
                    exit = process.exitValue();
                }
            } finally {
                killGpgAgent(gnupg);
            }
            String failedAt = exit == 0 || !Files.exists(mark) ? "" : Files.readString(mark).trim();
            String output = Files.readString(meta.resolve("output"), StandardCharsets.UTF_8);
            return new Result(exit, exit == -1 ? failedAt + " (timed out after " + TIMEOUT_SECONDS + " s)" : failedAt,
                output);
        } finally {
            deleteTree(root);
        }
    }

    /** The page's runnable blocks as one script: each marks itself, then runs as written. */
    static String script(List<DocCommands.Block> blocks, Path meta, Path mark) throws IOException {
        StringBuilder s = new StringBuilder("set -euo pipefail\n");
        int n = 0;
        for (DocCommands.Block block : blocks) {
            if (!block.runs()) {
                continue;
            }
            n++;
            s.append("\n# ---- ").append(block.where()).append('\n');
            s.append("echo ").append(quote(block.where())).append(" > ").append(quote(mark.toString())).append('\n');
            s.append("echo ").append(quote("==== " + block.where())).append('\n');
            String body;
            if (block.language().equals("console")) {
                StringBuilder steps = new StringBuilder();
                int k = 0;
                for (DocCommands.ConsoleStep step : DocCommands.consoleSteps(block)) {
                    k++;
                    Path expected = meta.resolve("expected-" + n + "-" + k);
                    Path actual = meta.resolve("actual-" + n + "-" + k);
                    Files.writeString(expected, step.expectedOutput(), StandardCharsets.UTF_8);
                    steps.append("echo ").append(quote("$ " + step.command())).append('\n');
                    steps.append("{\n").append(step.command()).append("\n} > ").append(quote(actual.toString()))
                        .append('\n');
                    if (!step.expectedOutput().isEmpty()) {
                        steps.append("diff -u --label shown-in-the-docs --label printed-now ")
                            .append(quote(expected.toString())).append(' ').append(quote(actual.toString()))
                            .append('\n');
                    }
                }
                body = steps.toString();
            } else {
                body = block.text();
            }
            if (block.exit().isPresent() && block.exit().getAsInt() != 0) {
                int want = block.exit().getAsInt();
                s.append("set +e\n(\nset -e\n").append(body).append(")\nrc=$?\nset -e\n")
                    .append("if [ \"$rc\" -ne ").append(want).append(" ]; then echo ")
                    .append(quote(block.where() + ": the docs say exit " + want + ", but it exited"))
                    .append(" \"$rc\"; exit 99; fi\n");
            } else {
                s.append(body).append('\n');
            }
        }
        s.append("echo > ").append(quote(mark.toString())).append('\n');
        return s.toString();
    }

    private static void writeDrkitWrapper(Path wrapper) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("java.class.path");
        Files.writeString(wrapper, "#!/bin/sh\n"
            + "# this build's drkit command, from the test classpath\n"
            + "exec " + quote(java) + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp " + quote(classpath) + " "
            + Drkit.class.getName() + " \"$@\"\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static void killGpgAgent(Path gnupg) throws InterruptedException {
        try {
            Process kill = new ProcessBuilder("gpgconf", "--homedir", gnupg.toString(), "--kill", "all")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            kill.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException noGpg) {
            // no gpg on this machine: no agent was started either
        }
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static void deleteTree(Path root) throws IOException, InterruptedException {
        // chmod first: a page may leave read-only files or directories behind
        new ProcessBuilder("chmod", "-R", "u+rwX", root.toString()).start().waitFor(10, TimeUnit.SECONDS);
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
