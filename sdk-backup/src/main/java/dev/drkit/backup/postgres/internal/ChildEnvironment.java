package dev.drkit.backup.postgres.internal;

import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The environment of a PostgreSQL client tool: this process's environment without any password or connection
 * setting that argv and the {@code PGPASSFILE} decide ({@code PGPASSWORD} above all), with messages in English
 * ({@code LC_ALL=C}) so that they can be recognised, and {@code PGPASSFILE} naming drkit's file.
 */
public final class ChildEnvironment {

    /** Variables never passed on: a password, or a setting that could point the tool elsewhere or at another file. */
    static final Set<String> REMOVED = Set.of("PGPASSWORD", "PGPASSFILE", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER",
        "PGDATABASE", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGREQUIREAUTH");

    private ChildEnvironment() {
    }

    /** {@code inherited} cleaned, plus {@code PGPASSFILE} when there is one. */
    public static Map<String, String> of(Map<String, String> inherited, @Nullable Path pgpassFile) {
        Map<String, String> env = new LinkedHashMap<>();
        inherited.forEach((key, value) -> {
            if (!REMOVED.contains(key)) {
                env.put(key, value);
            }
        });
        env.put("LC_ALL", "C");
        env.put("LANG", "C");
        if (pgpassFile != null) {
            env.put("PGPASSFILE", pgpassFile.toString());
        }
        return env;
    }
}
