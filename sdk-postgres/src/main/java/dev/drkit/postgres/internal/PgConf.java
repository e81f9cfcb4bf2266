package dev.drkit.postgres.internal;

import dev.drkit.core.secret.Secret;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The text formats drkit writes for PostgreSQL: configuration files, connection strings, password files. */
public final class PgConf {

    /** Valid setting names: PostgreSQL's own and dotted custom ones ({@code auto_explain.log_min_duration}). */
    public static final Pattern SETTING_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

    /** A configuration line's leading name: PostgreSQL's ID or QUALIFIED_ID (guc-file.l). */
    private static final Pattern CONF_NAME = Pattern.compile(
        "[ \\t\\r\\f]*([A-Za-z_\\x{80}-\\x{10FFFF}][A-Za-z0-9_\\x{80}-\\x{10FFFF}]*"
            + "(?:\\.[A-Za-z_\\x{80}-\\x{10FFFF}][A-Za-z0-9_\\x{80}-\\x{10FFFF}]*)?)");
    private static final Set<String> INCLUDE_DIRECTIVES = Set.of("include", "include_if_exists", "include_dir");

    private PgConf() {
    }

    /** A configuration-file string literal: single quotes, with quotes doubled and backslashes escaped. */
    public static String quote(String value) {
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("setting values must be one line without NUL characters");
        }
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** {@code settings} as configuration-file lines, one {@code name = 'value'} per setting, in order. */
    public static String render(String header, Map<String, String> settings) {
        StringBuilder out = new StringBuilder();
        out.append("# ").append(header).append('\n');
        settings.forEach((name, value) -> {
            if (!SETTING_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("setting name must match " + SETTING_NAME + ", but was \"" + name + "\"");
            }
            out.append(name).append(" = ").append(quote(value)).append('\n');
        });
        return out.toString();
    }

    /**
     * Replaces {@code file} with {@code content} (0600, owned by {@code runAs}'s user). The content goes to a new
     * file in {@code staging}, a directory only this JVM's user can change, which is then renamed over
     * {@code file}: a rename replaces the entry and never follows a link the server's user put there, and
     * PostgreSQL never reads half a file. {@code staging} must be on {@code file}'s file system.
     */
    public static void writeAtomically(Path staging, Path file, String content, RunAs runAs) throws IOException {
        Path temp = Files.createTempFile(staging, "." + file.getFileName() + "-", ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS)) {
                out.write(content.getBytes(StandardCharsets.UTF_8));
            }
            runAs.chown(temp);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** {@code file}'s text; a symbolic link in its place is refused, not followed. */
    public static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Removes the lines of a {@code postgresql.auto.conf} text that set one of {@code names}, in every form
     * PostgreSQL reads ({@code name = value}, {@code name value}, {@code name'value'}; names compared without
     * regard to case), and every {@code include}, {@code include_if_exists} and {@code include_dir} line, which
     * could set them again; so settings appended afterwards are the only ones.
     */
    public static String withoutSettings(String confText, List<String> names) {
        Set<String> dropped = new HashSet<>(INCLUDE_DIRECTIVES);
        names.forEach(n -> dropped.add(n.toLowerCase(Locale.ROOT)));
        List<String> kept = new ArrayList<>();
        for (String line : confText.split("\n", -1)) {
            // The name is the line's first token, as PostgreSQL's lexer reads it; "=" is optional after it.
            Matcher name = CONF_NAME.matcher(line);
            if (!(name.lookingAt() && dropped.contains(name.group(1).toLowerCase(Locale.ROOT)))) {
                kept.add(line);
            }
        }
        return String.join("\n", kept);
    }

    /** A libpq connection-string value: single-quoted, with quotes and backslashes escaped by a backslash. */
    public static String conninfoValue(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /**
     * One {@code .pgpass} line, {@code host:port:*:user:password}, with {@code :} and {@code \} escaped, as bytes
     * the caller wipes; the password never becomes a {@code String}.
     */
    public static Secret pgpassLine(String host, int port, String user, Secret password) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeEscaped(out, (host + ":" + port + ":*:").getBytes(StandardCharsets.UTF_8), false);
        writeEscaped(out, user.getBytes(StandardCharsets.UTF_8), true);
        out.write(':');
        byte[] secret = password.revealBytes();
        try {
            writeEscaped(out, secret, true);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
        out.write('\n');
        byte[] line = out.toByteArray();
        try {
            return Secret.ofBytes(line, "pgpass line");
        } finally {
            Arrays.fill(line, (byte) 0);
        }
    }

    private static void writeEscaped(ByteArrayOutputStream out, byte[] bytes, boolean escape) {
        for (byte b : bytes) {
            if (escape && (b == ':' || b == '\\')) {
                out.write('\\');
            }
            out.write(b);
        }
    }
}
