package dev.drkit.secrets.hikari;

import com.zaxxer.hikari.HikariCredentialsProvider;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.util.Credentials;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.DatabaseCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * Hands a {@link CredentialsSource} (such as {@link dev.drkit.secrets.DynamicDatabaseCredentials}) to HikariCP:
 * every new connection is opened with {@link CredentialsSource#current()}, and once the source rotates, the
 * pool's existing connections are soft-evicted ({@link HikariPoolMXBean#softEvictConnections()}): idle ones close
 * at once, busy ones when they are returned, so work in flight finishes on the old credentials and no new
 * connection uses them. Thread-safe.
 *
 * <pre>{@code
 * HikariVaultCredentials provider = HikariVaultCredentials.of(vault.databaseCredentials("database", "orders-rw"));
 * HikariConfig hikari = new HikariConfig();
 * hikari.setJdbcUrl(url);
 * hikari.setCredentialsProvider(provider);
 * HikariDataSource pool = new HikariDataSource(hikari);
 * provider.evictOnRotation(pool);
 * }</pre>
 *
 * <p>HikariCP's {@link Credentials} holds the password as a {@code String}, which cannot be wiped: that is
 * HikariCP's interface, and the String lives only until the driver has used it.
 *
 * @since 0.1
 */
public final class HikariVaultCredentials implements HikariCredentialsProvider {

    private static final Logger log = LoggerFactory.getLogger(HikariVaultCredentials.class);

    private final CredentialsSource source;

    private HikariVaultCredentials(CredentialsSource source) {
        this.source = Objects.requireNonNull(source, "source");
    }

    /**
     * A provider reading {@code source}.
     *
     * @since 0.1
     */
    public static HikariVaultCredentials of(CredentialsSource source) {
        return new HikariVaultCredentials(source);
    }

    /**
     * The credentials for a new connection.
     *
     * @throws dev.drkit.core.DrkitException if the source has none usable; HikariCP reports it as a failed connection
     */
    @Override
    public Credentials getCredentials() {
        DatabaseCredentials c = source.current();
        return c.password().withChars(chars -> Credentials.of(c.username(), new String(chars)));
    }

    /**
     * Soft-evicts {@code pool}'s connections after every rotation of the source, until the returned handle is
     * closed (or the pool is).
     *
     * @since 0.1
     */
    public CredentialsSource.Registration evictOnRotation(HikariDataSource pool) {
        Objects.requireNonNull(pool, "pool");
        return source.onRotation(() -> {
            HikariPoolMXBean bean = pool.getHikariPoolMXBean();
            if (bean != null && !pool.isClosed()) {
                bean.softEvictConnections();
                log.info("HikariCP pool '{}': connections soft-evicted after a credentials rotation", pool.getPoolName());
            }
        });
    }

    @Override
    public String toString() {
        return "HikariVaultCredentials[" + source + "]";
    }
}
