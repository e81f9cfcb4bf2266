package dev.drkit.core.drill;

import dev.drkit.core.EnvironmentException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static dev.drkit.core.drill.FakeTime.EPOCH;
import static dev.drkit.core.drill.FakeTime.ms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DrillHistoryTest {

    @TempDir
    Path dir;

    @Test
    void appendsOneLinePerReportToAnOwnerOnlyFileInNewDirectories() throws IOException {
        Path file = dir.resolve("var/lib/drkit/drills.jsonl");
        DrillHistory history = DrillHistory.at(file);

        history.append(report("first", 0));
        history.append(report("second", 1));

        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).containsExactly(report("first", 0).toJson(), report("second", 1).toJson());
        assertThat(Files.readString(file)).endsWith("\n");
    }

    @Test
    void readsBackTheReportsInOrder() {
        DrillHistory history = DrillHistory.at(dir.resolve("h.jsonl"));
        history.append(report("first", 0));
        history.append(report("second", 1));

        DrillHistory.Contents contents = history.read();

        assertThat(contents.reports()).containsExactly(report("first", 0), report("second", 1));
        assertThat(contents.isClean()).isTrue();
    }

    @Test
    void readsAMissingFileAsAnEmptyHistory() {
        DrillHistory.Contents contents = DrillHistory.at(dir.resolve("none.jsonl")).read();

        assertThat(contents.reports()).isEmpty();
        assertThat(contents.corruptLines()).isEmpty();
    }

    @Test
    void skipsCorruptLinesAndSaysWhereAndWhy() throws IOException {
        Path file = dir.resolve("h.jsonl");
        Files.writeString(file, report("a", 0).toJson() + "\n"
            + "garbage\n"
            + "\n"
            + "{\"format\":\"drkit.drill-report/1\"}\n"
            + report("b", 1).toJson() + "\r\n"
            + "   \n"
            + "{\"format\":\"drkit.drill-report/1\",\"name\":\"x\",\"started\":\"2026-11-23T10:00:00Z\",\"fin");

        DrillHistory.Contents contents = DrillHistory.at(file).read();

        assertThat(contents.reports()).extracting(DrillReport::name).containsExactly("a", "b");
        assertThat(contents.corruptLineCount()).isEqualTo(3);
        assertThat(contents.corruptLines()).extracting(DrillHistory.CorruptLine::lineNumber).containsExactly(2L, 4L, 7L);
        assertThat(contents.corruptLines().get(0).reason())
            .isEqualTo("Drill report is invalid: it is not valid JSON at column 1 (JsonParseException)");
        assertThat(contents.corruptLines().get(1).reason()).isEqualTo("Drill report is invalid: name must be a string");
        assertThat(contents.corruptLines().get(2)).hasToString(
            "line 7: Drill report is invalid: it is not valid JSON at column 82 (JsonEOFException)");
    }

    @Test
    void startsANewLineAfterATornLastLine() throws IOException {
        Path file = dir.resolve("h.jsonl");
        String whole = report("before", 0).toJson();
        Files.writeString(file, whole + "\n" + whole.substring(0, 40));   // a crash cut the second append short

        DrillHistory history = DrillHistory.at(file);
        history.append(report("after", 2));
        DrillHistory.Contents contents = history.read();

        assertThat(contents.reports()).extracting(DrillReport::name).containsExactly("before", "after");
        assertThat(contents.corruptLines()).extracting(DrillHistory.CorruptLine::lineNumber).containsExactly(2L);
    }

    @Test
    void reportsBytesThatAreNotUtf8() throws IOException {
        byte[] bytes = {'{', (byte) 0xff, (byte) 0xfe, '}', '\n'};

        DrillHistory.Contents contents = DrillHistory.parse(new ByteArrayInputStream(bytes));

        assertThat(contents.corruptLines()).singleElement()
            .satisfies(line -> assertThat(line.reason()).isEqualTo("not UTF-8 text"));
    }

    @Test
    void skipsALineLongerThanTheLimitWithoutHoldingIt() throws IOException {
        byte[] huge = new byte[DrillHistory.MAX_LINE_BYTES * 3];
        java.util.Arrays.fill(huge, (byte) 'x');
        String valid = report("ok", 0).toJson() + "\n";
        byte[] input = concat(huge, "\n".getBytes(StandardCharsets.UTF_8), valid.getBytes(StandardCharsets.UTF_8));

        DrillHistory.Contents contents = DrillHistory.parse(new ByteArrayInputStream(input));

        assertThat(contents.reports()).extracting(DrillReport::name).containsExactly("ok");
        assertThat(contents.corruptLines()).singleElement()
            .satisfies(line -> assertThat(line).hasToString("line 1: longer than 1048576 bytes"));
    }

    @Test
    void describesTheFirstHundredCorruptLinesAndCountsThemAll() throws IOException {
        String garbage = "nope\n".repeat(150);

        DrillHistory.Contents contents = DrillHistory.parse(new ByteArrayInputStream(garbage.getBytes(StandardCharsets.UTF_8)));

        assertThat(contents.corruptLineCount()).isEqualTo(150);
        assertThat(contents.corruptLines()).hasSize(DrillHistory.MAX_CORRUPT_LINES_KEPT);
        assertThat(contents.corruptLines().get(99).lineNumber()).isEqualTo(100);
    }

    @Test
    void keepsWholeLinesWhenThreadsAppendAtOnce() throws Exception {
        Path file = dir.resolve("h.jsonl");
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            // separate DrillHistory instances, as separate processes would have
            Thread thread = new Thread(() -> {
                DrillHistory history = DrillHistory.at(file);
                awaitQuietly(go);
                for (int i = 0; i < 25; i++) {
                    history.append(report("t" + id + "-" + i, i));
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }

        DrillHistory.Contents contents = DrillHistory.at(file).read();

        assertThat(contents.isClean()).isTrue();
        assertThat(contents.reports()).hasSize(100);
    }

    @Test
    void reportsADirectoryItCannotWriteInto() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");

        assertThatThrownBy(() -> DrillHistory.at(notADirectory.resolve("h.jsonl")).append(report("x", 0)))
            .isInstanceOf(EnvironmentException.class)
            .hasMessageStartingWith("Drill history " + notADirectory.resolve("h.jsonl") + ": cannot append a report: ");
    }

    @Test
    void leavesAnExistingFilesModeAlone() throws IOException {
        Path file = Files.writeString(dir.resolve("h.jsonl"), "", StandardOpenOption.CREATE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        DrillHistory.at(file).append(report("x", 0));

        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
    }

    @Test
    void theFuzzSeedOfAValidHistoryHoldsTwoReportsAndOneCorruptLine() throws IOException {
        // keeps the seed honest: the fuzz test's regression run starts from a history that really parses
        try (var in = getClass().getResourceAsStream("DrillHistoryFuzzTestInputs/readsAnyBytesWithoutThrowing/valid-history")) {
            assertThat(in).isNotNull();

            DrillHistory.Contents contents = DrillHistory.parse(in);

            assertThat(contents.reports()).extracting(DrillReport::name).containsExactly("orders-db failover", "bare");
            assertThat(contents.corruptLines()).extracting(DrillHistory.CorruptLine::lineNumber).containsExactly(4L);
        }
    }

    static DrillReport report(String name, int n) {
        return DrillReport.builder(name)
            .started(EPOCH.plusSeconds(3600L * n))
            .finished(EPOCH.plusSeconds(3600L * n + 42))
            .step("stop primary", java.time.Duration.ZERO, ms(1200), StepOutcome.PASS, "")
            .rto(MeasuredDuration.of(ms(2500 + n), ms(250)))
            .rtoTarget(java.time.Duration.ofSeconds(30))
            .build();
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
