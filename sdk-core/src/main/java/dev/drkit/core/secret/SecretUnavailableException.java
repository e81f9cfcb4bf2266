package dev.drkit.core.secret;

import dev.drkit.core.EnvironmentException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A secret could not be had from where it was asked for: an environment variable is unset or empty, there
 * is no console to prompt on, a file is missing or unsafe ({@link SecretFileException}). Exit code 3 from
 * the CLI.
 *
 * <p>The message and {@link #context()} name the source (the variable, the file) and never hold any part of
 * a secret value. Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public class SecretUnavailableException extends EnvironmentException {

    private static final long serialVersionUID = 1L;

    private final String source;

    /**
     * @param message what went wrong and how to fix it; never a secret
     * @param source  where the secret was looked for, for example {@code "environment variable DB_PASSWORD"}
     * @param context further named facts; never a secret
     * @param cause   the underlying failure, or {@code null}
     * @since 0.1
     */
    public SecretUnavailableException(String message, String source, Map<String, String> context, Throwable cause) {
        super(message, withSource(source, context), cause);
        this.source = source;
    }

    /**
     * Where the secret was looked for, for example {@code "environment variable DB_PASSWORD"} or
     * {@code "console"}; also in {@link #context()} under {@code "source"}.
     *
     * @since 0.1
     */
    public String source() {
        return source;
    }

    private static Map<String, String> withSource(String source, Map<String, String> context) {
        Objects.requireNonNull(source, "source");
        Map<String, String> all = new LinkedHashMap<>();
        all.put("source", source);
        all.putAll(Objects.requireNonNull(context, "context"));
        return all;
    }
}
