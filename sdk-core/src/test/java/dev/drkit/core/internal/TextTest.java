package dev.drkit.core.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TextTest {

    @TempDir
    Path directory;

    @Test
    void oneLineReplacesEveryControlCharacterAndCuts() {
        assertThat(Text.oneLine("a\nb\u001b[2Jc", 100)).isEqualTo("a?b?[2Jc");
        assertThat(Text.oneLine("abcdefgh", 6)).isEqualTo("abc...");
    }

    @Test
    void tailKeepsTheLastNonBlankLinesWithoutControlCharacters() {
        String output = "first\r\n\r\nsecond\u001b[31m red\u0007\rthird\tcolumn\n\n";

        assertThat(Text.tail(output, 2)).isEqualTo("second?[31m red?\nthird?column");
        assertThat(Text.tail(output, 10)).startsWith("first\n");
    }

    @Test
    void tailOfFileReadsOnlyWhatCameAfterTheOffsetAndCleansIt() throws Exception {
        Path log = directory.resolve("server.log");
        Files.writeString(log, "old line\n", StandardCharsets.UTF_8);
        long offset = Text.sizeOf(log);
        Files.writeString(log, "old line\nFATAL: \u001b]0;owned\u0007 bad\nLOG: shutting down\n", StandardCharsets.UTF_8);

        assertThat(Text.tailOfFile(log, offset, 30)).isEqualTo("FATAL: ?]0;owned? bad\nLOG: shutting down");
        assertThat(Text.tailOfFile(log, 10_000, 1)).isEqualTo("LOG: shutting down");
        assertThat(Text.tailOfFile(directory.resolve("missing.log"), 0, 5)).isEmpty();
        assertThat(Text.sizeOf(directory.resolve("missing.log"))).isZero();
    }

    @Test
    void indentsEveryLineAndKeepsEscapeSequencesOut() {
        assertThat(Text.indent("one\u001b[1m\r\ntwo")).isEqualTo("  one?[1m\n  two");
        assertThat(Text.indent("")).isEqualTo("  (empty)");
    }
}
