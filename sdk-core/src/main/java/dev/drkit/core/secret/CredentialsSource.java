package dev.drkit.core.secret;

import java.util.Objects;

/**
 * Where a connection pool gets its database credentials. This is how sdk-secrets (which rotates credentials from
 * Vault's database secrets engine) and sdk-failover (whose pools use them) meet without depending on each
 * other: the application passes one to the other.
 *
 * <p>A source that rotates calls its rotation listeners after {@link #current()} starts returning the new
 * credentials, so that a pool can retire connections opened with the old ones. Implementations are thread-safe;
 * {@link #current()} must be cheap and must not block on a network call.
 *
 * <pre>{@code
 * CredentialsSource credentials = CredentialsSource.fixed("app", Secrets.fromFile(Path.of("/etc/app/db.password")));
 * }</pre>
 *
 * @since 0.1
 */
public interface CredentialsSource {

    /**
     * The credentials to open new connections with.
     *
     * @throws dev.drkit.core.DrkitException if no usable credentials are available (for example all have expired
     *                                       while Vault was unreachable)
     */
    DatabaseCredentials current();

    /**
     * Registers {@code listener} to run after each rotation; the returned handle removes it. Fixed sources never
     * rotate and ignore listeners.
     */
    default Registration onRotation(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        return () -> { };
    }

    /** Credentials that never change. */
    static CredentialsSource fixed(String username, Secret password) {
        DatabaseCredentials credentials = DatabaseCredentials.of(username, password);
        return () -> credentials;
    }

    /**
     * Removes a rotation listener.
     *
     * @since 0.1
     */
    @FunctionalInterface
    interface Registration extends AutoCloseable {

        /** Removes the listener; removing twice does nothing. */
        @Override
        void close();
    }
}
