package dev.drkit.secrets.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A "simulated Vault": a small, faithful stand-in for HashiCorp Vault's HTTP API, written from Vault's
 * documented API, for tests. Real HTTP on 127.0.0.1, real JSON, the documented paths, status codes and error
 * bodies ({@code {"errors":[...]}}), tokens in the {@code X-Vault-Token} header.
 *
 * <p>What it serves: {@code sys/health}, {@code sys/seal-status}, {@code auth/approle/login},
 * {@code auth/token/lookup-self}, {@code renew-self}, {@code revoke-self}, {@code sys/wrapping/unwrap} and
 * {@code lookup}, KV v1 and v2 reads ({@code data/} with {@code ?version=}, {@code metadata/}),
 * {@code sys/internal/ui/mounts/:path}, {@code database/creds/:role} (see {@link SimulatedDatabase}), and
 * {@code sys/leases/renew}, {@code revoke}, {@code lookup}. Token and lease renewals are capped at their max TTL;
 * secret IDs have a number of uses and a TTL; everything expires on a {@link VaultClock}. Leases end with the
 * token that created them, as in Vault.
 *
 * <p>Fault switches: {@link #down()}/{@link #up()} (connections refused), {@link #seal()}/{@link #unseal()}
 * (503), {@link #slow(Duration)}, {@link #failNext(int, int)} (a burst of 5xx answers), {@link #loseAnswers(String, int)}
 * (requests carried out, answers lost).
 *
 * <p>Setup happens through Java methods (the admin side), not HTTP. Test code; never shipped. Thread-safe: every
 * request and setup call holds the state's lock.
 */
public final class SimulatedVault implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    /** What the default policy of every token allows (a subset of Vault's built-in default policy). */
    private static final List<String> DEFAULT_POLICY_PATHS = List.of(
        "auth/token/lookup-self", "auth/token/renew-self", "auth/token/revoke-self", "sys/leases/renew",
        "sys/leases/lookup", "sys/wrapping/", "sys/internal/ui/mounts");

    private final VaultClock clock;
    private final Object lock = new Object();
    private final Map<String, List<String>> policies = new LinkedHashMap<>();
    private final Map<String, AppRole> rolesByName = new LinkedHashMap<>();
    private final Map<String, SecretIdEntry> secretIds = new LinkedHashMap<>();
    private final Map<String, TokenEntry> tokens = new LinkedHashMap<>();
    private final Map<String, Wrapped> wrapped = new LinkedHashMap<>();
    private final Map<String, KvMount> kvMounts = new LinkedHashMap<>();
    private final Map<String, SimulatedDatabase> databases = new LinkedHashMap<>();
    private final Map<String, AtomicInteger> requestCounts = new ConcurrentHashMap<>();
    private final String rootToken;

    private final ExecutorService workers;
    private final ScheduledExecutorService reaper;
    private final int port;
    private volatile HttpServer server;
    private volatile boolean sealed;
    private volatile Duration delay = Duration.ZERO;
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile int failureStatus = 500;
    private final Map<String, AtomicInteger> answersToLose = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private SimulatedVault(VaultClock clock) {
        this.clock = clock;
        this.workers = Executors.newCachedThreadPool(daemon("simulated-vault-http"));
        this.reaper = Executors.newSingleThreadScheduledExecutor(daemon("simulated-vault-reaper"));
        this.server = bind(0);
        this.port = server.getAddress().getPort();
        this.rootToken = newToken("root", List.of("root"), null, Duration.ZERO, Duration.ZERO, false, "root");
        reaper.scheduleWithFixedDelay(this::reapQuietly, 50, 50, TimeUnit.MILLISECONDS);
    }

    /** Starts a simulated Vault in real time on 127.0.0.1 and a free port. */
    public static SimulatedVault start() {
        return start(VaultClock.system());
    }

    /** Starts a simulated Vault whose TTLs run on {@code clock}. */
    public static SimulatedVault start(VaultClock clock) {
        return new SimulatedVault(Objects.requireNonNull(clock, "clock"));
    }

    /** The address clients use, {@code http://127.0.0.1:port}. */
    public URI address() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The clock TTLs run on. */
    public VaultClock clock() {
        return clock;
    }

    /** The root token (as {@code vault server -dev} prints it). */
    public String rootToken() {
        return rootToken;
    }

    // ---------------------------------------------------------------- setup (the admin side)

    /** Defines (or replaces) an ACL policy granting every capability on the given path prefixes. */
    public SimulatedVault policy(String name, String... pathPrefixes) {
        synchronized (lock) {
            policies.put(name, List.of(pathPrefixes));
        }
        return this;
    }

    /** Mounts a KV secrets engine of version 1 or 2 at {@code mount}. */
    public SimulatedVault mountKv(String mount, int version) {
        if (version != 1 && version != 2) {
            throw new IllegalArgumentException("version must be 1 or 2, but was " + version);
        }
        synchronized (lock) {
            kvMounts.put(mount, new KvMount(version));
        }
        return this;
    }

    /** Writes a KV secret; for version 2 a new version is added. Returns the version (1 for KV v1). */
    public int putKv(String mount, String path, Map<String, ?> data) {
        synchronized (lock) {
            KvMount kv = Objects.requireNonNull(kvMounts.get(mount), "no KV mount " + mount);
            List<KvVersion> versions = kv.entries.computeIfAbsent(path, p -> new ArrayList<>());
            KvVersion v = new KvVersion(new LinkedHashMap<>(data), clock.now());
            if (kv.version == 1) {
                versions.clear();
            }
            versions.add(v);
            return kv.version == 1 ? 1 : versions.size();
        }
    }

    /** Soft-deletes one version of a KV v2 secret (its {@code deletion_time} is set). */
    public void deleteKvVersion(String mount, String path, int version) {
        synchronized (lock) {
            KvMount kv = Objects.requireNonNull(kvMounts.get(mount), "no KV mount " + mount);
            kv.entries.get(path).get(version - 1).deletedAt = clock.now();
        }
    }

    /** Enables a database secrets engine at {@code mount}. */
    public SimulatedDatabase mountDatabase(String mount, SimulatedDatabase.AdminConnections admin) {
        synchronized (lock) {
            SimulatedDatabase db = new SimulatedDatabase(mount, admin);
            databases.put(mount, db);
            return db;
        }
    }

    /** Creates (or replaces) an AppRole role. */
    public AppRole appRole(String name, AppRoleSettings settings) {
        synchronized (lock) {
            AppRole role = new AppRole(name, UUID.randomUUID().toString(), settings);
            rolesByName.put(name, role);
            return role;
        }
    }

    /** A new secret ID for {@code role}, as {@code POST auth/approle/role/:name/secret-id} would return. */
    public String newSecretId(AppRole role) {
        synchronized (lock) {
            String id = UUID.randomUUID().toString();
            Instant expires = role.settings.secretIdTtl.isZero() ? null : clock.now().plus(role.settings.secretIdTtl);
            secretIds.put(id, new SecretIdEntry(role.name, role.settings.secretIdNumUses, expires));
            return id;
        }
    }

    /** A new secret ID wrapped in a response-wrapping token with {@code wrapTtl}; returns the wrapping token. */
    public String newWrappedSecretId(AppRole role, Duration wrapTtl) {
        synchronized (lock) {
            String secretId = newSecretId(role);
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("secret_id", secretId);
            data.put("secret_id_accessor", UUID.randomUUID().toString());
            data.put("secret_id_ttl", role.settings.secretIdTtl.toSeconds());
            data.put("secret_id_num_uses", role.settings.secretIdNumUses);
            String token = "hvs." + random(24);
            wrapped.put(token, new Wrapped(data, clock.now(), clock.now().plus(wrapTtl),
                "auth/approle/role/" + role.name + "/secret-id"));
            return token;
        }
    }

    /** A token made directly (as {@code vault token create} would), with the given policies. */
    public String createToken(List<String> tokenPolicies, Duration ttl, Duration maxTtl, boolean renewable) {
        synchronized (lock) {
            return newToken("token", tokenPolicies, null, ttl, maxTtl, renewable, "token");
        }
    }

    /** Revokes every token issued by logging in with {@code role} (and the leases they created). */
    public int revokeTokensOf(AppRole role) {
        synchronized (lock) {
            List<String> ids = new ArrayList<>();
            tokens.forEach((id, t) -> {
                if (role.name.equals(t.roleName)) {
                    ids.add(id);
                }
            });
            ids.forEach(this::revokeTokenLocked);
            return ids.size();
        }
    }

    /** Revokes one token (as {@code vault token revoke} would) and the leases it created; whether it was live. */
    public boolean revokeToken(String token) {
        synchronized (lock) {
            boolean live = tokens.containsKey(token);
            revokeTokenLocked(token);
            return live;
        }
    }

    /** Live tokens issued to {@code role}. */
    public int liveTokensOf(AppRole role) {
        synchronized (lock) {
            reap();
            return (int) tokens.values().stream().filter(t -> role.name.equals(t.roleName)).count();
        }
    }

    /** How many requests were made to a path (such as {@code auth/approle/login}), any method. */
    public int requests(String path) {
        AtomicInteger n = requestCounts.get(path);
        return n == null ? 0 : n.get();
    }

    // ---------------------------------------------------------------- fault switches

    /** Stops listening: connections are refused until {@link #up()}. */
    public void down() {
        HttpServer s = server;
        if (s != null) {
            server = null;
            s.stop(0);
        }
    }

    /** Listens again on the same port. */
    public void up() {
        if (server == null && !closed) {
            server = bind(port);
        }
    }

    /** Seals: every request but {@code sys/health} and {@code sys/seal-status} gets 503. */
    public void seal() {
        sealed = true;
    }

    /** Unseals. */
    public void unseal() {
        sealed = false;
    }

    /** Delays every answer by {@code by} ({@link Duration#ZERO} for none). */
    public void slow(Duration by) {
        delay = Objects.requireNonNull(by, "by");
    }

    /** Answers the next {@code count} requests with {@code status} (a 5xx burst). */
    public void failNext(int count, int status) {
        failureStatus = status;
        failuresLeft.set(count);
    }

    /**
     * Carries out the next {@code count} requests to {@code path} (such as {@code auth/approle/login}) but closes the
     * connection instead of answering, as a proxy or a network fault can once Vault has applied a request: the
     * client cannot tell whether it was carried out.
     */
    public void loseAnswers(String path, int count) {
        answersToLose.put(path, new AtomicInteger(count));
    }

    @Override
    public void close() {
        closed = true;
        down();
        reaper.shutdownNow();
        workers.shutdownNow();
        synchronized (lock) {
            for (SimulatedDatabase db : databases.values()) {
                db.revokeAll();
            }
        }
    }

    // ---------------------------------------------------------------- HTTP

    private HttpServer bind(int onPort) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 0);
            s.createContext("/", this::handle);
            s.setExecutor(workers);
            s.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Answer answer;
            try {
                // Counted on arrival, before any delay, so a test can see a request that is still in flight.
                requestCounts.computeIfAbsent(normalized(exchange.getRequestURI().getPath()), p -> new AtomicInteger())
                    .incrementAndGet();
                Duration d = delay;
                if (!d.isZero()) {
                    Thread.sleep(d.toMillis());
                }
                answer = route(exchange);
                AtomicInteger lose = answersToLose.get(normalized(exchange.getRequestURI().getPath()));
                if (lose != null && lose.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                    return;   // closing the exchange unanswered closes the connection: the answer is lost
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                answer = Answer.errors(500, "interrupted");
            } catch (BadRequest e) {
                answer = Answer.errors(400, e.getMessage());
            } catch (RuntimeException e) {
                answer = Answer.errors(500, "internal error");
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            if (answer.body == null) {
                exchange.sendResponseHeaders(answer.status, -1);
            } else {
                byte[] bytes = JSON.writeValueAsBytes(answer.body);
                exchange.sendResponseHeaders(answer.status, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    private Answer route(HttpExchange exchange) throws IOException {
        String rawPath = exchange.getRequestURI().getPath();
        if (!rawPath.startsWith("/v1/")) {
            return Answer.errors(404, "no handler for route \"" + rawPath + "\"");
        }
        String path = normalized(rawPath);
        String method = exchange.getRequestMethod();
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        JsonNode body = readBody(exchange.getRequestBody());
        String token = exchange.getRequestHeaders().getFirst("X-Vault-Token");

        if (path.equals("sys/health")) {
            return health(method);
        }
        if (path.equals("sys/seal-status")) {
            return sealStatus();
        }
        if (failuresLeft.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            return Answer.errors(failureStatus, failureStatus == 503 ? "Vault is sealed" : "internal error");
        }
        if (sealed) {
            return Answer.errors(503, "Vault is sealed");
        }
        synchronized (lock) {
            reap();
            if (path.equals("auth/approle/login") && isWrite(method)) {
                return appRoleLogin(body);
            }
            if (path.equals("sys/wrapping/unwrap") && isWrite(method)) {
                String wrappingToken = body.hasNonNull("token") ? body.get("token").asText() : token;
                return unwrap(wrappingToken);
            }
            if (path.equals("sys/wrapping/lookup") && isWrite(method)) {
                return wrapLookup(body.path("token").asText(""));
            }
            TokenEntry caller = token == null ? null : tokens.get(token);
            if (caller == null) {
                return Answer.errors(403, "permission denied");
            }
            if (!allowed(caller, path)) {
                return Answer.errors(403, "1 error occurred:\n\t* permission denied\n\n");
            }
            caller.uses++;
            switch (path) {
                case "auth/token/lookup-self":
                    return Answer.ok(envelope(lookupData(token, caller), null));
                case "auth/token/renew-self":
                    return isWrite(method) ? renewSelf(token, caller, body) : Answer.errors(405, "unsupported operation");
                case "auth/token/revoke-self":
                    revokeTokenLocked(token);
                    return new Answer(204, null);
                case "sys/leases/renew":
                    return renewLease(body);
                case "sys/leases/revoke":
                    return revokeLease(body);
                case "sys/leases/lookup":
                    return lookupLease(body);
                default:
                    break;
            }
            if (path.startsWith("sys/internal/ui/mounts/")) {
                return mountInfo(path.substring("sys/internal/ui/mounts/".length()));
            }
            String mount = path.contains("/") ? path.substring(0, path.indexOf('/')) : path;
            String rest = path.contains("/") ? path.substring(path.indexOf('/') + 1) : "";
            KvMount kv = kvMounts.get(mount);
            if (kv != null && method.equals("GET")) {
                return kv.version == 1 ? kv1Read(kv, rest) : kv2Read(kv, rest, query);
            }
            SimulatedDatabase db = databases.get(mount);
            if (db != null && rest.startsWith("creds/") && method.equals("GET")) {
                return dbCreds(db, rest.substring("creds/".length()), token, caller);
            }
            return Answer.errors(404, "no handler for route \"" + path + "\". route entry not found.");
        }
    }

    private static String normalized(String rawPath) {
        String path = rawPath.startsWith("/v1/") ? rawPath.substring(4) : rawPath;
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return path;
    }

    private Answer health(String method) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("initialized", true);
        body.put("sealed", sealed);
        body.put("standby", sealed);
        body.put("performance_standby", false);
        body.put("replication_performance_mode", "disabled");
        body.put("replication_dr_mode", "disabled");
        body.put("server_time_utc", clock.now().getEpochSecond());
        body.put("version", "1.17.0+simulated");
        body.put("cluster_name", "simulated-vault");
        int status = sealed ? 503 : 200;
        return new Answer(status, method.equals("HEAD") ? null : body);
    }

    private Answer sealStatus() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "shamir");
        body.put("initialized", true);
        body.put("sealed", sealed);
        body.put("t", 1);
        body.put("n", 1);
        body.put("progress", 0);
        body.put("version", "1.17.0+simulated");
        return Answer.ok(body);
    }

    // ---------------------------------------------------------------- auth

    private Answer appRoleLogin(JsonNode body) {
        String roleId = body.path("role_id").asText("");
        String secretId = body.path("secret_id").asText("");
        if (roleId.isEmpty()) {
            throw new BadRequest("missing role_id");
        }
        AppRole role = rolesByName.values().stream().filter(r -> r.roleId.equals(roleId)).findFirst().orElse(null);
        SecretIdEntry entry = secretIds.get(secretId);
        if (role == null || entry == null || !entry.roleName.equals(role.name)) {
            throw new BadRequest("invalid role or secret ID");
        }
        if (entry.usesLeft > 0) {
            entry.usesLeft--;
            if (entry.usesLeft == 0) {
                secretIds.remove(secretId);
            }
        }
        AppRoleSettings s = role.settings;
        String token = newToken("approle", s.tokenPolicies, role.name, s.tokenTtl, s.tokenMaxTtl, s.renewable,
            "approle");
        return Answer.ok(envelope(null, authBlock(token, tokens.get(token), s.tokenTtl.toSeconds())));
    }

    private Answer renewSelf(String token, TokenEntry t, JsonNode body) {
        if (!t.renewable) {
            throw new BadRequest("lease is not renewable");
        }
        Duration increment = body.has("increment") ? duration(body.get("increment")) : t.ttl;
        Instant now = clock.now();
        Instant wanted = now.plus(increment.isZero() ? t.ttl : increment);
        List<String> warnings = new ArrayList<>();
        Instant granted = wanted;
        if (t.maxExpires != null && wanted.isAfter(t.maxExpires)) {
            granted = t.maxExpires;
            warnings.add("TTL of \"" + increment.toSeconds() + "s\" exceeded the effective max_ttl of \""
                + Duration.between(now, granted).toSeconds() + "s\"; TTL value is capped accordingly");
        }
        t.expires = granted;
        Map<String, Object> env = envelope(null, authBlock(token, t, Duration.between(now, granted).toSeconds()));
        env.put("warnings", warnings.isEmpty() ? null : warnings);
        return Answer.ok(env);
    }

    private Map<String, Object> lookupData(String token, TokenEntry t) {
        Instant now = clock.now();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("accessor", t.accessor);
        data.put("creation_time", t.created.getEpochSecond());
        data.put("creation_ttl", t.ttl.toSeconds());
        data.put("display_name", t.displayName);
        data.put("entity_id", "");
        data.put("expire_time", t.expires == null ? null : t.expires.toString());
        data.put("explicit_max_ttl", 0);
        data.put("id", token);
        data.put("issue_time", t.created.toString());
        data.put("meta", t.roleName == null ? null : Map.of("role_name", t.roleName));
        data.put("num_uses", 0);
        data.put("orphan", true);
        data.put("path", t.roleName == null ? "auth/token/create" : "auth/approle/login");
        data.put("policies", t.policies);
        data.put("renewable", t.renewable);
        data.put("ttl", t.expires == null ? 0 : Math.max(0, Duration.between(now, t.expires).toSeconds()));
        data.put("type", "service");
        return data;
    }

    private Map<String, Object> authBlock(String token, TokenEntry t, long leaseSeconds) {
        Map<String, Object> auth = new LinkedHashMap<>();
        auth.put("client_token", token);
        auth.put("accessor", t.accessor);
        auth.put("policies", t.policies);
        auth.put("token_policies", t.policies);
        auth.put("metadata", t.roleName == null ? null : Map.of("role_name", t.roleName));
        auth.put("lease_duration", leaseSeconds);
        auth.put("renewable", t.renewable);
        auth.put("entity_id", "");
        auth.put("token_type", "service");
        auth.put("orphan", true);
        return auth;
    }

    private Answer unwrap(String wrappingToken) {
        Wrapped w = wrappingToken == null ? null : wrapped.remove(wrappingToken);
        if (w == null || !w.expires.isAfter(clock.now())) {
            throw new BadRequest("wrapping token is not valid or does not exist");
        }
        return Answer.ok(envelope(w.data, null));
    }

    private Answer wrapLookup(String wrappingToken) {
        Wrapped w = wrapped.get(wrappingToken);
        if (w == null || !w.expires.isAfter(clock.now())) {
            throw new BadRequest("wrapping token is not valid or does not exist");
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("creation_path", w.creationPath);
        data.put("creation_time", w.created.toString());
        data.put("creation_ttl", Duration.between(w.created, w.expires).toSeconds());
        return Answer.ok(envelope(data, null));
    }

    private boolean allowed(TokenEntry t, String path) {
        if (t.policies.contains("root")) {
            return true;
        }
        for (String prefix : DEFAULT_POLICY_PATHS) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        for (String policy : t.policies) {
            for (String prefix : policies.getOrDefault(policy, List.of())) {
                if (path.startsWith(prefix)) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- KV

    private Answer mountInfo(String mountPath) {
        String mount = mountPath.contains("/") ? mountPath.substring(0, mountPath.indexOf('/')) : mountPath;
        KvMount kv = kvMounts.get(mount);
        Map<String, Object> data = new LinkedHashMap<>();
        if (kv != null) {
            data.put("type", "kv");
            data.put("path", mount + "/");
            data.put("options", Map.of("version", String.valueOf(kv.version)));
        } else if (databases.containsKey(mount)) {
            data.put("type", "database");
            data.put("path", mount + "/");
            data.put("options", null);
        } else {
            return Answer.errors(403, "preflight capability check returned 403, please ensure client's policies grant access to path \"" + mountPath + "/\"");
        }
        data.put("description", "");
        data.put("local", false);
        data.put("seal_wrap", false);
        return Answer.ok(envelope(data, null));
    }

    private Answer kv1Read(KvMount kv, String path) {
        List<KvVersion> versions = kv.entries.get(path);
        if (versions == null || versions.isEmpty()) {
            return Answer.errors(404);
        }
        Map<String, Object> env = envelope(versions.get(0).data, null);
        env.put("lease_duration", 2764800);
        return Answer.ok(env);
    }

    private Answer kv2Read(KvMount kv, String rest, Map<String, String> query) {
        if (rest.startsWith("data/")) {
            List<KvVersion> versions = kv.entries.get(rest.substring(5));
            if (versions == null || versions.isEmpty()) {
                return Answer.errors(404);
            }
            int version = versions.size();
            if (query.containsKey("version") && !query.get("version").equals("0")) {
                try {
                    version = Integer.parseInt(query.get("version"));
                } catch (NumberFormatException e) {
                    throw new BadRequest("error parsing version: " + e.getMessage());
                }
            }
            if (version < 1 || version > versions.size()) {
                return Answer.errors(404);
            }
            KvVersion v = versions.get(version - 1);
            Map<String, Object> metadata = versionMetadata(v, version);
            Map<String, Object> data = new LinkedHashMap<>();
            if (v.deletedAt != null) {
                // Vault answers a deleted version with 404 and its metadata, data null.
                data.put("data", null);
                data.put("metadata", metadata);
                Map<String, Object> env = envelope(data, null);
                return new Answer(404, env);
            }
            data.put("data", v.data);
            data.put("metadata", metadata);
            return Answer.ok(envelope(data, null));
        }
        if (rest.startsWith("metadata/")) {
            List<KvVersion> versions = kv.entries.get(rest.substring(9));
            if (versions == null || versions.isEmpty()) {
                return Answer.errors(404);
            }
            Map<String, Object> versionsMap = new LinkedHashMap<>();
            for (int i = 0; i < versions.size(); i++) {
                KvVersion v = versions.get(i);
                versionsMap.put(String.valueOf(i + 1), Map.of(
                    "created_time", v.created.toString(),
                    "deletion_time", v.deletedAt == null ? "" : v.deletedAt.toString(),
                    "destroyed", false));
            }
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("cas_required", false);
            data.put("created_time", versions.get(0).created.toString());
            data.put("current_version", versions.size());
            data.put("custom_metadata", null);
            data.put("delete_version_after", "0s");
            data.put("max_versions", 0);
            data.put("oldest_version", 1);
            data.put("updated_time", versions.get(versions.size() - 1).created.toString());
            data.put("versions", versionsMap);
            return Answer.ok(envelope(data, null));
        }
        return Answer.errors(404);
    }

    private static Map<String, Object> versionMetadata(KvVersion v, int version) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("created_time", v.created.toString());
        metadata.put("custom_metadata", null);
        metadata.put("deletion_time", v.deletedAt == null ? "" : v.deletedAt.toString());
        metadata.put("destroyed", false);
        metadata.put("version", version);
        return metadata;
    }

    // ---------------------------------------------------------------- database and leases

    private Answer dbCreds(SimulatedDatabase db, String roleName, String token, TokenEntry caller) {
        Optional<SimulatedDatabase.Issued> issued = db.issue(roleName, caller.displayName, token, clock.now());
        if (issued.isEmpty()) {
            throw new BadRequest("unknown role: " + roleName);
        }
        SimulatedDatabase.Issued i = issued.get();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("username", i.username);
        data.put("password", i.password);
        Map<String, Object> env = envelope(data, null);
        env.put("lease_id", i.leaseId);
        env.put("lease_duration", i.ttl.toSeconds());
        env.put("renewable", i.renewable);
        return Answer.ok(env);
    }

    private Answer renewLease(JsonNode body) {
        String leaseId = body.path("lease_id").asText("");
        SimulatedDatabase db = databaseOf(leaseId);
        if (db == null) {
            throw new BadRequest("lease not found");
        }
        Duration increment = body.has("increment") ? duration(body.get("increment")) : Duration.ZERO;
        SimulatedDatabase.Renewal r = db.renew(leaseId, increment, clock.now());
        Map<String, Object> env = envelope(null, null);
        env.put("lease_id", leaseId);
        env.put("renewable", r.renewable);
        env.put("lease_duration", r.ttl.toSeconds());
        env.put("warnings", r.capped ? List.of("TTL of \"" + increment.toSeconds() + "s\" exceeded the effective max_ttl of \""
            + r.ttl.toSeconds() + "s\"; TTL value is capped accordingly") : null);
        return Answer.ok(env);
    }

    private Answer revokeLease(JsonNode body) {
        String leaseId = body.path("lease_id").asText("");
        SimulatedDatabase db = databaseOf(leaseId);
        if (db != null) {
            db.revoke(leaseId);
        }
        // Vault answers 204 whether or not the lease existed.
        return new Answer(204, null);
    }

    private Answer lookupLease(JsonNode body) {
        String leaseId = body.path("lease_id").asText("");
        SimulatedDatabase db = databaseOf(leaseId);
        SimulatedDatabase.LeaseView view = db == null ? null : db.lookup(leaseId, clock.now()).orElse(null);
        if (view == null) {
            throw new BadRequest("invalid lease");
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("id", leaseId);
        data.put("issue_time", view.issued.toString());
        data.put("expire_time", view.expires.toString());
        data.put("last_renewal", view.lastRenewal == null ? null : view.lastRenewal.toString());
        data.put("renewable", view.renewable);
        data.put("ttl", view.ttl.toSeconds());
        return Answer.ok(envelope(data, null));
    }

    private SimulatedDatabase databaseOf(String leaseId) {
        String mount = leaseId.contains("/") ? leaseId.substring(0, leaseId.indexOf('/')) : "";
        SimulatedDatabase db = databases.get(mount);
        return db != null && db.hasLease(leaseId) ? db : null;
    }

    // ---------------------------------------------------------------- time

    private void reapQuietly() {
        try {
            synchronized (lock) {
                reap();
            }
        } catch (RuntimeException ignored) {
            // the next round tries again
        }
    }

    /** Ends what has expired: tokens (and the leases they created), secret IDs, wrapping tokens, leases. */
    private void reap() {
        Instant now = clock.now();
        List<String> expiredTokens = new ArrayList<>();
        tokens.forEach((id, t) -> {
            if (t.expires != null && !t.expires.isAfter(now)) {
                expiredTokens.add(id);
            }
        });
        expiredTokens.forEach(this::revokeTokenLocked);
        secretIds.values().removeIf(s -> s.expires != null && !s.expires.isAfter(now));
        wrapped.values().removeIf(w -> !w.expires.isAfter(now));
        for (SimulatedDatabase db : databases.values()) {
            db.expire(now);
        }
    }

    private void revokeTokenLocked(String token) {
        if (tokens.remove(token) != null) {
            for (SimulatedDatabase db : databases.values()) {
                db.revokeCreatedBy(token);
            }
        }
    }

    private String newToken(String displayName, List<String> tokenPolicies, String roleName, Duration ttl,
                            Duration maxTtl, boolean renewable, String kind) {
        String id = "hvs." + random(24);
        Instant now = clock.now();
        TokenEntry t = new TokenEntry();
        t.accessor = random(24);
        t.displayName = displayName;
        t.policies = new ArrayList<>(tokenPolicies);
        if (!t.policies.contains("root") && !t.policies.contains("default")) {
            t.policies.add(0, "default");
        }
        t.roleName = roleName;
        t.created = now;
        t.ttl = ttl;
        t.expires = ttl.isZero() ? null : now.plus(ttl);
        t.maxExpires = maxTtl.isZero() ? null : now.plus(maxTtl);
        t.renewable = renewable && !"root".equals(kind);
        tokens.put(id, t);
        return id;
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, Object> envelope(Object data, Object auth) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("request_id", UUID.randomUUID().toString());
        env.put("lease_id", "");
        env.put("renewable", false);
        env.put("lease_duration", 0);
        env.put("data", data);
        env.put("wrap_info", null);
        env.put("warnings", null);
        env.put("auth", auth);
        return env;
    }

    /** Vault accepts durations as integers (seconds) or strings such as {@code "30s"}, {@code "5m"}, {@code "1h"}. */
    static Duration duration(JsonNode node) {
        if (node.isNumber()) {
            return Duration.ofSeconds(node.asLong());
        }
        String s = node.asText("").trim();
        if (s.isEmpty()) {
            return Duration.ZERO;
        }
        try {
            char unit = s.charAt(s.length() - 1);
            if (Character.isDigit(unit)) {
                return Duration.ofSeconds(Long.parseLong(s));
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            switch (unit) {
                case 's': return Duration.ofSeconds(n);
                case 'm': return Duration.ofMinutes(n);
                case 'h': return Duration.ofHours(n);
                default: throw new BadRequest("time: unknown unit in duration");
            }
        } catch (NumberFormatException e) {
            throw new BadRequest("time: invalid duration");
        }
    }

    private static boolean isWrite(String method) {
        return method.equals("POST") || method.equals("PUT");
    }

    private static JsonNode readBody(InputStream in) throws IOException {
        byte[] bytes = in.readAllBytes();
        if (bytes.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(bytes);
            return node == null || node instanceof NullNode ? JSON.createObjectNode() : node;
        } catch (IOException e) {
            throw new BadRequest("failed to parse JSON input");
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw != null) {
            for (String part : raw.split("&")) {
                int eq = part.indexOf('=');
                String k = eq < 0 ? part : part.substring(0, eq);
                String v = eq < 0 ? "" : part.substring(eq + 1);
                q.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            }
        }
        return q;
    }

    static String random(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALNUM.charAt(RANDOM.nextInt(ALNUM.length())));
        }
        return sb.toString();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ---------------------------------------------------------------- state types

    /** The settings of an AppRole role ({@code auth/approle/role/:name}). */
    public static final class AppRoleSettings {
        final List<String> tokenPolicies;
        final Duration tokenTtl;
        final Duration tokenMaxTtl;
        final boolean renewable;
        final Duration secretIdTtl;
        final int secretIdNumUses;

        private AppRoleSettings(List<String> tokenPolicies, Duration tokenTtl, Duration tokenMaxTtl, boolean renewable,
                                Duration secretIdTtl, int secretIdNumUses) {
            this.tokenPolicies = List.copyOf(tokenPolicies);
            this.tokenTtl = tokenTtl;
            this.tokenMaxTtl = tokenMaxTtl;
            this.renewable = renewable;
            this.secretIdTtl = secretIdTtl;
            this.secretIdNumUses = secretIdNumUses;
        }

        /** Tokens with these policies, TTL and max TTL, renewable; secret IDs without limits. */
        public static AppRoleSettings of(List<String> policies, Duration tokenTtl, Duration tokenMaxTtl) {
            return new AppRoleSettings(policies, tokenTtl, tokenMaxTtl, true, Duration.ZERO, 0);
        }

        /** The same with tokens that cannot be renewed (a periodic batch-like use). */
        public AppRoleSettings notRenewable() {
            return new AppRoleSettings(tokenPolicies, tokenTtl, tokenMaxTtl, false, secretIdTtl, secretIdNumUses);
        }

        /** The same with secret IDs that expire after {@code ttl} and work {@code numUses} times (0: unlimited). */
        public AppRoleSettings secretIds(Duration ttl, int numUses) {
            return new AppRoleSettings(tokenPolicies, tokenTtl, tokenMaxTtl, renewable, ttl, numUses);
        }
    }

    /** An AppRole role; {@link #roleId()} is what {@code auth/approle/role/:name/role-id} returns. */
    public static final class AppRole {
        final String name;
        final String roleId;
        final AppRoleSettings settings;

        AppRole(String name, String roleId, AppRoleSettings settings) {
            this.name = name;
            this.roleId = roleId;
            this.settings = settings;
        }

        /** The role's name. */
        public String name() {
            return name;
        }

        /** The role ID. */
        public String roleId() {
            return roleId;
        }
    }

    private static final class SecretIdEntry {
        final String roleName;
        int usesLeft;
        final Instant expires;

        SecretIdEntry(String roleName, int usesLeft, Instant expires) {
            this.roleName = roleName;
            this.usesLeft = usesLeft;
            this.expires = expires;
        }
    }

    private static final class TokenEntry {
        String accessor;
        String displayName;
        List<String> policies;
        String roleName;
        Instant created;
        Duration ttl;
        Instant expires;
        Instant maxExpires;
        boolean renewable;
        long uses;
    }

    private static final class Wrapped {
        final Map<String, Object> data;
        final Instant created;
        final Instant expires;
        final String creationPath;

        Wrapped(Map<String, Object> data, Instant created, Instant expires, String creationPath) {
            this.data = data;
            this.created = created;
            this.expires = expires;
            this.creationPath = creationPath;
        }
    }

    private static final class KvMount {
        final int version;
        final Map<String, List<KvVersion>> entries = new LinkedHashMap<>();

        KvMount(int version) {
            this.version = version;
        }
    }

    private static final class KvVersion {
        final Map<String, Object> data;
        final Instant created;
        Instant deletedAt;

        KvVersion(Map<String, Object> data, Instant created) {
            this.data = data;
            this.created = created;
        }
    }

    /** A 400 with Vault's error text. */
    static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    private static final class Answer {
        final int status;
        final Object body;

        Answer(int status, Object body) {
            this.status = status;
            this.body = body;
        }

        static Answer ok(Object body) {
            return new Answer(200, body);
        }

        static Answer errors(int status, String... errors) {
            return new Answer(status, Map.of("errors", List.of(errors)));
        }
    }

    static Collection<String> defaultPolicyPaths() {
        return DEFAULT_POLICY_PATHS;
    }
}
