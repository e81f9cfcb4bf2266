package dev.drkit.secrets.vault;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The simulated Vault's database secrets engine for PostgreSQL: {@code database/creds/:role} creates a real role
 * ({@code CREATE ROLE ... LOGIN PASSWORD ... VALID UNTIL}) in a real server, a renewal moves {@code VALID UNTIL},
 * and a revocation or expiry runs {@code REVOKE ALL ...; DROP ROLE}, as Vault's PostgreSQL plugin does with its
 * default statements. Guarded by the owning {@link SimulatedVault}'s lock.
 */
public final class SimulatedDatabase {

    /** Opens connections as a superuser of the server the roles are created in. */
    @FunctionalInterface
    public interface AdminConnections {
        /** A new connection; the caller closes it. */
        Connection open() throws SQLException;
    }

    private final String mount;
    private final AdminConnections admin;
    private final Map<String, RoleSettings> roles = new LinkedHashMap<>();
    private final Map<String, Lease> leases = new LinkedHashMap<>();
    private final List<String> dropped = new ArrayList<>();
    private String usernamePrefix = "";

    SimulatedDatabase(String mount, AdminConnections admin) {
        this.mount = mount;
        this.admin = admin;
    }

    /** Defines a role ({@code database/roles/:name}): credentials live {@code defaultTtl}, renewable up to {@code maxTtl}. */
    public synchronized SimulatedDatabase role(String name, Duration defaultTtl, Duration maxTtl, String... grants) {
        roles.put(name, new RoleSettings(defaultTtl, maxTtl, List.of(grants), true));
        return this;
    }

    /**
     * Makes the leases of role {@code name} not renewable (as a plugin that cannot extend its users would):
     * {@code sys/leases/renew} answers 400 "lease is not renewable" and creds answer {@code renewable: false}.
     */
    public synchronized SimulatedDatabase notRenewable(String name) {
        RoleSettings r = roles.get(name);
        roles.put(name, new RoleSettings(r.defaultTtl, r.maxTtl, r.grants, false));
        return this;
    }

    /**
     * Puts {@code prefix} before the names of users created from now on, as a connection's custom
     * {@code username_template} that adds text before the default template's (and does not truncate the whole to 63
     * characters) would; {@code ""} for none. PostgreSQL truncates a longer name to 63 characters, in {@code CREATE
     * ROLE} and {@code DROP ROLE} alike.
     */
    public synchronized SimulatedDatabase usernamePrefix(String prefix) {
        usernamePrefix = java.util.Objects.requireNonNull(prefix, "prefix");
        return this;
    }

    /** The user names of roles dropped so far (by revocation or expiry), oldest first. */
    public synchronized List<String> droppedUsers() {
        return List.copyOf(dropped);
    }

    /** The user names currently leased. */
    public synchronized List<String> liveUsers() {
        List<String> users = new ArrayList<>();
        leases.values().forEach(l -> users.add(l.username));
        return users;
    }

    synchronized Optional<Issued> issue(String roleName, String displayName, String token, Instant now) {
        RoleSettings role = roles.get(roleName);
        if (role == null) {
            return Optional.empty();
        }
        String username = ("v-" + truncate(displayName, 8) + "-" + truncate(roleName, 8) + "-"
            + SimulatedVault.random(20) + "-" + now.getEpochSecond()).toLowerCase(java.util.Locale.ROOT);
        username = usernamePrefix + truncate(username, 63);
        String random = SimulatedVault.random(19);
        int dash = 1 + (int) (Math.random() * 18);
        String password = random.substring(0, dash) + "-" + random.substring(dash);
        Instant expires = now.plus(role.defaultTtl);
        run("CREATE ROLE \"" + username + "\" WITH LOGIN PASSWORD '" + password + "' VALID UNTIL '" + expires + "'");
        for (String grant : role.grants) {
            run(grant.replace("{{name}}", "\"" + username + "\""));
        }
        String leaseId = mount + "/creds/" + roleName + "/" + SimulatedVault.random(24);
        Lease lease = new Lease(username, token, now, expires, now.plus(role.maxTtl), role.defaultTtl, role.renewable);
        leases.put(leaseId, lease);
        return Optional.of(new Issued(leaseId, username, password, role.defaultTtl, role.renewable));
    }

    synchronized boolean hasLease(String leaseId) {
        return leases.containsKey(leaseId);
    }

    synchronized Renewal renew(String leaseId, Duration increment, Instant now) {
        Lease lease = leases.get(leaseId);
        if (lease == null) {
            throw new SimulatedVault.BadRequest("lease not found");
        }
        if (!lease.renewable) {
            throw new SimulatedVault.BadRequest("lease is not renewable");
        }
        Duration wanted = increment.isZero() ? lease.defaultTtl : increment;
        Instant expires = now.plus(wanted);
        boolean capped = expires.isAfter(lease.maxExpires);
        if (capped) {
            expires = lease.maxExpires;
        }
        lease.expires = expires;
        lease.lastRenewal = now;
        run("ALTER ROLE \"" + lease.username + "\" VALID UNTIL '" + expires + "'");
        return new Renewal(Duration.between(now, expires), capped, lease.renewable);
    }

    synchronized Optional<LeaseView> lookup(String leaseId, Instant now) {
        Lease l = leases.get(leaseId);
        if (l == null) {
            return Optional.empty();
        }
        return Optional.of(new LeaseView(l.issued, l.expires, l.lastRenewal, l.renewable, Duration.between(now, l.expires)));
    }

    synchronized void revoke(String leaseId) {
        Lease lease = leases.remove(leaseId);
        if (lease != null) {
            drop(lease.username);
        }
    }

    synchronized void revokeCreatedBy(String token) {
        List<String> ids = new ArrayList<>();
        leases.forEach((id, l) -> {
            if (l.token.equals(token)) {
                ids.add(id);
            }
        });
        ids.forEach(this::revoke);
    }

    synchronized void expire(Instant now) {
        List<String> ids = new ArrayList<>();
        leases.forEach((id, l) -> {
            if (!l.expires.isAfter(now)) {
                ids.add(id);
            }
        });
        ids.forEach(this::revoke);
    }

    synchronized void revokeAll() {
        new ArrayList<>(leases.keySet()).forEach(this::revoke);
    }

    private void drop(String username) {
        try {
            run("REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM \"" + username + "\"");
            run("DROP ROLE IF EXISTS \"" + username + "\"");
            dropped.add(username);
        } catch (RuntimeException e) {
            // The server may be gone already at the end of a test; the role goes with it.
        }
    }

    private void run(String sql) {
        try (Connection c = admin.open(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("simulated database engine: " + e.getSQLState(), e);
        }
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private static final class RoleSettings {
        final Duration defaultTtl;
        final Duration maxTtl;
        final List<String> grants;
        final boolean renewable;

        RoleSettings(Duration defaultTtl, Duration maxTtl, List<String> grants, boolean renewable) {
            this.defaultTtl = defaultTtl;
            this.maxTtl = maxTtl;
            this.grants = grants;
            this.renewable = renewable;
        }
    }

    private static final class Lease {
        final String username;
        final String token;
        final Instant issued;
        Instant expires;
        final Instant maxExpires;
        final Duration defaultTtl;
        final boolean renewable;
        Instant lastRenewal;

        Lease(String username, String token, Instant issued, Instant expires, Instant maxExpires, Duration defaultTtl,
              boolean renewable) {
            this.renewable = renewable;
            this.username = username;
            this.token = token;
            this.issued = issued;
            this.expires = expires;
            this.maxExpires = maxExpires;
            this.defaultTtl = defaultTtl;
        }
    }

    static final class Issued {
        final String leaseId;
        final String username;
        final String password;
        final Duration ttl;
        final boolean renewable;

        Issued(String leaseId, String username, String password, Duration ttl, boolean renewable) {
            this.leaseId = leaseId;
            this.username = username;
            this.password = password;
            this.ttl = ttl;
            this.renewable = renewable;
        }
    }

    static final class Renewal {
        final Duration ttl;
        final boolean capped;
        final boolean renewable;

        Renewal(Duration ttl, boolean capped, boolean renewable) {
            this.ttl = ttl;
            this.capped = capped;
            this.renewable = renewable;
        }
    }

    static final class LeaseView {
        final Instant issued;
        final Instant expires;
        final Instant lastRenewal;
        final boolean renewable;
        final Duration ttl;

        LeaseView(Instant issued, Instant expires, Instant lastRenewal, boolean renewable, Duration ttl) {
            this.issued = issued;
            this.expires = expires;
            this.lastRenewal = lastRenewal;
            this.renewable = renewable;
            this.ttl = ttl;
        }
    }
}
