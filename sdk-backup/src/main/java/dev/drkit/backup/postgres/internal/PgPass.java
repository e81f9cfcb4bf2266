package dev.drkit.backup.postgres.internal;

import dev.drkit.core.secret.CredentialFiles;
import dev.drkit.core.secret.Secret;
import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * A {@code PGPASSFILE} for one tool run: a 0600 file in a 0700 directory of {@link CredentialFiles}, holding one
 * line {@code *:*:*:user:password} (colons and backslashes escaped as libpq wants), removed by {@link #close()}.
 */
public final class PgPass implements AutoCloseable {

    private final @Nullable CredentialFiles files;
    private final @Nullable Path file;

    private PgPass(@Nullable CredentialFiles files, @Nullable Path file) {
        this.files = files;
        this.file = file;
    }

    /** A file for {@code user} and {@code password}; none (an empty holder) when there is no password. */
    public static PgPass create(String purpose, String user, @Nullable Secret password) {
        if (password == null) {
            return new PgPass(null, null);
        }
        CredentialFiles files = CredentialFiles.create(purpose);
        try (Secret line = line(user, password)) {
            return new PgPass(files, files.write("pgpass", line));
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }

    /**
     * The line {@code *:*:*:user:password\n}, escaped.
     *
     * @throws IllegalArgumentException if the user or password holds a line break, which the file cannot hold
     */
    static Secret line(String user, Secret password) {
        char[] secret = password.reveal();
        char[] out = null;
        try {
            for (char c : secret) {
                if (c == '\n' || c == '\r') {
                    throw new IllegalArgumentException("the password holds a line break, which a PGPASSFILE cannot "
                        + "hold");
                }
            }
            if (user.indexOf('\n') >= 0 || user.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("the user name holds a line break");
            }
            StringBuilder prefix = new StringBuilder("*:*:*:");
            escape(user.toCharArray(), prefix);
            prefix.append(':');
            int escapes = 0;
            for (char c : secret) {
                if (c == ':' || c == '\\') {
                    escapes++;
                }
            }
            out = new char[prefix.length() + secret.length + escapes + 1];
            prefix.getChars(0, prefix.length(), out, 0);
            int i = prefix.length();
            for (char c : secret) {
                if (c == ':' || c == '\\') {
                    out[i++] = '\\';
                }
                out[i++] = c;
            }
            out[i] = '\n';
            return Secret.of(out, "pgpass line");
        } finally {
            Arrays.fill(secret, '\0');
            if (out != null) {
                Arrays.fill(out, '\0');
            }
        }
    }

    private static void escape(char[] text, StringBuilder out) {
        for (char c : text) {
            if (c == ':' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
    }

    /** The file, for {@code PGPASSFILE}; null when there is no password. */
    public @Nullable Path file() {
        return file;
    }

    /** Overwrites and removes the file and its directory. Idempotent; never throws. */
    @Override
    public void close() {
        if (files != null) {
            files.close();
        }
    }
}
