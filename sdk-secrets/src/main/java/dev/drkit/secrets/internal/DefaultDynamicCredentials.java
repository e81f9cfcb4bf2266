package dev.drkit.secrets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.DatabaseCredentials;
import dev.drkit.core.secret.Secret;
import dev.drkit.secrets.DynamicDatabaseCredentials;
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
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Database credentials from {@code <mount>/creds/<role>}: renewed on a schedule computed from the time actually
 * left, rotated ahead of the end once renewal is capped (or impossible, or the token that created the lease is
 * ending), with listeners called after {@link #current()} returns the new credentials.
 */
public final class DefaultDynamicCredentials implements DynamicDatabaseCredentials {

    private static final Logger log = LoggerFactory.getLogger(DefaultDynamicCredentials.class);
    /** What a lost answer to a request for new credentials may have left behind, for its message. */
    private static final String IF_ISSUED = "it created database credentials (a role in the database and a lease)"
        + " that this client never got: they end with the lease's TTL, or with the client's token";

    private final String mount;
    private final String role;
    private final String path;
    private final VaultConfig config;
    private final VaultHttp http;
    private final TokenManager tokens;
    private final TaskScheduler scheduler;
    private final Stats stats;
    private final Random random;
    /** Failed renewals and rotations in a row: their retry delays (backing off once the lease has ended) and WARNs. */
    private final RetryStreak streak;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong rotations = new AtomicLong();
    private final AtomicLong renewals = new AtomicLong();
    private final Object lock = new Object();
    /** Passwords rotated out, kept until their leases end; close() wipes those the closed scheduler will not. */
    private final List<Secret> retired = new CopyOnWriteArrayList<>();
    /** Leases rotated away, kept until they end: close() revokes those still live with the current one. */
    private final List<Lease> rotatedAway = new CopyOnWriteArrayList<>();
    /**
     * Held while new credentials are fetched for a rotation, so close() waits for a rotation in flight and the lease
     * it brings is revoked while the token is still valid.
     */
    private final Object fetchLock = new Object();
    private final Runnable stopListening;

    private volatile Lease lease;
    private final TaskSlot tasks;
    private volatile boolean closed;
    /** Whether a refused revocation was logged at WARN already: once per credentials, then at DEBUG. */
    private volatile boolean revokeDeniedWarned;
    /** Waiting for a new token: the {@code VaultAuth.token} in use has ended, so renewing or rotating is futile. */
    private volatile boolean parked;

    public DefaultDynamicCredentials(String mount, String role, VaultConfig config, VaultHttp http, TokenManager tokens,
                                     TaskScheduler scheduler, Stats stats, Random random) {
        this.mount = mount;
        this.role = role;
        this.path = mount + "/creds/" + role;
        this.config = config;
        this.http = http;
        this.tokens = tokens;
        this.scheduler = scheduler;
        this.tasks = new TaskSlot(scheduler, () -> closed, config.maxRetryDelay().toNanos(),
            e -> log.error("Vault client '{}': credentials task of role '{}' failed ({}); retrying", config.name(), role,
                e.getClass().getSimpleName()));
        this.stats = stats;
        this.random = random;
        this.streak = new RetryStreak(config.ticker(), config.minRetryDelay().toNanos(),
            config.maxRetryDelay().toNanos(), random);
        this.lease = fetch();
        log.info("Vault client '{}': database credentials for role '{}' issued, lease {}s, renewable={}", config.name(),
            role, lease.ttlSeconds, lease.renewable);
        this.stopListening = tokens.onReplaced((generation, endNanos) -> tokenReplaced(generation));
        scheduleNext(lease);
    }

    @Override
    public DatabaseCredentials current() {
        Lease l = lease;
        if (closed) {
            throw new VaultException("Vault client '" + config.name() + "': database credentials for role '" + role
                + "' were closed", VaultException.Reason.CLOSED, path, 0, null);
        }
        if (config.ticker().nanos() - l.endNanos() >= 0) {
            tokens.checkUsable();   // if the token has ended, that is why, and what an operator must fix
            // Vault revokes a lease with the token that created it: once that token is past its end (its renewals
            // failed), so are the credentials, whatever the lease's own TTL says.
            boolean tokenEnded = l.endNanos() != l.leaseEndNanos;
            throw new VaultUnavailableException("Vault client '" + config.name() + "': the database credentials for role '"
                + role + "' " + (tokenEnded ? "ended with the token that created them (it could not be renewed)"
                : "expired") + " and could not be replaced (Vault unavailable)", VaultException.Reason.TOO_STALE, path,
                0, null);
        }
        return l.credentials;
    }

    @Override
    public CredentialsSource.Registration onRotation(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public String mount() {
        return mount;
    }

    @Override
    public String role() {
        return role;
    }

    @Override
    public Duration leaseTimeLeft() {
        return Duration.ofNanos(Math.max(0, lease.endNanos() - config.ticker().nanos()));
    }

    @Override
    public long rotations() {
        return rotations.get();
    }

    @Override
    public long renewals() {
        return renewals.get();
    }

    @Override
    public void close() {
        Lease l;
        // Under the lock: a rotation in flight either installs its lease before this, or wipes it itself.
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            l = lease;
        }
        tasks.cancel();
        stopListening.run();
        synchronized (fetchLock) {
            // A rotation in flight has finished: it saw the client closed and revoked what it brought.
        }
        if (config.revokeOnClose()) {
            List<Lease> live = new ArrayList<>();
            live.add(l);
            long now = config.ticker().nanos();
            for (Lease old : rotatedAway) {
                if (now - old.endNanos() < 0) {
                    live.add(old);   // rotated away, but still valid in the database until its end
                }
            }
            for (Lease each : live) {
                if (!revoke(each.leaseId, each == l ? "the lease" : "a lease rotated away", true)) {
                    break;   // the same token, the same policy: the others would be refused too
                }
            }
        }
        rotatedAway.clear();
        l.credentials.password().close();
        retired.forEach(Secret::close);
        retired.clear();
    }

    @Override
    public String toString() {
        return "DynamicDatabaseCredentials[" + path + ", username=" + lease.credentials.username() + ", left="
            + leaseTimeLeft() + "]";
    }

    // ---------------------------------------------------------------- background work

    private void renewTask() {
        Lease l = lease;
        if (closed) {
            return;
        }
        long sent = config.ticker().nanos();
        Instant sentAt = config.clock().instant();
        try {
            byte[] body = VaultHttp.body(json -> {
                json.writeStringField("lease_id", l.leaseId);
                json.writeNumberField("increment", l.ttlSeconds);
            });
            VaultHttp.Response r = http.call("renew", "PUT", "sys/leases/renew", tokens.token(), body);
            if (r.status() == 200) {
                long granted = r.body().path("lease_duration").asLong(0);
                boolean capped = granted < l.ttlSeconds;
                Lease renewed = l.renewed(sent + Duration.ofSeconds(granted).toNanos(), sentAt.plusSeconds(granted),
                    capped);
                lease = renewed;
                renewals.incrementAndGet();
                stats.leaseRenewals.increment();
                int failedBefore = streak.succeeded();
                if (failedBefore > 0) {
                    log.info("Vault client '{}': lease of role '{}' renewed after {} failed attempts", config.name(),
                        role, failedBefore);
                }
                log.debug("Vault client '{}': lease of role '{}' renewed for {}s{}", config.name(), role, granted,
                    capped ? " (capped at the max TTL: rotating ahead of the end)" : "");
                scheduleNext(renewed);
            } else {
                stats.renewalFailures.increment();
                // 400 "lease not found" (already gone, or ended with its token) or "not renewable": renewing is
                // not rotating; fetch new credentials now.
                log.warn("Vault client '{}': renewing the lease of role '{}' was refused (HTTP {}); rotating now",
                    config.name(), role, r.status());
                rotateTask();
            }
        } catch (VaultUnavailableException e) {
            stats.renewalFailures.increment();
            retry(this::renewTask, l, e);
        } catch (VaultAuthException e) {
            park(l, e);
        }
    }

    private void rotateTask() {
        synchronized (fetchLock) {
            rotate();
        }
    }

    /** Holding {@link #fetchLock}. */
    private void rotate() {
        if (closed) {
            return;
        }
        Lease old = lease;
        Lease fresh;
        try {
            fresh = fetch();
        } catch (VaultUnavailableException e) {
            stats.renewalFailures.increment();
            retry(this::rotateTask, old, e);
            return;
        } catch (VaultAuthException e) {
            park(old, e);
            return;
        } catch (VaultException e) {
            stats.renewalFailures.increment();
            log.error("Vault client '{}': new database credentials for role '{}' were refused ({}); retrying",
                config.name(), role, e.reason());
            retry(this::rotateTask, old, e);
            return;
        } catch (RuntimeException e) {
            // Not one of Vault's answers (a bug, or a fault in between): retried on the same schedule, never faster;
            // fetch() has revoked any lease it got before failing, so no retry leaves one behind.
            stats.renewalFailures.increment();
            log.error("Vault client '{}': new database credentials for role '{}' failed ({}); retrying", config.name(),
                role, e.getClass().getSimpleName());
            retry(this::rotateTask, old, new VaultException("Vault client '" + config.name() + "': new database"
                + " credentials failed", VaultException.Reason.BAD_RESPONSE, path, 0, e));
            return;
        }
        Secret oldPassword = old.credentials.password();
        synchronized (lock) {
            if (closed) {
                // Closed while this rotation was in flight: nobody was handed these credentials, so they go now
                // (while the token still works: close() waits for this) rather than at the end of their lease.
                revoke(fresh.leaseId, "new credentials that came after close", true);
                fresh.credentials.password().close();
                return;
            }
            retired.add(oldPassword);
            rotatedAway.add(old);
            lease = fresh;
        }
        rotations.incrementAndGet();
        stats.rotations.increment();
        streak.succeeded();
        log.info("Vault client '{}': database credentials for role '{}' rotated ({} -> {}), lease {}s", config.name(),
            role, old.credentials.username(), fresh.credentials.username(), fresh.ttlSeconds);
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                log.warn("Vault client '{}': a rotation listener of role '{}' threw {}", config.name(), role,
                    e.getClass().getSimpleName());
            }
        }
        // The old password is kept until its lease ends: work in flight on old connections may still need it.
        long oldLeft = old.endNanos() - config.ticker().nanos();
        scheduler.schedule(() -> {
            oldPassword.close();
            retired.removeIf(p -> p == oldPassword);
            rotatedAway.removeIf(r -> r == old);
        }, Math.max(0, oldLeft));
        scheduleNext(fresh);
    }

    private void retry(Runnable task, Lease l, VaultException e) {
        long left = l.endNanos() - config.ticker().nanos();
        long delay = streak.failed(left);
        streak.log(log, "Vault client '{}': keeping the credentials of role '{}' alive failed ({}); {}s left, retrying"
            + " in {} ms", config.name(), role, e.reason(), Math.max(0, left / 1_000_000_000L), delay / 1_000_000L);
        tasks.schedule(task, delay);
    }

    /**
     * The {@code VaultAuth.token} in use has ended ({@code NOT_RENEWABLE}): every renewal or rotation would fail the
     * same way until its source gives another, and the token manager has said so. Schedules nothing more; the login
     * that replaces the token resumes (see {@link #tokenReplaced}). Other refusals go on as task failures.
     */
    private void park(Lease l, VaultAuthException e) {
        if (e.reason() != VaultException.Reason.NOT_RENEWABLE) {
            throw e;
        }
        stats.renewalFailures.increment();
        parked = true;
        log.warn("Vault client '{}': the credentials of role '{}' cannot be renewed or replaced until the token is"
            + " replaced ({}); {}s left on them", config.name(), role, e.reason(),
            Math.max(0, (l.endNanos() - config.ticker().nanos()) / 1_000_000_000L));
    }

    /**
     * A new token replaced the one that created the current lease: the lease ends when the old token does. Parked
     * credentials resume whichever token created them.
     */
    private void tokenReplaced(int oldGeneration) {
        Lease l = lease;
        boolean wasParked = parked;
        parked = false;
        if ((wasParked || l.generation == oldGeneration) && !closed) {
            if (wasParked) {
                log.info("Vault client '{}': a new token is in place; resuming the credentials of role '{}'",
                    config.name(), role);
            }
            scheduleNext(l);
        }
    }

    private void scheduleNext(Lease l) {
        long now = config.ticker().nanos();
        // While the token that created the lease is still the current one, its end is no reason to rotate: the new
        // credentials would come from the same token. The login that replaces it reschedules (tokenReplaced).
        boolean tokenReplaced = l.generation != tokens.generation();
        long left = (tokenReplaced ? l.endNanos() : l.leaseEndNanos) - now;
        long delay = Schedule.renewDelay(left, config.renewFraction(), config.renewJitter(), random);
        boolean tokenEnding = tokenReplaced && tokens.endOf(l.generation) < l.leaseEndNanos;
        if (!l.renewable || l.capped || tokenEnding) {
            tasks.schedule(this::rotateTask, delay);
        } else {
            tasks.schedule(this::renewTask, delay);
        }
    }

    private Lease fetch() {
        long sent = config.ticker().nanos();
        Instant sentAt = config.clock().instant();
        int generation = tokens.generation();
        VaultHttp.Response r = http.callOnce("creds", "GET", path, tokens.token(), null, IF_ISSUED);
        if (r.status() == 403 && tokens.reloginAfterDenied(generation)) {
            generation = tokens.generation();
            r = http.callOnce("creds", "GET", path, tokens.token(), null, IF_ISSUED);
        }
        if (r.status() == 403) {
            tokens.checkUsable();
        }
        if (r.status() != 200) {
            VaultException.Reason reason = r.status() == 403 ? VaultException.Reason.PERMISSION_DENIED
                : r.status() == 404 ? VaultException.Reason.NOT_FOUND : VaultException.Reason.BAD_REQUEST;
            throw new VaultException("Vault client '" + config.name() + "': database credentials at " + path
                + " refused (HTTP " + r.status() + ")", reason, path, r.status(), null);
        }
        JsonNode body = r.body();
        String username = body.path("data").path("username").asText("");
        String password = body.path("data").path("password").asText("");
        String leaseId = body.path("lease_id").asText("");
        long ttl = body.path("lease_duration").asLong(0);
        if (username.isEmpty() || password.isEmpty() || leaseId.isEmpty() || ttl <= 0) {
            // Vault may have created a role in the database all the same: it goes now, not at the end of its TTL.
            revokeUnusable(leaseId);
            throw new VaultException("Vault client '" + config.name() + "': the answer at " + path
                + " lacks a username, password, lease ID or TTL", VaultException.Reason.BAD_RESPONSE, path, r.status(),
                null);
        }
        Secret secret = Secret.ofString(password, "db-password:" + role);
        config.tripwire().register(secret);
        long end = sent + Duration.ofSeconds(ttl).toNanos();
        DatabaseCredentials credentials;
        try {
            credentials = DatabaseCredentials.expiring(username, secret, sentAt.plusSeconds(ttl));
        } catch (IllegalArgumentException e) {
            // Vault issued credentials this client cannot hand out (a username template that makes names longer than
            // a database name may be, or with control characters): they must not outlive this call. The username is
            // not shown: it may hold anything.
            secret.close();
            revokeUnusable(leaseId);
            throw new VaultException("Vault client '" + config.name() + "': the credentials issued at " + path
                + " cannot be used: their username (" + username.length() + " characters, not shown) is not 1 to 63"
                + " printable characters; check the role's username_template. The lease was revoked (if the token's"
                + " policy allows sys/leases/revoke)", VaultException.Reason.BAD_RESPONSE, path, r.status(), null);
        }
        return new Lease(leaseId, credentials, ttl, body.path("renewable").asBoolean(false), end, false, generation);
    }

    /** Revokes a lease this client got but cannot use, best effort (an empty ID: nothing to revoke). */
    private void revokeUnusable(String leaseId) {
        if (!leaseId.isEmpty()) {
            revoke(leaseId, "credentials it cannot use", false);
        }
    }

    /**
     * Revokes a lease, best effort: its role is dropped in the database now, not at the lease's end. Needs the
     * {@code update} capability on {@code sys/leases/revoke}, which Vault's default policy does not grant; without it
     * the credentials stay valid until the lease ends (or, for an AppRole login with {@code revokeOnClose}, until the
     * token that created them is revoked on close, which takes its leases with it). Returns false if the token's
     * policy does not allow it.
     *
     * @param closing whether the client is closing: then revoking the token (AppRole, {@code revokeOnClose}) revokes
     *                the lease anyway, and a refusal is no news
     */
    private boolean revoke(String leaseId, String which, boolean closing) {
        try {
            byte[] body = VaultHttp.body(json -> json.writeStringField("lease_id", leaseId));
            VaultHttp.Response r = http.call("revoke", "PUT", "sys/leases/revoke", tokens.token(), body);
            if (r.status() == 403) {
                boolean tokenTakesItAlong = closing && config.revokeOnClose()
                    && config.auth().method() != VaultAuth.Method.TOKEN;
                if (!tokenTakesItAlong && !revokeDeniedWarned) {
                    revokeDeniedWarned = true;
                    log.warn("Vault client '{}': could not revoke {} of role '{}' (HTTP 403): the token's policy lacks"
                        + " the 'update' capability on sys/leases/revoke; the credentials stay valid until the lease"
                        + " ends", config.name(), which, role);
                } else {
                    log.debug("Vault client '{}': could not revoke {} of role '{}' (HTTP 403: no 'update' on"
                        + " sys/leases/revoke){}", config.name(), which, role,
                        tokenTakesItAlong ? "; revoking the token on close revokes it" : "");
                }
                return false;
            }
            if (r.status() / 100 != 2) {
                log.warn("Vault client '{}': could not revoke {} of role '{}' (HTTP {}); the credentials stay valid"
                    + " until the lease ends", config.name(), which, role, r.status());
            }
            return true;
        } catch (RuntimeException e) {
            // Vault unreachable, or the token gone: the lease ends with its TTL or its token.
            log.warn("Vault client '{}': could not revoke {} of role '{}' ({}); the credentials stay valid until the"
                + " lease ends", config.name(), which, role,
                e instanceof VaultException ? ((VaultException) e).reason() : e.getClass().getSimpleName());
            return true;
        }
    }

    private final class Lease {
        final String leaseId;
        final DatabaseCredentials credentials;
        final long ttlSeconds;
        final boolean renewable;
        final long leaseEndNanos;
        final boolean capped;
        final int generation;

        Lease(String leaseId, DatabaseCredentials credentials, long ttlSeconds, boolean renewable, long leaseEndNanos,
              boolean capped, int generation) {
            this.leaseId = leaseId;
            this.credentials = credentials;
            this.ttlSeconds = ttlSeconds;
            this.renewable = renewable;
            this.leaseEndNanos = leaseEndNanos;
            this.capped = capped;
            this.generation = generation;
        }

        /** The lease ends at its own end, or with the token that created it, whichever comes first. */
        long endNanos() {
            return Math.min(leaseEndNanos, tokens.endOf(generation));
        }

        /** The lease with its new end, which its credentials report too ({@link DatabaseCredentials#expiresAt()}). */
        Lease renewed(long newEnd, Instant newEndAt, boolean nowCapped) {
            DatabaseCredentials extended = DatabaseCredentials.expiring(credentials.username(), credentials.password(),
                newEndAt);
            return new Lease(leaseId, extended, ttlSeconds, renewable, newEnd, nowCapped, generation);
        }

        @Override
        public String toString() {
            return "Lease[" + credentials.username() + "]";
        }
    }
}
