package dev.drkit.backup.postgres.internal;

import dev.drkit.core.secret.Secrets;
import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The environment of a PostgreSQL client tool: only what such a tool may need from this process's environment
 * (the search path, home, time zone, temporary directory, Kerberos settings, and libpq's {@code PG*} settings
 * except any password or connection setting that argv and the {@code PGPASSFILE} decide, {@code PGPASSWORD} above
 * all), never a variable a secret was read from ({@link Secrets#environmentVariablesRead()}), with messages in
 * English ({@code LC_ALL=C}) so that they can be recognised, and {@code PGPASSFILE} naming drkit's file.
 */
public final class ChildEnvironment {

    /** Variables never passed on: a password, or a setting that could point the tool elsewhere or at another file. */
    static final Set<String> REMOVED = Set.of("PGPASSWORD", "PGPASSFILE", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER",
        "PGDATABASE", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGREQUIREAUTH");

    /** Variables passed on besides libpq's {@code PG*}: the rest of the environment may hold anybody's secrets. */
    static final Set<String> KEPT = Set.of("PATH", "HOME", "USER", "LOGNAME", "TZ", "TMPDIR", "KRB5CCNAME",
        "KRB5_CONFIG", "KRB5_KTNAME", "KRB5_CLIENT_KTNAME");

    private ChildEnvironment() {
    }

    /** {@code inherited} cleaned, plus {@code PGPASSFILE} when there is one. */
    public static Map<String, String> of(Map<String, String> inherited, @Nullable Path pgpassFile) {
        Set<String> secretVariables = Secrets.environmentVariablesRead();
        Map<String, String> env = new LinkedHashMap<>();
        inherited.forEach((key, value) -> {
            boolean wanted = KEPT.contains(key) || (key.startsWith("PG") && !REMOVED.contains(key));
            if (wanted && !secretVariables.contains(key)) {
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
