package dev.drkit.core.secret;

import dev.drkit.core.internal.Names;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A database user name and its password, as handed out by a {@link CredentialsSource}: fixed credentials from a
 * file, or short-lived ones from Vault's database secrets engine.
 *
 * <p>{@link #toString()} shows the user name and expiry, never the password. Instances are immutable and
 * thread-safe; the password belongs to the source that issued the credentials, which closes it once the
 * credentials have been replaced and no longer handed out, so callers must not close it themselves.
 *
 * @since 0.1
 */
public final class DatabaseCredentials {

    private final String username;
    private final Secret password;
    private final @Nullable Instant expiresAt;

    private DatabaseCredentials(String username, Secret password, @Nullable Instant expiresAt) {
        this.username = Names.printable(username, 63, "username");
        this.password = Objects.requireNonNull(password, "password");
        this.expiresAt = expiresAt;
    }

    /** Credentials that do not expire. */
    public static DatabaseCredentials of(String username, Secret password) {
        return new DatabaseCredentials(username, password, null);
    }

    /** Credentials that stop working at {@code expiresAt} (a lease's end, a role's {@code VALID UNTIL}). */
    public static DatabaseCredentials expiring(String username, Secret password, Instant expiresAt) {
        return new DatabaseCredentials(username, password, Objects.requireNonNull(expiresAt, "expiresAt"));
    }

    /** The user name; not secret. */
    public String username() {
        return username;
    }

    /** The password. */
    public Secret password() {
        return password;
    }

    /** When these credentials stop working, if known. */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    @Override
    public String toString() {
        return "DatabaseCredentials[username=" + username
            + (expiresAt == null ? "" : ", expiresAt=" + expiresAt) + ", password=" + password + "]";
    }
}
