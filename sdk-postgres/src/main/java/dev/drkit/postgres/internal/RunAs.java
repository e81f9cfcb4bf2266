package dev.drkit.postgres.internal;

import dev.drkit.core.EnvironmentException;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How PostgreSQL's programs are started: directly, or, when the JVM runs as root (which {@code initdb} and
 * {@code postgres} refuse), as an unprivileged user through {@code setpriv} (preferred: no PAM session) or
 * {@code runuser}. Immutable and thread-safe.
 *
 * <p>The user is, in order: the one asked for, the {@code DRKIT_PG_USER} environment variable, {@code postgres}
 * if that account exists, else {@code nobody}.
 */
public final class RunAs {

    /** Environment variable naming the user to run PostgreSQL as when the JVM is root. */
    public static final String USER_VARIABLE = "DRKIT_PG_USER";

    private static final List<Path> TOOL_DIRECTORIES =
        List.of(Path.of("/usr/bin"), Path.of("/bin"), Path.of("/usr/sbin"), Path.of("/sbin"));

    private final @Nullable OsUser user;
    private final List<String> prefix;

    private RunAs(@Nullable OsUser user, List<String> prefix) {
        this.user = user;
        this.prefix = List.copyOf(prefix);
    }

    /** Runs programs as the JVM's own user. */
    public static RunAs direct() {
        return new RunAs(null, List.of());
    }

    /** Runs programs as {@code user} through {@code setpriv} at {@code setpriv}. */
    public static RunAs setpriv(Path setpriv, OsUser user) {
        return new RunAs(user, List.of(setpriv.toString(), "--reuid=" + user.uid(), "--regid=" + user.gid(),
            "--init-groups", "--"));
    }

    /**
     * Runs programs as {@code user} through {@code runuser}; {@code --preserve-environment} keeps the explicit
     * environment that drkit builds for every child.
     */
    public static RunAs runuser(Path runuser, OsUser user) {
        return new RunAs(user, List.of(runuser.toString(), "--preserve-environment", "-u", user.name(), "--"));
    }

    /**
     * Decides for this JVM.
     *
     * @param requestedUser the user a configuration asked for, or {@code null}
     * @throws EnvironmentException if the JVM is root and no usable user or switching tool exists
     */
    public static RunAs detect(@Nullable String requestedUser) {
        return detect(isRoot(), requestedUser, System.getenv(), RunAs::findTool);
    }

    /** The decision, with every input injectable for tests. */
    static RunAs detect(boolean root, @Nullable String requestedUser, Map<String, String> env,
                        java.util.function.Function<String, Optional<Path>> toolFinder) {
        if (!root) {
            return direct();
        }
        String name = requestedUser != null ? requestedUser : env.get(USER_VARIABLE);
        Optional<OsUser> user;
        if (name != null && !name.isBlank()) {
            user = OsUser.lookup(name.trim());
            if (user.isEmpty()) {
                throw new EnvironmentException("PostgreSQL cannot run as root, and the user '" + name.trim()
                    + "' asked for (configuration or " + USER_VARIABLE + ") does not exist",
                    Map.of("user", name.trim()), null);
            }
        } else {
            user = OsUser.lookup("postgres").or(() -> OsUser.lookup("nobody"));
            if (user.isEmpty()) {
                throw new EnvironmentException("PostgreSQL cannot run as root, and neither a 'postgres' nor a"
                    + " 'nobody' user exists; create one or set " + USER_VARIABLE, Map.of(), null);
            }
        }
        if (user.get().uid() == 0) {
            throw new EnvironmentException("PostgreSQL cannot run as root, but the user '" + user.get().name()
                + "' has uid 0; choose an unprivileged user with " + USER_VARIABLE,
                Map.of("user", user.get().name()), null);
        }
        Optional<Path> setpriv = toolFinder.apply("setpriv");
        if (setpriv.isPresent()) {
            return setpriv(setpriv.get(), user.get());
        }
        Optional<Path> runuser = toolFinder.apply("runuser");
        if (runuser.isPresent()) {
            return runuser(runuser.get(), user.get());
        }
        throw new EnvironmentException("PostgreSQL cannot run as root, and neither setpriv nor runuser was found"
            + " in " + TOOL_DIRECTORIES + " to run it as '" + user.get().name()
            + "'; install util-linux or run the JVM as an unprivileged user",
            Map.of("user", user.get().name(), "tool", "setpriv"), null);
    }

    /** Whether this JVM's effective user is root. */
    public static boolean isRoot() {
        try {
            // /proc/self belongs to the process's effective uid.
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static Optional<Path> findTool(String name) {
        for (Path dir : TOOL_DIRECTORIES) {
            Path candidate = dir.resolve(name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Whether programs run as another user than the JVM's. */
    public boolean switchesUser() {
        return user != null;
    }

    /** The user programs run as, when it differs from the JVM's. */
    public Optional<OsUser> user() {
        return Optional.ofNullable(user);
    }

    /** The user's name when programs run as another user, for {@code CredentialFiles} owners. */
    public @Nullable String ownerName() {
        return user == null ? null : user.name();
    }

    /** {@code command}, prefixed with the user switch when there is one. */
    public List<String> wrap(List<String> command) {
        Objects.requireNonNull(command, "command");
        List<String> wrapped = new ArrayList<>(prefix.size() + command.size());
        wrapped.addAll(prefix);
        wrapped.addAll(command);
        return List.copyOf(wrapped);
    }

    /**
     * Gives {@code path} (not following links) to the user programs run as; a no-op when they run as the JVM's
     * user.
     */
    public void chown(Path path) throws IOException {
        if (user != null) {
            Files.setAttribute(path, "unix:uid", user.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", user.gid(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    /**
     * Checks that the user programs run as can reach {@code directory}: every ancestor must be searchable by
     * it. Supplementary groups are not considered.
     *
     * @throws EnvironmentException naming the first ancestor the user cannot pass
     */
    public void checkTraversable(Path directory) {
        if (user == null) {
            return;
        }
        for (Path p = directory.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                int ownerUid = (Integer) Files.getAttribute(p, "unix:uid");
                int groupGid = (Integer) Files.getAttribute(p, "unix:gid");
                boolean ok = perms.contains(PosixFilePermission.OTHERS_EXECUTE)
                    || ownerUid == user.uid() && perms.contains(PosixFilePermission.OWNER_EXECUTE)
                    || groupGid == user.gid() && perms.contains(PosixFilePermission.GROUP_EXECUTE);
                if (!ok) {
                    throw new EnvironmentException("PostgreSQL runs as '" + user.name() + "' (the JVM is root), but"
                        + " that user cannot enter " + p + " (" + java.nio.file.attribute.PosixFilePermissions.toString(perms)
                        + "), so it cannot reach " + directory + "; choose a base directory under a world-searchable"
                        + " one such as /tmp, or allow others to search " + p,
                        Map.of("file", p.toString(), "user", user.name()), null);
                }
            } catch (IOException | UnsupportedOperationException e) {
                // Cannot tell; the child's own error will say more if it fails.
                return;
            }
        }
    }

    @Override
    public String toString() {
        return user == null ? "RunAs[direct]" : "RunAs[" + user.name() + " via " + prefix.get(0) + "]";
    }
}
