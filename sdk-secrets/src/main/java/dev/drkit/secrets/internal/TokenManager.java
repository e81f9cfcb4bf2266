package dev.drkit.secrets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.SecretSource;
import dev.drkit.core.secret.SecretUnavailableException;
import dev.drkit.secrets.TokenInfo;
import dev.drkit.secrets.VaultAuth;
import dev.drkit.secrets.VaultAuthException;
import dev.drkit.secrets.VaultConfig;
import dev.drkit.secrets.VaultException;
import dev.drkit.secrets.VaultUnavailableException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * Logs in, renews the token ahead of its end on the scheduler, and logs in again when the token is not renewable,
 * reaches its max TTL, or was revoked. A token given with {@link VaultAuth#token} is never "logged in" again with
 * itself: that renews nothing; its source is asked until it gives another. Once Vault refuses such a token
 * (revoked, or expired on the server's clock) it is taken as ended at once: calls fail with one clear
 * {@link VaultAuthException} instead of 403s that read like policy problems, and nothing is renewed any more.
 * Request threads only read {@link #state}; they never wait for a renewal.
 */
public final class TokenManager {

    private static final Logger log = LoggerFactory.getLogger(TokenManager.class);

    private final VaultConfig config;
    private final String name;
    private final VaultHttp http;
    private final TaskScheduler scheduler;
    private final Stats stats;
    private final Random random;
    /** Failed renewals and logins in a row: their retry delays (backing off once the token has ended) and WARNs. */
    private final RetryStreak streak;
    private final Object loginLock = new Object();
    private final List<BiConsumer<Integer, Long>> replacedListeners = new CopyOnWriteArrayList<>();
    /** When the tokens of earlier generations end (ticker nanos), for leases they created. */
    private final Map<Integer, Long> endOfGeneration = new ConcurrentHashMap<>();

    private volatile @Nullable TokenState state;
    private final TaskSlot tasks;
    private volatile boolean closed;
    private @Nullable Secret unwrappedSecretId;
    /**
     * The wrapping token {@link #unwrappedSecretId} came from (spent by that unwrap): once a login with that secret ID
     * is refused, it is dropped, and only a different wrapping token from the source is worth unwrapping.
     */
    private @Nullable Secret spentWrappingToken;
    /** The token the current one replaced: requests in flight may still send it. Wiped at the next login. */
    private @Nullable Secret replacedToken;
    private int generations;
    private boolean refusalLogged;
    /** The last login Vault refused, and when (ticker nanos): request threads do not ask again for a while. */
    private @Nullable VaultAuthException lastRefusal;
    private long refusedAtNanos;
    /**
     * The last login that failed for want of an answer (Vault unreachable, sealed, or the answer lost), and until when
     * (ticker nanos) request threads leave logging in to the background retry: one login per retry, not one per
     * request, while Vault is failing. Cleared by the next login.
     */
    private @Nullable VaultUnavailableException lastLoginFailure;
    private long loginNotBeforeNanos;
    private long loginFailedAtNanos;
    private boolean endWarned;
    private boolean endLogged;
    /** The last AppRole login's answer was lost: if Vault carried it out, it spent a use of the secret ID. */
    private boolean loginOutcomeUnknown;
    /** A wrapping token whose unwrap's answer was lost: if Vault carried it out, this client spent it. */
    private @Nullable Secret unwrapOutcomeUnknown;

    public TokenManager(VaultConfig config, VaultHttp http, TaskScheduler scheduler, Stats stats, Random random) {
        this.config = config;
        this.name = config.name();
        this.http = http;
        this.scheduler = scheduler;
        this.tasks = new TaskSlot(scheduler, () -> closed, config.maxRetryDelay().toNanos(),
            e -> log.error("Vault client '{}': token task failed ({}); retrying", name, e.getClass().getSimpleName()));
        this.stats = stats;
        this.random = random;
        this.streak = new RetryStreak(config.ticker(), config.minRetryDelay().toNanos(),
            config.maxRetryDelay().toNanos(), random);
    }

    /** Logs in; if Vault cannot be reached, schedules further attempts and returns. */
    public void start() {
        try {
            synchronized (loginLock) {
                install(login());
            }
        } catch (VaultUnavailableException e) {
            stats.loginFailures.increment();
            long delay = streak.failed(0);
            streak.log(log, "Vault client '{}': Vault unavailable at start ({}); logging in again in the background"
                + " in {} ms", name, outage(e), delay / 1_000_000L);
            loginFailed(e, delay);
        }
    }

    /** The current token, for one request. */
    public Secret token() {
        TokenState s = state;
        if (s == null) {
            throw new VaultUnavailableException("Vault client '" + name + "' has not logged in yet (Vault unavailable"
                + " since start)", VaultException.Reason.UNREACHABLE, "auth", 0, null);
        }
        checkUsable();
        return s.token;
    }

    /**
     * Throws if the token given with {@link VaultAuth#token} has ended (expired, or refused by Vault) and its source
     * has given no other: sending it would get a 403 that reads like a policy problem, so say what happened instead.
     */
    public void checkUsable() {
        if (staticTokenEnded()) {
            throw new VaultAuthException("Vault client '" + name + "': its token (VaultAuth.token) has expired or was"
                + " revoked, and the token source has given no other; replace the token at its source (or give a"
                + " renewable one)", VaultException.Reason.NOT_RENEWABLE, "auth/token/lookup-self", 0, null);
        }
    }

    /** Whether the token given with {@link VaultAuth#token} has ended and its source has given no other yet. */
    public boolean staticTokenEnded() {
        TokenState s = state;
        return s != null && config.auth().method() == VaultAuth.Method.TOKEN && s.expiresNanos != Long.MAX_VALUE
            && config.ticker().nanos() - s.expiresNanos >= 0;
    }

    /** The generation of the current token (0 before the first login). */
    public int generation() {
        TokenState s = state;
        return s == null ? 0 : s.generation;
    }

    /**
     * When the token of {@code generation} ends, in ticker nanos, as far as known; {@link Long#MAX_VALUE} for the
     * current token while it is renewable, not capped and not yet past its known end (it will be renewed). Once past
     * that end, its renewals failed (Vault was unreachable): Vault has ended it on its own clock, and the leases it
     * created with it, so they must not be taken as alive any longer.
     */
    public long endOf(int generation) {
        TokenState s = state;
        if (s != null && s.generation == generation) {
            if (s.expiresNanos == Long.MAX_VALUE) {
                return Long.MAX_VALUE;
            }
            if (s.renewable && !s.capped && config.ticker().nanos() - s.expiresNanos < 0) {
                return Long.MAX_VALUE;
            }
            return s.expiresNanos;
        }
        return endOfGeneration.getOrDefault(generation, Long.MAX_VALUE);
    }

    /**
     * Runs {@code listener(oldGeneration, oldEndNanos)} after each new login replaced a token, until the returned
     * action is run.
     */
    public Runnable onReplaced(BiConsumer<Integer, Long> listener) {
        replacedListeners.add(listener);
        return () -> replacedListeners.remove(listener);
    }

    public boolean isLoggedIn() {
        TokenState s = state;
        // Long.MAX_VALUE (never expires) is tested as such: "now - end < 0" overflows when the ticker reads negative.
        return s != null && (s.expiresNanos == Long.MAX_VALUE || config.ticker().nanos() - s.expiresNanos < 0);
    }

    /** The time left on the token: {@link TokenInfo#NO_EXPIRY} if it never expires, zero if none or expired. */
    public Duration timeLeft() {
        TokenState s = state;
        if (s == null) {
            return Duration.ZERO;
        }
        if (s.expiresNanos == Long.MAX_VALUE) {
            return TokenInfo.NO_EXPIRY;
        }
        return Duration.ofNanos(Math.max(0, s.expiresNanos - config.ticker().nanos()));
    }

    public TokenInfo info() {
        TokenState s = state;
        if (s == null) {
            throw new VaultUnavailableException("Vault client '" + name + "' has not logged in yet",
                VaultException.Reason.UNREACHABLE, "auth", 0, null);
        }
        Duration left = timeLeft();
        return TokenInfo.of(left, expiresAt(left), s.renewable, s.policies);
    }

    public TokenInfo lookup() {
        VaultHttp.Response r = http.call("lookup", "GET", "auth/token/lookup-self", token(), null);
        if (r.status() != 200) {
            throw failure("token lookup", "auth/token/lookup-self", r);
        }
        JsonNode data = r.body().path("data");
        long ttl = data.path("ttl").asLong(0);
        Duration left = neverExpires(data) ? TokenInfo.NO_EXPIRY : Duration.ofSeconds(ttl);
        return TokenInfo.of(left, expiresAt(left), data.path("renewable").asBoolean(false),
            strings(data.path("policies")));
    }

    private Instant expiresAt(Duration left) {
        return left.equals(TokenInfo.NO_EXPIRY) ? Instant.MAX : config.clock().instant().plus(left);
    }

    /**
     * Whether lookup-self describes a token that never expires: it answers ttl 0 both for such a token (a root token:
     * no expire_time) and for one with under a second left; only the first lives for ever.
     */
    private static boolean neverExpires(JsonNode lookupData) {
        return lookupData.path("ttl").asLong(0) == 0 && !lookupData.hasNonNull("expire_time");
    }

    /**
     * Called on a request thread after Vault answered 403 with the token of {@code generation}: logs in again
     * unless another thread already did. Returns whether a new token is in place.
     */
    public boolean reloginAfterDenied(int generation) {
        synchronized (loginLock) {
            if (closed) {
                return false;
            }
            TokenState s = state;
            if (s != null && s.generation != generation) {
                return true;
            }
            if (s != null && !ended(s) && tokenStillValid(s)) {
                // The token works: the 403 is the policy's answer, and a new login would not change it.
                return false;
            }
            VaultAuthException refusal = lastRefusal;
            if (refusal != null && config.ticker().nanos() - refusedAtNanos < config.maxRetryDelay().toNanos()) {
                // Refused a moment ago: asking again from every request would only spend the secret ID's uses.
                throw new VaultAuthException(refusal.getMessage(), refusal.reason(), refusal.path(),
                    refusal.status().orElse(0), null);
            }
            VaultUnavailableException failure = lastLoginFailure;
            long now = config.ticker().nanos();
            if (failure != null && now - loginNotBeforeNanos < 0) {
                // A login failed a moment ago (so the token in place is one Vault refused): a login from every
                // request would only add load to a failing Vault, and spend a use of the secret ID each time its
                // answer is lost. The background retry logs in; until then this is an outage, so a KV read serves
                // its last known value.
                throw new VaultUnavailableException("Vault client '" + name + "': Vault refused the token, and the"
                    + " login after it failed " + (now - loginFailedAtNanos) / 1_000_000L + " ms ago ("
                    + failure.reason() + "); not logging in again from a request before the background retry in "
                    + Math.max(0, (loginNotBeforeNanos - now) / 1_000_000L) + " ms",
                    failure.reason() == VaultException.Reason.OUTCOME_UNKNOWN ? VaultException.Reason.UNREACHABLE
                        : failure.reason(), failure.path(), 0, null);
            }
            try {
                // Vault no longer knows the token: it has ended, whatever its TTL said, and the leases it created
                // (dynamic database credentials) with it.
                if (s != null) {
                    endToken();
                }
                if (sameStaticToken()) {
                    // Looking the same token up again would be refused too.
                    tasks.schedule(this::reloginTask, 0);
                    return false;
                }
                log.warn("Vault client '{}': Vault refused the token (403: revoked or expired); logging in again",
                    name);
                install(login());
                return true;
            } catch (VaultUnavailableException e) {
                // The caller's answer is this outage (not logged: the exception is the report); further logins are
                // left to the background retry, which goes on backing off from where the streak is.
                stats.loginFailures.increment();
                loginFailed(e, streak.failed(0));
                throw e;
            } catch (VaultAuthException e) {
                // The caller's answer is this refusal, not the 403 that led to it (which reads like a policy problem).
                loginRefused(e);
                throw e;
            } catch (SecretUnavailableException e) {
                // The role ID or secret ID cannot be read (a missing or too open file): no login is possible until
                // it is fixed, which the caller hears as a refused login (a KV read serves its last known value),
                // not as the 403 that led here.
                VaultAuthException impossible = new VaultAuthException("Vault client '" + name + "': Vault refused the"
                    + " token and a new login is impossible: " + e.getMessage(), VaultException.Reason.LOGIN_REFUSED,
                    config.auth().method() == VaultAuth.Method.TOKEN ? "auth/token/lookup-self"
                        : "auth/" + config.auth().mount() + "/login", 0, e);
                loginRefused(impossible);
                throw impossible;
            }
        }
    }

    /**
     * Whether Vault still knows the token. Throws {@link VaultUnavailableException} when Vault cannot be asked: the
     * 403 before it may have been a revoked token, so the read fails as an outage (a cache serves its last known
     * value), not as a policy's refusal.
     */
    private boolean tokenStillValid(TokenState s) {
        return http.call("lookup", "GET", "auth/token/lookup-self", s.token, null).status() == 200;
    }

    /** Whether the token has ended as far as this client knows (past its end, or refused by Vault). */
    private boolean ended(TokenState s) {
        return s.expiresNanos != Long.MAX_VALUE && config.ticker().nanos() - s.expiresNanos >= 0;
    }

    /** Stops background work, if configured revokes the token, and wipes the tokens and secret ID held. */
    public void close() {
        closed = true;
        tasks.cancel();
        // Under the login lock: a login in flight finishes first, so the token it installs is revoked too.
        synchronized (loginLock) {
            TokenState s = state;
            if (s != null && config.revokeOnClose() && config.auth().method() != VaultAuth.Method.TOKEN) {
                revokeOnClose(s.token, "the token");
                // The token it replaced is still live until its TTL runs out, and so are leases it created
                // (credentials rotated away but not yet ended): they go with it.
                if (replacedToken != null && !replacedToken.isClosed()) {
                    revokeOnClose(replacedToken, "the token it replaced");
                }
            }
            if (s != null) {
                s.token.close();
            }
            if (replacedToken != null) {
                replacedToken.close();
            }
            if (unwrappedSecretId != null) {
                unwrappedSecretId.close();
            }
            if (unwrapOutcomeUnknown != null) {
                unwrapOutcomeUnknown.close();
            }
            if (spentWrappingToken != null) {
                spentWrappingToken.close();
            }
        }
    }

    /** What to log of an outage: its reason or, for a one-time request whose answer was lost, what that means. */
    private String outage(VaultUnavailableException e) {
        return e.reason() == VaultException.Reason.OUTCOME_UNKNOWN ? detail(e) : e.reason().name();
    }

    /** An exception's message without the "Vault client 'name': " the log line starts with already. */
    private String detail(RuntimeException e) {
        String prefix = "Vault client '" + name + "': ";
        String message = String.valueOf(e.getMessage());
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    private void revokeOnClose(Secret token, String which) {
        try {
            http.call("revoke", "POST", "auth/token/revoke-self", token, null);
        } catch (VaultException e) {
            log.debug("Vault client '{}': revoking {} on close failed ({})", name, which, e.reason());
        }
    }

    // ---------------------------------------------------------------- background work

    private void renewTask() {
        TokenState s = state;
        if (closed || s == null) {
            return;
        }
        long sent = config.ticker().nanos();
        try {
            byte[] body = VaultHttp.body(json -> json.writeStringField("increment", s.ttlSeconds + "s"));
            VaultHttp.Response r = http.call("renew", "POST", "auth/token/renew-self", s.token, body);
            if (r.status() == 200) {
                JsonNode auth = r.body().path("auth");
                long granted = auth.path("lease_duration").asLong(0);
                boolean capped = granted < s.ttlSeconds;
                TokenState renewed = s.renewed(sent + Duration.ofSeconds(granted).toNanos(), capped);
                synchronized (loginLock) {
                    if (state != s) {
                        return;    // replaced while this renewal was in flight: the new token has its own schedule
                    }
                    state = renewed;
                }
                stats.tokenRenewals.increment();
                int failedBefore = streak.succeeded();
                if (failedBefore > 0) {
                    log.info("Vault client '{}': token renewed for {}s after {} failed attempts{}", name, granted,
                        failedBefore, capped ? " (capped at its max TTL: logging in again before it ends)" : "");
                } else {
                    log.debug("Vault client '{}': token renewed for {}s{}", name, granted,
                        capped ? " (capped at its max TTL: logging in again before it ends)" : "");
                }
                scheduleNext(renewed);
            } else if (r.status() == 403) {
                stats.renewalFailures.increment();
                // Revoked, or expired on the server's clock: it has ended, and the leases it created with it. A
                // VaultAuth.token's source alone can give another.
                synchronized (loginLock) {
                    if (state == s) {
                        endToken();
                    }
                }
                if (config.auth().method() != VaultAuth.Method.TOKEN) {
                    log.warn("Vault client '{}': token renewal refused (403: revoked or expired); logging in again",
                        name);
                }
                relogin(s.generation);
            } else {
                stats.renewalFailures.increment();
                log.info("Vault client '{}': token not renewable (HTTP {}); logging in again", name, r.status());
                relogin(s.generation);
            }
        } catch (VaultUnavailableException e) {
            stats.renewalFailures.increment();
            long left = s.expiresNanos - config.ticker().nanos();
            long delay = streak.failed(left);
            streak.log(log, "Vault client '{}': token renewal failed ({}); {}s of the token left, retrying in {} ms",
                name, e.reason(), Math.max(0, left / 1_000_000_000L), delay / 1_000_000L);
            tasks.schedule(this::renewTask, delay);
        }
    }

    private void reloginTask() {
        relogin(0);
    }

    /**
     * Logs in again (or, for a {@link VaultAuth#token}, asks its source); with a {@code generation} above 0, only if
     * the token in place is still of that generation: a request thread may have logged in meanwhile.
     */
    private void relogin(int generation) {
        if (closed) {
            return;
        }
        try {
            synchronized (loginLock) {
                if (closed) {
                    return;
                }
                TokenState current = state;
                if (generation > 0 && current != null && current.generation != generation) {
                    return;
                }
                if (sameStaticToken()) {
                    awaitNewToken();
                    return;
                }
                install(login());
            }
        } catch (VaultUnavailableException e) {
            stats.loginFailures.increment();
            TokenState s = state;
            long left = s == null ? 0 : s.expiresNanos == Long.MAX_VALUE ? Long.MAX_VALUE
                : s.expiresNanos - config.ticker().nanos();
            long delay = streak.failed(left);
            streak.log(log, "Vault client '{}': login failed ({}); retrying in {} ms", name, outage(e),
                delay / 1_000_000L);
            loginFailed(e, delay);
        } catch (VaultAuthException | SecretUnavailableException e) {
            loginRefused(e);
        }
    }

    /**
     * A login failed for want of an answer: the background retries it after {@code delayNanos}, and request threads
     * do not try before then ({@link #reloginAfterDenied}).
     */
    private void loginFailed(VaultUnavailableException e, long delayNanos) {
        synchronized (loginLock) {
            lastLoginFailure = e;
            loginFailedAtNanos = config.ticker().nanos();
            loginNotBeforeNanos = loginFailedAtNanos + delayNanos;
        }
        tasks.schedule(this::reloginTask, delayNanos);
    }

    /**
     * A login was refused (or its credentials could not be read): logged once, and tried again slowly in the
     * background, since a refusal will not change by itself but an operator may replace the secret ID.
     */
    private void loginRefused(RuntimeException e) {
        stats.loginFailures.increment();
        if (e instanceof VaultAuthException refusal) {
            synchronized (loginLock) {
                lastRefusal = refusal;
                refusedAtNanos = config.ticker().nanos();
            }
        }
        if (!refusalLogged) {
            refusalLogged = true;
            // The message says what to do (a used-up secret ID, a spent wrapping token); it never holds a secret.
            log.error("Vault client '{}': login refused ({}); retrying every {} s", name,
                e instanceof VaultException ? ((VaultException) e).reason() + ": " + detail(e)
                    : "credentials unavailable: " + e.getMessage(),
                config.maxRetryDelay().toSeconds());
        }
        tasks.schedule(this::reloginTask, config.maxRetryDelay().toNanos());
    }

    private void scheduleNext(TokenState s) {
        if (s.expiresNanos == Long.MAX_VALUE) {
            return;
        }
        long left = s.expiresNanos - config.ticker().nanos();
        long delay = Schedule.renewDelay(left, config.renewFraction(), config.renewJitter(), random);
        if (!s.renewable || s.capped) {
            tasks.schedule(this::reloginTask, delay);
        } else {
            tasks.schedule(this::renewTask, delay);
        }
    }

    /**
     * Holding {@link #loginLock}. Whether the source of a {@link VaultAuth#token} still gives the token in use:
     * looking it up again renews nothing; it would only start a new generation (and a rotation of the database
     * credentials it created) each time.
     */
    private boolean sameStaticToken() {
        TokenState s = state;
        if (s == null || config.auth().method() != VaultAuth.Method.TOKEN) {
            return false;
        }
        try (Secret offered = config.auth().token().orElseThrow().get()) {
            return offered.equals(s.token);
        }
    }

    /**
     * Holding {@link #loginLock}. The static token in use will not be renewed and its source has no other yet: asks
     * the source again (not Vault), more often as the end nears; once the token has ended, {@link #token()} says so.
     */
    private void awaitNewToken() {
        TokenState s = Objects.requireNonNull(state);
        if (s.renewable && !s.capped) {
            // Vault would not renew it after all: it ends at its end, and leases must not take it as renewed.
            s = s.renewed(s.expiresNanos, true);
            state = s;
        }
        long left = s.expiresNanos - config.ticker().nanos();
        if (left > 0) {
            if (!endWarned) {
                endWarned = true;
                log.warn("Vault client '{}': the token (VaultAuth.token) cannot be renewed and ends in {}s; replace it at"
                    + " its source, or give a renewable token", name, left / 1_000_000_000L);
            }
            tasks.schedule(this::reloginTask,
                Schedule.retryDelay(left, config.minRetryDelay().toNanos(), config.maxRetryDelay().toNanos()));
        } else {
            if (!endLogged) {
                endLogged = true;
                log.error("Vault client '{}': the token (VaultAuth.token) has expired or was revoked and cannot be"
                    + " renewed: replace it at its source (asked again every {} s). Until then nothing is renewed,"
                    + " calls fail with VaultAuthException (NOT_RENEWABLE) and KV reads get the last known values for"
                    + " up to {} s", name, config.maxRetryDelay().toSeconds(), config.maxStaleness().toSeconds());
            }
            tasks.schedule(this::reloginTask, config.maxRetryDelay().toNanos());
        }
    }

    /**
     * Holding {@link #loginLock}, with a token in use that Vault refused: it ends now, so {@link #isLoggedIn()} is
     * false, {@link #token()} says so for a {@link VaultAuth#token}, and leases it created are known to be gone with
     * it: the login that replaces it reports this end to {@link #onReplaced} listeners, which replace those leases at
     * once instead of at their next renewal.
     */
    private void endToken() {
        TokenState s = Objects.requireNonNull(state);
        long now = config.ticker().nanos();
        if (s.expiresNanos == Long.MAX_VALUE || s.expiresNanos - now > 0) {
            state = new TokenState(s.token, s.generation, now, false, s.ttlSeconds, s.policies, true);
        }
    }

    /** Holding {@link #loginLock}. */
    private void install(TokenState fresh) {
        TokenState old = state;
        state = fresh;
        refusalLogged = false;
        lastRefusal = null;
        lastLoginFailure = null;
        streak.succeeded();
        endWarned = false;
        endLogged = false;
        loginOutcomeUnknown = false;
        stats.logins.increment();
        if (old != null) {
            // The token before the one just replaced has had a whole generation for its requests to finish.
            if (replacedToken != null) {
                replacedToken.close();
            }
            replacedToken = old.token;
            long oldEnd = old.expiresNanos;
            endOfGeneration.put(old.generation, oldEnd);
            for (BiConsumer<Integer, Long> l : replacedListeners) {
                try {
                    l.accept(old.generation, oldEnd);
                } catch (RuntimeException e) {
                    log.warn("Vault client '{}': a token listener threw {}", name, e.getClass().getSimpleName());
                }
            }
        }
        log.info("Vault client '{}': logged in ({}), token TTL {}s, renewable={}, policies={}", name,
            config.auth().method(), fresh.ttlSeconds, fresh.renewable, fresh.policies);
        scheduleNext(fresh);
    }

    // ---------------------------------------------------------------- login

    /** Holding {@link #loginLock}. */
    private TokenState login() {
        VaultAuth auth = config.auth();
        switch (auth.method()) {
            case TOKEN:
                return tokenLogin(auth.token().orElseThrow());
            case APPROLE_WRAPPED:
                if (unwrappedSecretId == null || unwrappedSecretId.isClosed()) {
                    unwrappedSecretId = unwrap(auth.secretId().orElseThrow());
                }
                try {
                    return appRoleLogin(auth, unwrappedSecretId.relabel("vault-secret-id"));
                } catch (VaultAuthException refused) {
                    // The secret ID is used up or expired (or was revoked): it will not work again. The next login
                    // unwraps whatever wrapping token an operator delivers at the source meanwhile.
                    unwrappedSecretId.close();
                    unwrappedSecretId = null;
                    throw refused;
                }
            case APPROLE:
            default:
                return appRoleLogin(auth, auth.secretId().orElseThrow().get());
        }
    }

    private TokenState appRoleLogin(VaultAuth auth, Secret secretId) {
        String path = "auth/" + auth.mount() + "/login";
        long sent = config.ticker().nanos();
        VaultHttp.Response r;
        // secretId first: it is closed even when asking for the role ID throws.
        try (secretId; Secret roleId = auth.roleId().orElseThrow().get()) {
            config.tripwire().register(roleId);
            config.tripwire().register(secretId);
            byte[] body = VaultHttp.body(json -> {
                VaultHttp.writeSecret(json, "role_id", roleId);
                VaultHttp.writeSecret(json, "secret_id", secretId);
            });
            r = http.callOnce("login", "POST", path, null, body, "it issued a token this client never got (it ends"
                + " with its TTL) and spent one use of the secret ID");
        } catch (VaultUnavailableException e) {
            loginOutcomeUnknown |= e.reason() == VaultException.Reason.OUTCOME_UNKNOWN;
            throw e;
        }
        if (r.status() == 400 || r.status() == 403) {
            throw new VaultAuthException("Vault client '" + name + "': AppRole login at " + path + " refused (HTTP "
                + r.status() + "): the role ID or secret ID is wrong, expired or used up"
                + (loginOutcomeUnknown ? " (an earlier login's answer was lost: if Vault carried it out, it spent a use"
                    + " of the secret ID too)" : ""), VaultException.Reason.LOGIN_REFUSED, path, r.status(), null);
        }
        if (r.status() != 200) {
            throw failure("login", path, r);
        }
        JsonNode a = r.body().path("auth");
        String clientToken = a.path("client_token").asText("");
        if (clientToken.isEmpty()) {
            throw new VaultException("Vault client '" + name + "': the login answer at " + path + " holds no token",
                VaultException.Reason.BAD_RESPONSE, path, r.status(), null);
        }
        Secret token = Secret.ofString(clientToken, "vault-token");
        config.tripwire().register(token);
        long ttl = a.path("lease_duration").asLong(0);
        return new TokenState(token, ++generations, ttl == 0 ? Long.MAX_VALUE : sent + Duration.ofSeconds(ttl).toNanos(),
            a.path("renewable").asBoolean(false), ttl, strings(a.path("policies")), false);
    }

    private Secret unwrap(SecretSource wrappingToken) {
        String path = "sys/wrapping/unwrap";
        VaultHttp.Response r;
        boolean spentByUs;
        @Nullable Secret spent;
        try (Secret wrapping = wrappingToken.get()) {
            config.tripwire().register(wrapping);
            if (spentWrappingToken != null && spentWrappingToken.equals(wrapping)) {
                // This client unwrapped it, and Vault refused the secret ID it held: unwrapping it again would only
                // be refused (and read like a compromise). Nothing is sent until the source gives another.
                throw new VaultAuthException("Vault client '" + name + "': the secret ID unwrapped from the"
                    + " response-wrapping token was refused (used up, expired or revoked), and the source still gives"
                    + " that same, spent wrapping token: deliver a new wrapping token", VaultException.Reason.LOGIN_REFUSED,
                    path, 0, null);
            }
            spentByUs = unwrapOutcomeUnknown != null && unwrapOutcomeUnknown.equals(wrapping);
            try {
                r = http.callOnce("unwrap", "POST", path, wrapping, null, "the wrapping token is spent and the secret ID"
                    + " it held was lost with the answer: deliver a new wrapping token");
            } catch (VaultUnavailableException e) {
                if (e.reason() == VaultException.Reason.OUTCOME_UNKNOWN && !spentByUs) {
                    if (unwrapOutcomeUnknown != null) {
                        unwrapOutcomeUnknown.close();
                    }
                    unwrapOutcomeUnknown = wrapping.relabel("vault-wrapping-token");
                }
                throw e;
            }
            spent = r.status() == 200 ? wrapping.relabel("vault-wrapping-token") : null;
        }
        if (r.status() == 400 || r.status() == 403) {
            // After a lost answer, the likely spender is this client: "compromised" would send an operator hunting.
            String why = spentByUs
                ? "expired, or (most likely) already unwrapped by this client's earlier unwrap whose answer was lost"
                    + " (outcome unknown), so the secret ID it held is lost: deliver a new wrapping token"
                : "expired, or already unwrapped (if not by this service, treat the secret ID as compromised)";
            throw new VaultAuthException("Vault client '" + name + "': the response-wrapping token was refused (HTTP "
                + r.status() + "): " + why, VaultException.Reason.LOGIN_REFUSED, path, r.status(), null);
        }
        if (r.status() != 200) {
            throw failure("unwrap", path, r);
        }
        String secretId = r.body().path("data").path("secret_id").asText("");
        if (secretId.isEmpty()) {
            Objects.requireNonNull(spent).close();
            throw new VaultException("Vault client '" + name + "': the wrapped answer holds no secret_id",
                VaultException.Reason.BAD_RESPONSE, path, r.status(), null);
        }
        Secret s = Secret.ofString(secretId, "vault-secret-id");
        config.tripwire().register(s);
        if (unwrapOutcomeUnknown != null) {
            unwrapOutcomeUnknown.close();
            unwrapOutcomeUnknown = null;
        }
        if (spentWrappingToken != null) {
            spentWrappingToken.close();
        }
        spentWrappingToken = Objects.requireNonNull(spent);
        log.info("Vault client '{}': unwrapped the secret ID (the wrapping token is now spent)", name);
        return s;
    }

    private TokenState tokenLogin(SecretSource source) {
        Secret token;
        try (Secret offered = source.get()) {
            token = offered.relabel("vault-token");
        }
        config.tripwire().register(token);
        long sent = config.ticker().nanos();
        VaultHttp.Response r;
        try {
            r = http.call("login", "GET", "auth/token/lookup-self", token, null);
        } catch (RuntimeException e) {
            token.close();
            throw e;
        }
        if (r.status() == 403 || r.status() == 400) {
            token.close();
            throw new VaultAuthException("Vault client '" + name + "': the token was refused (HTTP " + r.status()
                + "): revoked, expired or never valid", VaultException.Reason.LOGIN_REFUSED, "auth/token/lookup-self",
                r.status(), null);
        }
        if (r.status() != 200) {
            token.close();
            throw failure("login", "auth/token/lookup-self", r);
        }
        JsonNode data = r.body().path("data");
        List<String> policies = strings(data.path("policies"));
        if (policies.contains("root")) {
            if (!config.allowRootToken()) {
                token.close();
                throw new VaultAuthException("Vault client '" + name + "': a root token was offered; use an AppRole, or"
                    + " opt in with allowRootToken(true)", VaultException.Reason.ROOT_TOKEN_REFUSED, "auth/token/lookup-self",
                    r.status(), null);
            }
            log.warn("Vault client '{}': running with a ROOT token (allowRootToken is set); use an AppRole in production",
                name);
        }
        long ttl = data.path("ttl").asLong(0);
        long creationTtl = data.path("creation_ttl").asLong(ttl);
        return new TokenState(token, ++generations, neverExpires(data) ? Long.MAX_VALUE : sent + Duration.ofSeconds(ttl).toNanos(),
            data.path("renewable").asBoolean(false), creationTtl, policies, false);
    }

    private VaultException failure(String operation, String path, VaultHttp.Response r) {
        VaultException.Reason reason = r.status() == 403 ? VaultException.Reason.PERMISSION_DENIED
            : r.status() == 404 ? VaultException.Reason.NOT_FOUND : VaultException.Reason.BAD_REQUEST;
        return new VaultException("Vault client '" + name + "': " + operation + " " + path + " failed (HTTP "
            + r.status() + ")", reason, path, r.status(), null);
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.asText());
        }
        return List.copyOf(out);
    }

    private static final class TokenState {
        final Secret token;
        final int generation;
        final long expiresNanos;
        final boolean renewable;
        final long ttlSeconds;
        final List<String> policies;
        final boolean capped;

        TokenState(Secret token, int generation, long expiresNanos, boolean renewable, long ttlSeconds,
                   List<String> policies, boolean capped) {
            this.token = token;
            this.generation = generation;
            this.expiresNanos = expiresNanos;
            this.renewable = renewable;
            this.ttlSeconds = ttlSeconds;
            this.policies = policies;
            this.capped = capped;
        }

        TokenState renewed(long newExpires, boolean nowCapped) {
            return new TokenState(token, generation, newExpires, renewable, ttlSeconds, policies, nowCapped);
        }

        @Override
        public String toString() {
            return "TokenState[generation=" + generation + "]";
        }
    }
}
