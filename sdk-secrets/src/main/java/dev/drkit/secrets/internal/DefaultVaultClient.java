package dev.drkit.secrets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drkit.secrets.DynamicDatabaseCredentials;
import dev.drkit.secrets.KvEngine;
import dev.drkit.secrets.TokenInfo;
import dev.drkit.secrets.VaultClient;
import dev.drkit.secrets.VaultConfig;
import dev.drkit.secrets.VaultException;
import dev.drkit.secrets.VaultStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/** The {@link VaultClient}: wires the HTTP layer, the token manager, KV engines and database credentials. */
public final class DefaultVaultClient implements VaultClient {

    private static final Logger log = LoggerFactory.getLogger(DefaultVaultClient.class);
    private static final Pattern MOUNT = Pattern.compile("[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*");

    private final VaultConfig config;
    private final TaskScheduler scheduler;
    private final Stats stats = new Stats();
    private final VaultHttp http;
    private final TokenManager tokens;
    private final ConcurrentHashMap<String, DefaultKvEngine.Entry> cache = new ConcurrentHashMap<>();
    private final List<DynamicDatabaseCredentials> credentials = new CopyOnWriteArrayList<>();
    /** Jitter of renewals and retries, so clients started together spread out. */
    private final Random random;
    private volatile boolean closed;

    private DefaultVaultClient(VaultConfig config, TaskScheduler scheduler, Random random) {
        this.config = config;
        this.scheduler = scheduler;
        this.random = random;
        this.http = new VaultHttp(config, stats);
        this.tokens = new TokenManager(config, http, scheduler, stats, random);
    }

    /** Starts a client; see {@link VaultClient#start(VaultConfig)}. */
    public static VaultClient start(VaultConfig config, TaskScheduler scheduler) {
        return start(config, scheduler, new SecureRandom());
    }

    /** Starts a client whose renewals and retries take their jitter from {@code random}. */
    public static VaultClient start(VaultConfig config, TaskScheduler scheduler, Random random) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(random, "random");
        DefaultVaultClient client = new DefaultVaultClient(config, scheduler, random);
        try {
            client.tokens.start();
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
        return client;
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public boolean isLoggedIn() {
        return tokens.isLoggedIn();
    }

    @Override
    public TokenInfo token() {
        return tokens.info();
    }

    @Override
    public TokenInfo lookupToken() {
        checkOpen();
        return tokens.lookup();
    }

    @Override
    public KvEngine kv1(String mount) {
        return new DefaultKvEngine(checkMount(mount), 1, config, http, tokens, stats, cache, () -> closed);
    }

    @Override
    public KvEngine kv2(String mount) {
        return new DefaultKvEngine(checkMount(mount), 2, config, http, tokens, stats, cache, () -> closed);
    }

    @Override
    public KvEngine kv(String mount) {
        checkOpen();
        String m = checkMount(mount);
        String path = "sys/internal/ui/mounts/" + m;
        VaultHttp.Response r = http.call("mount lookup", "GET", path, tokens.token(), null);
        if (r.status() != 200) {
            throw new VaultException("Vault client '" + config.name() + "': cannot tell the engine at '" + m + "' (HTTP "
                + r.status() + ")", r.status() == 403 ? VaultException.Reason.PERMISSION_DENIED
                : VaultException.Reason.NOT_FOUND, path, r.status(), null);
        }
        JsonNode data = r.body().path("data");
        if (!"kv".equals(data.path("type").asText())) {
            throw new VaultException("Vault client '" + config.name() + "': the engine at '" + m + "' is not KV but '"
                + data.path("type").asText("?") + "'", VaultException.Reason.BAD_REQUEST, path, r.status(), null);
        }
        return "2".equals(data.path("options").path("version").asText("1")) ? kv2(m) : kv1(m);
    }

    @Override
    public DynamicDatabaseCredentials databaseCredentials(String mount, String role) {
        checkOpen();
        DefaultDynamicCredentials c = new DefaultDynamicCredentials(checkMount(mount), checkMount(role), config, http,
            tokens, scheduler, stats, random);
        credentials.add(c);
        return c;
    }

    @Override
    public VaultStats stats() {
        return stats.snapshot(tokens::timeLeft, tokens::staticTokenEnded);
    }

    @Override
    public Duration staleness() {
        return Duration.ofNanos(DefaultKvEngine.staleness(cache, config.ticker().nanos(), stats.answered.get()));
    }

    /** The credentials handed out so far, for metrics. */
    public List<DynamicDatabaseCredentials> credentials() {
        return List.copyOf(credentials);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (DynamicDatabaseCredentials c : credentials) {
            c.close();
        }
        tokens.close();
        scheduler.close();
        DefaultKvEngine.wipe(cache);
        log.info("Vault client '{}': closed", config.name());
    }

    @Override
    public String toString() {
        return "VaultClient[" + config.name() + " at " + config.address() + ", loggedIn=" + isLoggedIn() + "]";
    }

    private void checkOpen() {
        if (closed) {
            throw new VaultException("Vault client '" + config.name() + "' is closed", VaultException.Reason.CLOSED, "",
                0, null);
        }
    }

    private static String checkMount(String mount) {
        Objects.requireNonNull(mount, "mount");
        if (!MOUNT.matcher(mount).matches() || mount.contains("..")) {
            throw new IllegalArgumentException("mount must be a Vault path of letters, digits, '_', '-', '.' and '/',"
                + " but was \"" + mount.replaceAll("\\p{Cntrl}", "?") + "\"");
        }
        return mount;
    }
}
