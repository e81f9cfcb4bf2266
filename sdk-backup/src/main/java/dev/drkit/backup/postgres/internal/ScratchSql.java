package dev.drkit.backup.postgres.internal;

import dev.drkit.backup.postgres.PgToolException;
import dev.drkit.core.internal.Text;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * SQL on a scratch cluster through {@code psql} over its unix socket, where the cluster trusts local connections:
 * a restored base backup keeps its own roles and passwords, which drkit does not know, and the socket's directory is
 * private (0700) to the cluster's owner.
 */
public final class ScratchSql {

    private final Path psql;
    private final Path socketDirectory;
    private final int port;
    private final String role;
    private final Duration timeout;

    public ScratchSql(Path psql, Path socketDirectory, int port, String role, Duration timeout) {
        this.psql = psql;
        this.socketDirectory = socketDirectory;
        this.port = port;
        this.role = role;
        this.timeout = timeout;
    }

    /** The same, connecting as {@code otherRole}. */
    public ScratchSql as(String otherRole) {
        return new ScratchSql(psql, socketDirectory, port, otherRole, timeout);
    }

    /**
     * The rows of {@code sql} in {@code database}, columns split at tabs (values must hold no tab or newline).
     *
     * @throws PgToolException if {@code psql} fails; its message has the error
     */
    public List<List<String>> query(String database, String sql) {
        ToolRunner.Result result = ToolRunner.run(List.of(psql.toString(), "--no-psqlrc", "--quiet",
            "--no-align", "--tuples-only", "--field-separator=\t", "--set=ON_ERROR_STOP=1",
            "--host=" + socketDirectory, "--port=" + port, "--username=" + role, "--dbname=" + database,
            "--command=" + sql), ChildEnvironment.of(System.getenv(), null), timeout);
        if (!result.succeeded()) {
            String tail = result.tail(10);
            throw new PgToolException("psql in database '" + database + "' of the scratch cluster failed: "
                + Text.oneLine(tail.replace('\n', ' '), 400), "psql", result.exitCode(), tail,
                Map.of("database", database), null);
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : result.output().split("\n")) {
            if (!line.isEmpty()) {
                rows.add(Arrays.asList(line.split("\t", -1)));
            }
        }
        return rows;
    }

    /** The first column of the first row. */
    public String value(String database, String sql) {
        List<List<String>> rows = query(database, sql);
        return rows.isEmpty() ? "" : rows.get(0).get(0);
    }

    /** One database's facts. */
    public Catalog.Facts facts(String database) {
        List<String> counts = query(database, Catalog.COUNTS).get(0);
        return Catalog.facts(counts, value(database, Catalog.SCHEMA));
    }
}
