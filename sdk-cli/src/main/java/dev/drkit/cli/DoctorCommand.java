package dev.drkit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.core.DrkitException;
import dev.drkit.postgres.PgBinaries;
import dev.drkit.postgres.PgCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code drkit doctor}: what drkit finds on this machine, and what it will be able to do with it.
 * Exit 0 when PostgreSQL server binaries were found, 3 when not.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = "Shows what drkit finds on this machine: Java, PostgreSQL binaries and client tools, the user "
        + "PostgreSQL runs as, and the external tools used for interoperability (gpg, age, zstd).")
final class DoctorCommand implements Callable<Integer> {

    /** Client tools some drkit features need; the embedded binaries lack them. */
    static final List<String> POSTGRES_TOOLS =
        List.of("pg_basebackup", "pg_dump", "pg_restore", "pg_waldump", "pg_verifybackup", "pg_controldata");
    /** Stock tools drkit's formats are meant to interoperate with. */
    static final List<String> INTEROP_TOOLS = List.of("gpg", "age", "zstd", "tar");

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print the findings as JSON.")
    boolean json;

    @Override
    public Integer call() {
        ObjectNode report = new ObjectMapper().createObjectNode();
        report.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        report.put("user", System.getProperty("user.name"));

        ObjectNode postgres = report.putObject("postgres");
        boolean found;
        try {
            PgBinaries binaries = PgBinaries.detect();
            postgres.put("version", binaries.version());
            postgres.put("source", binaries.source().toString().toLowerCase(Locale.ROOT));
            postgres.put("binDirectory", binaries.binDirectory().toString());
            ObjectNode tools = postgres.putObject("tools");
            POSTGRES_TOOLS.forEach(tool -> tools.put(tool, binaries.hasTool(tool)));
            found = true;
        } catch (DrkitException e) {
            postgres.put("error", e.getMessage());
            found = false;
        }
        try {
            Optional<String> serverUser = PgCluster.serverUser();
            postgres.put("runsAs", serverUser.orElse(System.getProperty("user.name")));
        } catch (DrkitException e) {
            postgres.put("runsAs", "(cannot run: " + e.getMessage() + ")");
        }

        ArrayNode missing = report.putArray("missingTools");
        ObjectNode interop = report.putObject("tools");
        for (String tool : INTEROP_TOOLS) {
            Optional<Path> path = onPath(tool);
            interop.put(tool, path.map(Path::toString).orElse(null));
            if (path.isEmpty()) {
                missing.add(tool);
            }
        }

        PrintWriter out = spec.commandLine().getOut();
        out.println(json ? report.toPrettyString() : text(report));
        out.flush();
        return found ? ExitCodes.OK : ExitCodes.ENVIRONMENT;
    }

    private static String text(ObjectNode report) {
        StringBuilder text = new StringBuilder();
        text.append(String.format("%-22s %s%n", "Java", report.get("java").asText()));
        text.append(String.format("%-22s %s%n", "user", report.get("user").asText()));
        ObjectNode postgres = (ObjectNode) report.get("postgres");
        if (postgres.has("error")) {
            text.append(String.format("%-22s not found: %s%n", "PostgreSQL", postgres.get("error").asText()));
        } else {
            text.append(String.format("%-22s %s from %s (%s)%n", "PostgreSQL", postgres.get("version").asText(),
                postgres.get("source").asText(), postgres.get("binDirectory").asText()));
            postgres.get("tools").fields().forEachRemaining(tool -> text.append(String.format("  %-20s %s%n",
                tool.getKey(), tool.getValue().asBoolean() ? "yes" : "missing")));
        }
        text.append(String.format("%-22s %s%n", "PostgreSQL runs as", postgres.get("runsAs").asText()));
        report.get("tools").fields().forEachRemaining(tool -> text.append(String.format("%-22s %s%n",
            tool.getKey(), tool.getValue().isNull() ? "missing" : tool.getValue().asText())));
        return text.toString().stripTrailing();
    }

    private static Optional<Path> onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String directory : path.split(File.pathSeparator)) {
            if (directory.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(directory, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
