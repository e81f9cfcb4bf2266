package dev.drkit.secrets;

import dev.drkit.core.secret.FileAccess;
import dev.drkit.core.secret.SecretSource;
import dev.drkit.core.secret.Secrets;
import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link VaultClient} logs in. Immutable and thread-safe; it holds where the credentials come from, never
 * the credentials themselves.
 *
 * <pre>{@code
 * VaultAuth auth = VaultAuth.appRoleFiles(Path.of("/etc/app/role-id"), Path.of("/etc/app/secret-id"));
 * }</pre>
 *
 * <ul>
 * <li>{@link #appRoleFiles}: role ID and secret ID from files only their owner may read (group- or
 *     world-readable files are refused, as {@link Secrets#fromFile} does); read again at every login, so a
 *     secret ID an operator replaced is picked up.</li>
 * <li>{@link #appRole}: from any {@link SecretSource}.</li>
 * <li>{@link #appRoleWrapped}: the secret ID arrives inside a response-wrapping token, which is unwrapped once
 *     ({@code sys/wrapping/unwrap}); the unwrapped secret ID is kept in memory for later logins.</li>
 * <li>{@link #token}: a ready token (from Vault Agent, say). A root token is refused unless
 *     {@link VaultConfig.Builder#allowRootToken(boolean)} opts in, and then a warning is logged at every start.</li>
 * </ul>
 *
 * @since 0.1
 */
public final class VaultAuth {

    /**
     * The login method.
     *
     * @since 0.1
     */
    public enum Method {
        /** AppRole with a plain secret ID. */
        APPROLE,
        /** AppRole with a secret ID inside a response-wrapping token. */
        APPROLE_WRAPPED,
        /** A ready token. */
        TOKEN
    }

    /** The default AppRole mount path: {@value}. */
    public static final String DEFAULT_APPROLE_MOUNT = "approle";

    private final Method method;
    private final @Nullable SecretSource roleId;
    private final @Nullable SecretSource secretId;
    private final @Nullable SecretSource token;
    private final String mount;

    private VaultAuth(Method method, @Nullable SecretSource roleId, @Nullable SecretSource secretId,
                      @Nullable SecretSource token, String mount) {
        this.method = method;
        this.roleId = roleId;
        this.secretId = secretId;
        this.token = token;
        this.mount = mount;
    }

    /**
     * AppRole with the role ID and secret ID from files, each read with the checks of
     * {@link Secrets#fromFile(Path, FileAccess...)} at every login.
     *
     * @param access relaxations of the file checks, such as {@link FileAccess#FOLLOW_SYMLINKS} for Kubernetes
     * @since 0.1
     */
    public static VaultAuth appRoleFiles(Path roleIdFile, Path secretIdFile, FileAccess... access) {
        return appRole(Secrets.fileSource(roleIdFile, access), Secrets.fileSource(secretIdFile, access));
    }

    /**
     * AppRole with the role ID and secret ID from sources, asked at every login.
     *
     * @since 0.1
     */
    public static VaultAuth appRole(SecretSource roleId, SecretSource secretId) {
        return new VaultAuth(Method.APPROLE, Objects.requireNonNull(roleId, "roleId"),
            Objects.requireNonNull(secretId, "secretId"), null, DEFAULT_APPROLE_MOUNT);
    }

    /**
     * AppRole whose secret ID comes wrapped: {@code wrappingToken} is asked once and unwrapped once.
     *
     * @since 0.1
     */
    public static VaultAuth appRoleWrapped(SecretSource roleId, SecretSource wrappingToken) {
        return new VaultAuth(Method.APPROLE_WRAPPED, Objects.requireNonNull(roleId, "roleId"),
            Objects.requireNonNull(wrappingToken, "wrappingToken"), null, DEFAULT_APPROLE_MOUNT);
    }

    /**
     * A ready token. It is renewed while Vault allows; looking the same token up again renews nothing, so once it
     * cannot be renewed (not renewable, or at its max TTL) {@code token} is asked again until it gives another
     * token (a file Vault Agent or an operator replaces, say), which is then used as a new login. Give a renewable
     * token or replace it in time: once it has expired, or as soon as Vault refuses it (revoked, or expired on
     * Vault's clock), one ERROR is logged, nothing is renewed any more, {@link VaultStats#staticTokenExpired()} is
     * true, calls fail with {@link VaultAuthException} ({@link VaultException.Reason#NOT_RENEWABLE}) and KV reads
     * get the last known values for up to {@link VaultConfig#maxStaleness()}, until the source gives another token.
     * A token without an expiry (a root token) never needs either.
     *
     * @since 0.1
     */
    public static VaultAuth token(SecretSource token) {
        return new VaultAuth(Method.TOKEN, null, null, Objects.requireNonNull(token, "token"), "token");
    }

    /**
     * The same login at another AppRole mount path ({@code auth/<mount>/login}).
     *
     * @throws IllegalArgumentException if {@code mount} is blank or holds characters other than letters, digits,
     *                                  {@code -}, {@code _} and {@code /}
     * @since 0.1
     */
    public VaultAuth atMount(String mount) {
        return new VaultAuth(method, roleId, secretId, token, VaultConfig.checkPath(mount, "mount"));
    }

    /**
     * The login method.
     *
     * @since 0.1
     */
    public Method method() {
        return method;
    }

    /**
     * Where the role ID comes from (AppRole methods).
     *
     * @since 0.1
     */
    public Optional<SecretSource> roleId() {
        return Optional.ofNullable(roleId);
    }

    /**
     * Where the secret ID (or, for {@link Method#APPROLE_WRAPPED}, the wrapping token) comes from.
     *
     * @since 0.1
     */
    public Optional<SecretSource> secretId() {
        return Optional.ofNullable(secretId);
    }

    /**
     * Where the token comes from ({@link Method#TOKEN}).
     *
     * @since 0.1
     */
    public Optional<SecretSource> token() {
        return Optional.ofNullable(token);
    }

    /**
     * The auth mount path, {@value #DEFAULT_APPROLE_MOUNT} unless changed.
     *
     * @since 0.1
     */
    public String mount() {
        return mount;
    }

    @Override
    public String toString() {
        return "VaultAuth[" + method + (method == Method.TOKEN ? "" : " at auth/" + mount) + "]";
    }
}
