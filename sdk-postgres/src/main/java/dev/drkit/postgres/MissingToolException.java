package dev.drkit.postgres;

import dev.drkit.core.EnvironmentException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A PostgreSQL program that drkit needs is not installed where it looked: the server itself, or a tool such
 * as {@code pg_basebackup} or {@code pg_dump} that the embedded binaries do not ship. The message names the
 * tool, what needed it and every place searched. Exit code 3 from the CLI.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public class MissingToolException extends EnvironmentException {

    private static final long serialVersionUID = 1L;

    private final String tool;
    private final String neededFor;
    private final List<String> searched;

    /**
     * @param tool      the program's name, such as {@code pg_basebackup}
     * @param neededFor what needed it, such as {@code "creating a replica with pg_basebackup"}
     * @param searched  where drkit looked, one entry per place, with why it did not qualify
     * @param hint      what the operator can do about it; may be empty
     * @since 0.1
     */
    public MissingToolException(String tool, String neededFor, List<String> searched, String hint) {
        super(message(tool, neededFor, searched, hint), context(tool, neededFor, searched), null);
        this.tool = tool;
        this.neededFor = neededFor;
        this.searched = List.copyOf(searched);
    }

    /**
     * The missing program's name.
     *
     * @since 0.1
     */
    public String tool() {
        return tool;
    }

    /**
     * What needed the program.
     *
     * @since 0.1
     */
    public String neededFor() {
        return neededFor;
    }

    /**
     * Where drkit looked, one entry per place.
     *
     * @since 0.1
     */
    public List<String> searched() {
        return searched;
    }

    private static String message(String tool, String neededFor, List<String> searched, String hint) {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(neededFor, "neededFor");
        StringBuilder sb = new StringBuilder("PostgreSQL tool '").append(tool).append("' (needed for ")
            .append(neededFor).append(") was not found. Looked in:");
        for (String place : searched) {
            sb.append("\n  - ").append(place);
        }
        if (!hint.isBlank()) {
            sb.append("\n").append(hint);
        }
        return sb.toString();
    }

    private static Map<String, String> context(String tool, String neededFor, List<String> searched) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("tool", tool);
        context.put("neededFor", neededFor);
        context.put("searched", String.join("; ", searched));
        return context;
    }
}
