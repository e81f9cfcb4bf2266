package dev.drkit.secrets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.SecretSource;
import dev.drkit.core.secret.SecretUnavailableException;
import dev.drkit.secrets.KvEngine;
import dev.drkit.secrets.KvSecret;
import dev.drkit.secrets.VaultAuthException;
import dev.drkit.secrets.VaultConfig;
import dev.drkit.secrets.VaultException;
import dev.drkit.secrets.VaultUnavailableException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Reads KV v1 and v2 through a cache: fresh entries are returned without a call; after the cache time a read
 * asks Vault, and if Vault is unavailable the last known good entry is returned, marked stale, until it is older
 * than the allowed staleness.
 *
 * <p>An entry's values are wiped when a newer reading replaces it, when Vault says the path is gone (404) and
 * when the client closes; {@link KvSecret}s handed out before then see the wipe, the copies they gave do not.
 */
public final class DefaultKvEngine implements KvEngine {

    private static final Logger log = LoggerFactory.getLogger(DefaultKvEngine.class);

    private final String mount;
    private final int version;
    private final VaultConfig config;
    private final VaultHttp http;
    private final TokenManager tokens;
    private final Stats stats;
    private final ConcurrentHashMap<String, Entry> cache;
    private final BooleanSupplier closed;
    private final long ttlNanos;
    private final long maxStaleNanos;
    private final long retryNanos;

    /** @param closed whether the client has closed: its cache is wiped then, and nothing may be added after */
    public DefaultKvEngine(String mount, int version, VaultConfig config, VaultHttp http, TokenManager tokens, Stats stats,
                           ConcurrentHashMap<String, Entry> cache, BooleanSupplier closed) {
        this.mount = mount;
        this.version = version;
        this.config = config;
        this.http = http;
        this.tokens = tokens;
        this.stats = stats;
        this.cache = cache;
        this.closed = closed;
        this.ttlNanos = config.kvCacheTtl().toNanos();
        this.maxStaleNanos = config.maxStaleness().toNanos();
        this.retryNanos = config.minRetryDelay().toNanos();
    }

    @Override
    public String mount() {
        return mount;
    }

    @Override
    public int version() {
        return version;
    }

    @Override
    public KvSecret read(String path) {
        return doRead(checkPath(path), 0);
    }

    @Override
    public KvSecret read(String path, int wanted) {
        if (version == 1) {
            throw new UnsupportedOperationException("KV v1 at '" + mount + "' has no versions");
        }
        if (wanted <= 0) {
            throw new IllegalArgumentException("version must be positive, but was " + wanted);
        }
        return doRead(checkPath(path), wanted);
    }

    private KvSecret doRead(String path, int wanted) {
        checkOpen(path);
        String key = mount + '\0' + path + '\0' + wanted;
        long now = config.ticker().nanos();
        Entry e = cache.get(key);
        if (e != null && now - e.fetchedNanos < ttlNanos) {
            stats.kvCacheHits.increment();
            return new View(e, now - e.fetchedNanos, false);
        }
        if (e != null && e.failedNanos != 0 && now - e.failedNanos < retryNanos && now - e.fetchedNanos <= maxStaleNanos) {
            // Vault failed a moment ago: do not make every read wait for another attempt.
            return stale(e, now);
        }
        try {
            Entry fresh = install(key, e, fetch(path, wanted));
            if (closed.getAsBoolean()) {
                // The client closed while this read was in flight, after wiping the cache: wipe what came since.
                wipe(cache);
                checkOpen(path);
            }
            return new View(fresh, now - fresh.fetchedNanos, false);
        } catch (VaultUnavailableException failure) {
            if (e == null) {
                throw failure;
            }
            e.failedNanos = now;
            if (now - e.fetchedNanos > maxStaleNanos) {
                throw new VaultUnavailableException("Vault client '" + config.name() + "': Vault unavailable ("
                    + failure.reason() + ") and the last known value of " + mount + "/" + path + " is "
                    + Duration.ofNanos(now - e.fetchedNanos).toSeconds() + "s old, beyond the allowed "
                    + config.maxStaleness().toSeconds() + "s", VaultException.Reason.TOO_STALE, mount + "/" + path, 0,
                    failure);
            }
            return stale(e, now);
        } catch (VaultAuthException failure) {
            // A VaultAuth.token that expired or was revoked, or a login Vault refused after the token was: nothing
            // new can be had until the token or the secret ID is replaced, which is an outage to this client; the
            // failure says what to do once the last known value is too old.
            boolean outage = failure.reason() == VaultException.Reason.NOT_RENEWABLE
                || failure.reason() == VaultException.Reason.LOGIN_REFUSED;
            if (e == null || !outage || now - e.fetchedNanos > maxStaleNanos) {
                throw failure;
            }
            e.failedNanos = now;
            return stale(e, now);
        } catch (VaultException failure) {
            if (failure.reason() == VaultException.Reason.NOT_FOUND && e != null && cache.remove(key, e)) {
                // Deleted in Vault: the value must not be served again, not even as the last known good one.
                e.wipe();
            }
            throw failure;
        }
    }

    /**
     * Puts {@code fresh} in place of {@code seen} (the entry found before asking Vault, or null) and wipes what it
     * replaced. If another read put a newer entry there meanwhile, that one may have been handed out already: it
     * stays, and {@code fresh}, never handed out, is wiped instead. Returns the entry in the cache.
     */
    private Entry install(String key, @Nullable Entry seen, Entry fresh) {
        while (true) {
            Entry current = cache.get(key);
            if (current != null && current != seen) {
                fresh.wipe();
                return current;
            }
            if (current == null ? cache.putIfAbsent(key, fresh) == null : cache.replace(key, current, fresh)) {
                if (current != null) {
                    current.wipe();
                }
                return fresh;
            }
        }
    }

    private void checkOpen(String path) {
        if (closed.getAsBoolean()) {
            throw new VaultException("Vault client '" + config.name() + "' is closed", VaultException.Reason.CLOSED,
                mount + "/" + path, 0, null);
        }
    }

    @Override
    public SecretSource source(String path, String key) {
        checkPath(path);
        Objects.requireNonNull(key, "key");
        return new SecretSource() {
            @Override
            public Secret get() {
                for (int attempt = 1; ; attempt++) {
                    KvSecret s = read(path);
                    if (!s.keys().contains(key)) {
                        throw new SecretUnavailableException("Vault secret " + mount + "/" + path + " has no key '" + key
                            + "'", "vault " + mount + "/" + path, Map.of(), null);
                    }
                    try {
                        return s.secret(key);
                    } catch (IllegalStateException replacedMeanwhile) {
                        // Another read replaced (and wiped) this reading between the two calls: read the new one.
                        if (attempt == 3) {
                            throw replacedMeanwhile;
                        }
                    }
                }
            }

            @Override
            public String toString() {
                return "SecretSource[vault " + mount + "/" + path + "#" + key + "]";
            }
        };
    }

    private KvSecret stale(Entry e, long now) {
        stats.kvStaleReads.increment();
        e.staleUntilAnswer = stats.answered.get();
        if (!e.staleLogged) {
            e.staleLogged = true;
            log.warn("Vault client '{}': serving the last known value of {}/{} ({}s old) while Vault cannot be asked",
                config.name(), mount, e.path, Duration.ofNanos(now - e.fetchedNanos).toSeconds());
        }
        return new View(e, now - e.fetchedNanos, true);
    }

    private Entry fetch(String path, int wanted) {
        String apiPath = version == 1 ? mount + "/" + path
            : mount + "/data/" + path + (wanted > 0 ? "?version=" + wanted : "");
        String shownPath = version == 1 ? mount + "/" + path : mount + "/data/" + path;
        long sent = config.ticker().nanos();
        stats.kvFetches.increment();
        int generation = tokens.generation();
        VaultHttp.Response r = http.call("read", "GET", apiPath, tokens.token(), null);
        if (r.status() == 403 && tokens.reloginAfterDenied(generation)) {
            r = http.call("read", "GET", apiPath, tokens.token(), null);
        }
        if (r.status() == 404) {
            throw new VaultException("Vault client '" + config.name() + "': nothing at " + shownPath
                + (wanted > 0 ? " version " + wanted : "") + " (HTTP 404; deleted or never written)",
                VaultException.Reason.NOT_FOUND, shownPath, 404, null);
        }
        if (r.status() == 403) {
            tokens.checkUsable();
            throw new VaultException("Vault client '" + config.name() + "': permission denied reading " + shownPath
                + " (HTTP 403): the token's policies do not allow it", VaultException.Reason.PERMISSION_DENIED, shownPath,
                403, null);
        }
        if (r.status() != 200) {
            throw new VaultException("Vault client '" + config.name() + "': reading " + shownPath + " failed (HTTP "
                + r.status() + ")", VaultException.Reason.BAD_REQUEST, shownPath, r.status(), null);
        }
        JsonNode data = r.body().path("data");
        JsonNode values = version == 1 ? data : data.path("data");
        if (!values.isObject()) {
            // Not Vault's answer (not JSON, or no data object: a proxy's or a portal's page): it must not replace
            // the last known value as if the secret had no keys; to this client it is an outage, served stale.
            throw new VaultUnavailableException("Vault client '" + config.name() + "': reading " + shownPath
                + " got HTTP 200 without a JSON data object (not Vault's answer: a proxy in between?)",
                VaultException.Reason.BAD_RESPONSE, shownPath, r.status(), null);
        }
        JsonNode metadata = version == 1 ? null : data.path("metadata");
        Map<String, Secret> secrets = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode v = field.getValue();
            Secret s = Secret.ofString(v.isTextual() ? v.asText() : v.toString(), label(path, field.getKey()));
            config.tripwire().register(s);
            secrets.put(field.getKey(), s);
        }
        int v = metadata == null ? 0 : metadata.path("version").asInt(0);
        Instant created = null;
        if (metadata != null && metadata.hasNonNull("created_time")) {
            try {
                created = Instant.parse(metadata.get("created_time").asText());
            } catch (DateTimeParseException ignored) {
                created = null;
            }
        }
        return new Entry(path, Map.copyOf(secrets), v, created, sent);
    }

    private String label(String path, String key) {
        String label = mount + "/" + path + "#" + key;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < label.length() && sb.length() < 200; i++) {
            char c = label.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }

    private static String checkPath(String path) {
        Objects.requireNonNull(path, "path");
        if (path.isEmpty() || path.startsWith("/") || path.contains("..") || path.contains("?") || path.contains("#")
            || path.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
            throw new IllegalArgumentException("path must be a relative Vault path without '..', '?', '#', spaces or"
                + " control characters, but was \"" + path.replaceAll("\\p{Cntrl}", "?") + "\"");
        }
        try {
            URI.create("v1/" + path);
        } catch (IllegalArgumentException e) {
            // Found here, not when sent: inside the resilience policies it would read as an outage.
            throw new IllegalArgumentException("path must be a relative Vault path that a URL can carry as it is (no"
                + " '{', '}', '|', '\\', '^', '`', '\"', '<', '>', '[', ']', or '%' without two hex digits), but was \""
                + path + "\"");
        }
        return path;
    }

    /**
     * The staleness of the stalest entry still served stale, in nanos; 0 if none. An entry served stale counts until a
     * new reading replaces it or, if it is not read again, until Vault answers any call with success ({@code answered}
     * moves on): Vault is back, so its next read would fetch it anew, and the gauge must not keep growing for a value
     * no one is being served.
     */
    public static long staleness(ConcurrentHashMap<String, Entry> cache, long now, long answered) {
        long worst = 0;
        for (Entry e : cache.values()) {
            if (e.staleUntilAnswer == answered) {
                worst = Math.max(worst, now - e.fetchedNanos);
            }
        }
        return worst;
    }

    /** Wipes every cached value. */
    public static void wipe(ConcurrentHashMap<String, Entry> cache) {
        for (String key : cache.keySet()) {
            Entry e = cache.remove(key);
            if (e != null) {
                e.wipe();
            }
        }
    }

    /** A cached reading. */
    public static final class Entry {
        final String path;
        final Map<String, Secret> values;
        final int version;
        final Instant created;
        final long fetchedNanos;
        volatile long failedNanos;
        /** The client's count of successful answers when this was last served stale; -1 if it never was. */
        volatile long staleUntilAnswer = -1;
        volatile boolean staleLogged;

        Entry(String path, Map<String, Secret> values, int version, Instant created, long fetchedNanos) {
            this.path = path;
            this.values = values;
            this.version = version;
            this.created = created;
            this.fetchedNanos = fetchedNanos;
        }

        /** Overwrites the values; {@link View#secret} refuses them from then on. Idempotent. */
        void wipe() {
            values.values().forEach(Secret::close);
        }
    }

    private static final class View implements KvSecret {
        private final Entry e;
        private final long ageNanos;
        private final boolean stale;

        View(Entry e, long ageNanos, boolean stale) {
            this.e = e;
            this.ageNanos = ageNanos;
            this.stale = stale;
        }

        @Override
        public String path() {
            return e.path;
        }

        @Override
        public OptionalInt version() {
            return e.version == 0 ? OptionalInt.empty() : OptionalInt.of(e.version);
        }

        @Override
        public Optional<Instant> createdTime() {
            return Optional.ofNullable(e.created);
        }

        @Override
        public Set<String> keys() {
            return e.values.keySet();
        }

        @Override
        public Secret secret(String key) {
            Secret s = e.values.get(Objects.requireNonNull(key, "key"));
            if (s == null) {
                throw new IllegalArgumentException("secret " + e.path + " has no key '" + key + "'; keys: " + keys());
            }
            try {
                return s.relabel(s.label());
            } catch (IllegalStateException wiped) {
                throw new IllegalStateException(this + " was replaced by a newer reading, deleted in Vault or its client"
                    + " closed, and its values were wiped; read it again");
            }
        }

        @Override
        public Duration age() {
            return Duration.ofNanos(Math.max(0, ageNanos));
        }

        @Override
        public boolean isStale() {
            return stale;
        }

        @Override
        public String toString() {
            return "KvSecret[path=" + e.path + (e.version == 0 ? "" : ", version=" + e.version) + ", keys=" + keys()
                + ", age=" + age() + (stale ? ", stale" : "") + "]";
        }
    }
}
