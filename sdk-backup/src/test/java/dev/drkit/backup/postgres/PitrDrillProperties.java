package dev.drkit.backup.postgres;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * The restore command made for an archive directory copies the requested file from that directory, whatever
 * characters its path holds: quotes, spaces, {@code %}, {@code $}, backslashes. Each example runs the command as
 * PostgreSQL would: {@code %f}, {@code %p} and {@code %%} substituted, then {@code sh -c}.
 */
class PitrDrillProperties {

    private static final String ALPHABET = "aZ9 '\"%$\\`;&|*?!#()[]{}<>~-_.=+,:@^";
    static Path root;

    @BeforeAll
    static void makeRoot() throws IOException {
        root = Files.createTempDirectory("drkit-restore-command-");
    }

    @AfterAll
    static void removeRoot() throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        }
    }

    static Gen<String> names() {
        return lists().of(integers().between(0, ALPHABET.length() - 1)).ofSizeBetween(1, 12)
            .map(ix -> {
                StringBuilder s = new StringBuilder();
                ix.forEach(i -> s.append(ALPHABET.charAt(i)));
                String name = s.toString();
                return name.equals(".") || name.equals("..") ? "x" + name : name;
            });
    }

    /** PostgreSQL's substitution in restore_command: %f, %p, %r and %% (see RestoreArchivedFile). */
    static String substitute(String command, String file, String path) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (c == '%' && i + 1 < command.length()) {
                char next = command.charAt(++i);
                switch (next) {
                    case 'f' -> out.append(file);
                    case 'p' -> out.append(path);
                    case '%' -> out.append('%');
                    default -> out.append('%').append(next);
                }
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    @Test
    void copyCommandFetchesFromAnyDirectoryName() {
        qt().withExamples(60).forAll(names()).checkAssert(name -> {
            try {
                Path archive = Files.createDirectories(root.resolve("a").resolve(name));
                Files.writeString(archive.resolve("000000010000000000000003"), name, StandardCharsets.UTF_8);
                Path data = Files.createDirectories(root.resolve("data"));
                Files.deleteIfExists(data.resolve("RECOVERYXLOG"));
                String command = substitute(PitrDrill.copyCommand(archive), "000000010000000000000003",
                    "RECOVERYXLOG");
                Process p = new ProcessBuilder("sh", "-c", command).directory(data.toFile())
                    .redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as(command + ": " + output).isZero();
                assertThat(data.resolve("RECOVERYXLOG")).hasContent(name);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
