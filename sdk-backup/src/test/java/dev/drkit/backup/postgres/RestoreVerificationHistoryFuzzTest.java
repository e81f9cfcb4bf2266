package dev.drkit.backup.postgres;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the reading of restore verification history files, which may hold anything (a torn write, an edit):
 * lines that are not reports are counted, never thrown, and whatever is accepted writes back the same.
 *
 * <p>To fuzz for real: {@code JAZZER_FUZZ=1 mvn -pl sdk-backup test -Dtest=RestoreVerificationHistoryFuzzTest}.
 */
class RestoreVerificationHistoryFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void readsAnyLineWithoutThrowing(FuzzedDataProvider data) throws Exception {
        String line = data.consumeRemainingAsString();
        try {
            RestoreVerificationReport report = RestoreVerificationReport.fromJson(line);
            assertThat(RestoreVerificationReport.fromJson(report.toJson()).toJson()).isEqualTo(report.toJson());
            assertThat(report.toText()).isNotEmpty();
        } catch (IllegalArgumentException expected) {
            assertThat(expected.getMessage()).startsWith("not a " + RestoreVerificationReport.FORMAT + " report");
        }
        Path file = Files.createTempFile("history", ".jsonl");
        try {
            Files.writeString(file, line + "\n{\"format\":\"other\"}\n");
            RestoreVerificationHistory.Contents contents = RestoreVerificationHistory.at(file).read();
            assertThat(contents.reports().size() + contents.unreadableLines()).isBetween(1, 1 + (int) line.lines().count());
            assertThat(RestoreVerificationHistory.monthly(contents.reports())).allSatisfy(m ->
                assertThat(m.passed() + m.failed()).isEqualTo(m.runs()));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
