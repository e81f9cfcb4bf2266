package dev.drkit.core.drill;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.drkit.core.DataIntegrityException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the reading of drill history files, which may hold anything: torn writes, edits, garbage.
 *
 * <p>In a normal build (regression mode) each target runs once per saved input under
 * {@code src/test/resources/dev/drkit/core/drill/DrillHistoryFuzzTestInputs/<method>/} and once with empty
 * input. To fuzz for real: {@code JAZZER_FUZZ=1 mvn -pl sdk-core test -Dtest=DrillHistoryFuzzTest}; copy any
 * crash it finds into the inputs folder so it stays a regression test.
 */
class DrillHistoryFuzzTest {

    /** Arbitrary bytes: the reader returns reports and corrupt lines, and never throws. */
    @FuzzTest(maxDuration = "60s")
    void readsAnyBytesWithoutThrowing(FuzzedDataProvider data) throws IOException {
        byte[] bytes = data.consumeRemainingAsBytes();

        DrillHistory.Contents contents = DrillHistory.parse(new ByteArrayInputStream(bytes));

        long lines = countLines(bytes);
        assertThat(contents.reports().size() + contents.corruptLineCount()).isLessThanOrEqualTo(lines);
        assertThat(contents.corruptLines().size()).isLessThanOrEqualTo(DrillHistory.MAX_CORRUPT_LINES_KEPT);
        for (DrillReport report : contents.reports()) {
            // whatever was accepted can be written and shown again, and reads back the same
            assertThat(DrillReport.fromJson(report.toJson())).isEqualTo(report);
            assertThat(report.toText()).isNotEmpty();
        }
        for (DrillHistory.CorruptLine line : contents.corruptLines()) {
            assertThat(line.lineNumber()).isBetween(1L, lines);
            assertThat(line.reason()).isNotBlank().doesNotContain("\n");
        }
    }

    /**
     * A report whose field values come from the fuzzer, each either well-formed (an instant, a duration, a
     * whole number, an outcome) or arbitrary text, so that the checks behind the JSON syntax are reached far
     * more often than random bytes reach them.
     */
    @FuzzTest(maxDuration = "60s")
    void readsReportsWithAnyFieldValues(FuzzedDataProvider data) {
        String json = reportJson(data);

        try {
            DrillReport report = DrillReport.fromJson(json);
            assertThat(DrillReport.fromJson(report.toJson())).isEqualTo(report);
            assertThat(report.toText()).isNotEmpty();
        } catch (DataIntegrityException expected) {
            assertThat(expected.getMessage()).startsWith("Drill report is invalid: ").doesNotContain("\n");
        }
    }

    static String reportJson(FuzzedDataProvider data) {
        return "{\"format\":\"drkit.drill-report/1\""
            + ",\"name\":" + text(data)
            + ",\"started\":" + instant(data)
            + ",\"finished\":" + instant(data)
            + ",\"rto\":{\"measured\":" + (data.consumeBoolean() ? "true" : text(data))
            + ",\"valueMs\":" + number(data) + ",\"uncertainty\":" + duration(data) + "}"
            + ",\"rpo\":{\"measured\":true,\"value\":" + duration(data) + ",\"uncertaintyMs\":" + number(data) + "}"
            + ",\"rtoTarget\":" + duration(data)
            + ",\"rpoTargetMs\":" + number(data)
            + ",\"lostRecords\":" + number(data)
            + ",\"steps\":[{\"name\":" + text(data) + ",\"outcome\":" + outcome(data)
            + ",\"startOffset\":" + duration(data) + ",\"durationMs\":" + number(data)
            + ",\"detail\":" + text(data) + "}]}";
    }

    private static String text(FuzzedDataProvider data) {
        String value = data.consumeString(64);
        return data.consumeInt(0, 7) == 0 ? value : quoted(value);
    }

    private static String instant(FuzzedDataProvider data) {
        if (data.consumeInt(0, 3) == 0) {
            return text(data);
        }
        long seconds = data.consumeBoolean()
            ? data.consumeLong(1_700_000_000L, 1_700_100_000L)   // around now: reports that can be valid
            : data.consumeLong(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond());
        return quoted(Instant.ofEpochSecond(seconds, data.consumeInt(0, 999_999_999)).toString());
    }

    private static String duration(FuzzedDataProvider data) {
        switch (data.consumeInt(0, 3)) {
            case 0:
                return text(data);
            case 1:
                return "null";
            default:
                long seconds = data.consumeBoolean() ? data.consumeLong(0, 100_000) : data.consumeLong();
                return quoted(Duration.ofSeconds(seconds, data.consumeInt(0, 999_999_999)).toString());
        }
    }

    private static String number(FuzzedDataProvider data) {
        switch (data.consumeInt(0, 4)) {
            case 0:
                return Long.toString(data.consumeLong(0, 10_000_000));
            case 1:
                return Long.toString(data.consumeLong());
            case 2:
                return Double.toString(data.consumeDouble());
            case 3:
                return "null";
            default:
                return data.consumeString(24);
        }
    }

    private static String outcome(FuzzedDataProvider data) {
        int pick = data.consumeInt(0, 3);
        return pick < 3 ? quoted(StepOutcome.values()[pick].name()) : text(data);
    }

    private static String quoted(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static long countLines(byte[] bytes) {
        long lines = 1;
        for (byte b : bytes) {
            if (b == '\n') {
                lines++;
            }
        }
        return lines;
    }
}
