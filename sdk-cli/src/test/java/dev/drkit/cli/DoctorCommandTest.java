package dev.drkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class DoctorCommandTest {

    @Test
    void reportsThePostgresBinariesItFindsAsJson() throws Exception {
        StringWriter out = new StringWriter();
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));

        int code = cli.execute("doctor", "--json");

        JsonNode report = new ObjectMapper().readTree(out.toString());
        assertThat(code).isZero();
        assertThat(report.at("/postgres/version").asText()).matches("\\d+(\\.\\d+)?");
        assertThat(report.at("/postgres/tools").has("pg_basebackup")).isTrue();
        assertThat(report.at("/postgres/runsAs").asText()).isNotEqualTo("root");
        assertThat(report.get("tools").has("gpg")).isTrue();
    }

    @Test
    void exitsThreeAndSaysWhereItLookedWhenPgBinPointsNowhere(@TempDir Path empty) throws Exception {
        // PG_BIN is read from the environment, so this runs drkit in a child JVM with its own environment.
        ProcessBuilder child = new ProcessBuilder(List.of(
            ProcessHandle.current().info().command().orElse("java"),
            "-cp", System.getProperty("java.class.path"), Drkit.class.getName(), "doctor"));
        child.environment().put("PG_BIN", empty.toString());
        child.redirectErrorStream(true);
        Process process = child.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(output).contains("PostgreSQL").contains("not found").contains(empty.toString());
    }
}
