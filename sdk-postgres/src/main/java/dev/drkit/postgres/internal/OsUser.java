package dev.drkit.postgres.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An operating-system account: name, uid and primary gid. Immutable.
 *
 * @param name the login name
 * @param uid  the numeric user id
 * @param gid  the numeric id of the user's primary group
 */
public record OsUser(String name, int uid, int gid) {

    public OsUser {
        Objects.requireNonNull(name, "name");
    }

    /** How long an account found is remembered, so that the steps of one task run {@code getent} once. */
    private static final long REMEMBER_NANOS = 60_000_000_000L;
    /** How long {@code getent} may take: a name service (LDAP, say) that does not answer must not hang drkit. */
    private static final Duration GETENT_TIMEOUT = Duration.ofSeconds(10);
    private static final Map<String, Found> FOUND = new ConcurrentHashMap<>();

    private record Found(OsUser user, long atNanos) {
    }

    /**
     * Looks the account up with {@code getent passwd} (which also sees NSS users), falling back to
     * {@code /etc/passwd}. An account found is remembered for a minute (an account not found is looked up again
     * each time).
     */
    public static Optional<OsUser> lookup(String name) {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}")) {
            return Optional.empty();
        }
        Found found = FOUND.get(name);
        if (found != null && System.nanoTime() - found.atNanos() < REMEMBER_NANOS) {
            return Optional.of(found.user());
        }
        Optional<String> line = getent(name);
        if (line.isEmpty()) {
            line = passwdLine(Path.of("/etc/passwd"), name);
        }
        Optional<OsUser> user = line.flatMap(OsUser::parse);
        user.ifPresent(u -> FOUND.put(name, new Found(u, System.nanoTime())));
        return user;
    }

    /** Parses a {@code passwd(5)} line. */
    static Optional<OsUser> parse(String passwdLine) {
        String[] fields = passwdLine.trim().split(":", -1);
        if (fields.length < 4) {
            return Optional.empty();
        }
        try {
            return Optional.of(new OsUser(fields[0], Integer.parseInt(fields[2]), Integer.parseInt(fields[3])));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    static Optional<String> passwdLine(Path passwd, String name) {
        try {
            List<String> lines = Files.readAllLines(passwd, StandardCharsets.UTF_8);
            return lines.stream().filter(l -> l.startsWith(name + ":")).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> getent(String name) {
        return passwdLine(List.of("getent", "passwd", name), name, GETENT_TIMEOUT);
    }

    /**
     * The passwd line {@code command} prints for {@code name}, or empty if it fails or does not finish within
     * {@code timeout} (a name service that hangs). The wait comes first: one passwd line fits in a pipe's buffer.
     */
    static Optional<String> passwdLine(List<String> command, String name, Duration timeout) {
        Process p = null;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return Optional.empty();
            }
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.exitValue() == 0 && text.startsWith(name + ":") ? Optional.of(text) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
