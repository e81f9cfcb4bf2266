package dev.drkit.failover.internal;

import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;
import dev.drkit.failover.HostRole;
import dev.drkit.failover.HostState;
import dev.drkit.failover.Topology;
import dev.drkit.failover.event.FailoverEvent;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Knows which host is the primary. One thread probes every host in parallel each round (each probe bounded by
 * the probe timeout), then decides:
 *
 * <ul>
 *   <li>the primary is <b>lost</b> after {@code failAfter} failed probes in a row that do not show it alive (not
 *       for an authentication error, 53xxx, or credentials the probe could not get), at once when it is seen in
 *       recovery, and at once when another host of the same cluster is on a newer timeline, as a primary or as a
 *       standby (a standby is only on a timeline a promotion created); re-checked every round, it is also lost
 *       and fenced when it answers with another system identifier or on a timeline older than the newest its
 *       cluster has shown;</li>
 *   <li>while no primary is known, several hosts of the cluster claiming primary on its newest timeline are a
 *       <b>split brain</b>: none is elected, their streaks start over each round both are seen, and one is elected
 *       only once every rival is in recovery or has failed {@code failAfter} probes in a row;</li>
 *   <li>a host is <b>elected</b> primary when it is the only one not in recovery on the newest timeline seen, of
 *       the cluster's system identifier, for {@code confirmations} probes in a row;</li>
 *   <li>a host that claims to be primary on an older timeline than the newest any host of its cluster has shown
 *       (as a primary or a standby, remembered from the first round on, so before the first election too), or
 *       while another is the primary, or of another cluster, is <b>fenced</b>: nothing goes to it. Before the
 *       first election, when hosts of two clusters claim primary, neither is elected: nothing tells which cluster
 *       is meant;</li>
 *   <li>a lone claimant with nothing newer in sight is elected even when other hosts have never answered (else a
 *       data source could not start while a standby is down); if one of them was promoted to a newer timeline,
 *       the claimant is an old primary nothing can tell apart yet, so the election says so (a WARN and the
 *       event's detail name those hosts), and the claimant is lost and fenced as soon as one of them answers on a
 *       newer timeline;</li>
 *   <li>a standby takes <b>reads</b> when it is on the primary's timeline (the newer of its last restartpoint's
 *       and the one its WAL receiver receives) and its replay is within {@code maxReplicaLag}. On another
 *       timeline its replay position cannot be compared with the primary's: an old primary restarted as a
 *       standby without pg_rewind stops at WAL the new primary never had, which looks caught up while the new
 *       primary is quiet. Its lag is then unknown.</li>
 * </ul>
 *
 * <p>Rounds run every {@code probeInterval}, and every {@code fastProbeInterval} while no primary is known, the
 * primary's latest probe failed, something changed in the last few seconds, or a caller reported a connection
 * failure ({@link #suspect()}, at most one round per {@code fastProbeInterval}); while no primary is known and a
 * host's claim awaits confirmation, five times as often (not during a split brain).
 */
public final class TopologyMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TopologyMonitor.class);
    /** How much sooner than {@code fastProbeInterval} a claim of primary is looked at again to confirm it. */
    private static final long CONFIRMING_SPEEDUP = 5;
    /** How long probing stays fast after a change. */
    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** How often a rivalry of hosts claiming primary (a split brain) that goes on is logged at WARN. */
    private static final long RIVALRY_WARN_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How many of the primary's WAL positions the lag window holds, spaced evenly by time. */
    private static final int MAX_SAMPLES = 512;

    /** What the monitor tells the data source. Called on the monitor thread. */
    public interface Actions {
        /** {@code endpoint} is no longer the primary: stop routing writes there, abort its connections. */
        void primaryLost(Endpoint endpoint, String why);

        /** {@code endpoint} is the primary from now on. */
        void primaryElected(Endpoint endpoint);

        /** {@code endpoint} must get nothing at all. */
        void fenced(Endpoint endpoint, String why);

        /** {@code endpoint} answers as a primary or standby: its pool may be opened. */
        void healthy(Endpoint endpoint);

        /** {@code endpoint} is unreachable: its pool may be closed. */
        void unreachable(Endpoint endpoint, String why);

        /** The standbys read-only work may use changed. */
        void readersChanged(List<Endpoint> readers);

        /**
         * A mark of the work handed to {@code endpoint}'s connections: how many were handed out as the primary's so
         * far, or -1 while any is in use. Equal marks, neither -1, mean nothing was handed out in between, so nothing
         * could commit there. Read before each probe, and after a failover to tell whether the old primary took
         * writes after its last probe.
         */
        long useMark(Endpoint endpoint);
    }

    private final FailoverConfig config;
    private final Actions actions;
    private final Consumer<FailoverEvent> events;
    private final FailoverCounters counters;
    private final List<Tracker> trackers = new ArrayList<>();
    private final Thread thread;
    private final Object wake = new Object();
    private final ArrayDeque<long[]> primarySamples = new ArrayDeque<>();

    private volatile boolean closed;
    private volatile boolean suspected;
    /** When the latest round started, on {@link System#nanoTime()}; monitor thread only. */
    private long roundStartedAt = System.nanoTime();
    private volatile boolean forgetTimelines;
    private final Queue<Eviction> evictions = new ConcurrentLinkedQueue<>();
    private volatile Topology topology;
    private volatile @Nullable Endpoint primary;
    /** Why no host is elected though several claim primary (a split brain, or two clusters); null otherwise. */
    private volatile @Nullable String rivalry;
    private long rivalryWarnedAtNanos;
    private long generation;
    /** The cluster written to: from the configuration, else from the first primary elected; 0 until then. */
    private long expectedSystemId;
    private boolean everElected;
    /** The newest timeline any host of each cluster (by system identifier) has shown, as a primary or a standby. */
    private final Map<Long, Newest> newestTimelines = new HashMap<>();
    private long lostAtNanos;
    private @Nullable Endpoint lostPrimary;
    private long changedAtNanos = System.nanoTime();
    private List<Endpoint> readers = List.of();

    public TopologyMonitor(FailoverConfig config, Actions actions, Consumer<FailoverEvent> events,
                           FailoverCounters counters) {
        this.config = config;
        this.actions = actions;
        this.events = events;
        this.counters = counters;
        for (Endpoint endpoint : config.endpoints()) {
            trackers.add(new Tracker(new HostProbe(endpoint, config)));
        }
        this.expectedSystemId = config.systemIdentifier().orElse(0);
        this.topology = snapshot();
        this.thread = new Thread(this::loop, "drkit-failover-monitor-" + config.name());
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** The confirmed primary, or null during a failover. */
    public @Nullable Endpoint primary() {
        return primary;
    }

    public Topology topology() {
        return topology;
    }

    /**
     * Why no host is elected though several claim primary: a split brain (hosts of the cluster claiming primary on
     * its newest timeline), or hosts of two clusters before the first election; null when that is not the case.
     */
    public @Nullable String rivalry() {
        return rivalry;
    }

    /**
     * A caller saw a connection failure: probe again soon, no sooner than {@code fastProbeInterval} after the start
     * of the last round (suspicions in between come to one round).
     */
    public void suspect() {
        suspected = true;
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    /**
     * The operator says the newest timelines seen are no longer the cluster's (a promotion was undone): forget
     * them at the start of the next round, which runs at once. Hosts that still show them are remembered again.
     */
    public void forgetTimelines() {
        forgetTimelines = true;
        suspect();
    }

    /**
     * A borrower evicted a pooled connection to {@code endpoint} that its server had closed: tell the listeners
     * (on the monitor thread, in order with the other events) and probe at once.
     */
    public void evicted(Endpoint endpoint, String detail) {
        evictions.add(new Eviction(endpoint, detail));
        suspect();
    }

    private record Eviction(Endpoint endpoint, String detail) {
    }

    private void publishEvictions() {
        Eviction e;
        while ((e = evictions.poll()) != null) {
            emit(FailoverEvent.Type.CONNECTION_EVICTED, e.endpoint(), Optional.empty(), e.detail());
        }
    }

    /** Drops every probe connection (the credentials rotated). */
    public void resetProbes() {
        trackers.forEach(t -> t.probe.reset());
    }

    /** Waits until a primary is known or {@code deadlineNanos} passes; returns it or null. */
    public @Nullable Endpoint awaitPrimary(long deadlineNanos) throws InterruptedException {
        synchronized (wake) {
            while (primary == null && !closed) {
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(wake, remaining);
            }
            return primary;
        }
    }

    private void loop() {
        while (!closed) {
            try {
                publishEvictions();
                round();
            } catch (RuntimeException | Error e) {
                // the thread goes on: without it no loss or fencing would ever be noticed again
                log.error("Failover data source '{}': topology round failed", config.name(), e);
            }
            long pause = confirming() ? config.fastProbeInterval().toNanos() / CONFIRMING_SPEEDUP
                : fast() ? config.fastProbeInterval().toNanos() : config.probeInterval().toNanos();
            long next = System.nanoTime() + pause;
            // A suspicion brings the next round forward, but to no sooner than fastProbeInterval after the start of
            // the last one: callers failing by the hundred (an exhausted pool, a burst of errors) ask for one round,
            // not hundreds back to back.
            long earliest = roundStartedAt + config.fastProbeInterval().toNanos();
            synchronized (wake) {
                while (!closed) {
                    long due = suspected && earliest - next < 0 ? earliest : next;
                    long remaining = due - System.nanoTime();
                    if (remaining <= 0) {
                        break;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(wake, remaining);
                    } catch (InterruptedException e) {
                        if (closed) {
                            return;
                        }
                    }
                }
                suspected = false;
            }
        }
    }

    /**
     * Whether no primary is known and a host has claimed it but is not confirmed yet: writes are waiting, and the
     * next look only has to see the claim again, so it comes sooner.
     */
    private boolean confirming() {
        if (primary != null || rivalry != null) {
            // Rivals claiming primary: the next round will not elect anyone either.
            return false;
        }
        for (Tracker t : trackers) {
            if (t.primaryStreak > 0 && t.fencedBecause == null) {
                return true;
            }
        }
        return false;
    }

    private boolean fast() {
        Endpoint current = primary;
        if (current == null || System.nanoTime() - changedAtNanos < SETTLE_NANOS) {
            return true;
        }
        for (Tracker t : trackers) {
            if (t.endpoint().equals(current) && t.failures > 0) {
                return true;
            }
        }
        return false;
    }

    private void round() {
        long start = System.nanoTime();
        roundStartedAt = start;
        long deadline = start + config.probeTimeout().toNanos();
        markUse();
        List<@Nullable Future<ProbeResult>> futures = new ArrayList<>();
        for (Tracker t : trackers) {
            futures.add(t.probe.start());
        }
        List<ProbeResult> results = new ArrayList<>();
        for (int i = 0; i < trackers.size(); i++) {
            Endpoint endpoint = trackers.get(i).endpoint();
            Future<ProbeResult> future = futures.get(i);
            if (future == null) {
                // Still hanging from an earlier round: a failure now, without holding this round up.
                results.add(ProbeResult.failed(endpoint, false, "still no answer to an earlier probe"));
                continue;
            }
            try {
                results.add(future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                results.add(ProbeResult.failed(endpoint, false,
                    "no answer within " + config.probeTimeout().toMillis() + " ms"));
            } catch (ExecutionException e) {
                results.add(ProbeResult.failed(endpoint, false, Failures.describe(e.getCause())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (!closed) {
            evaluate(results, System.nanoTime());
        }
    }

    /**
     * Reads each host's {@linkplain Actions#useMark use mark} before its probe starts: a commit acknowledged after
     * the mark may be newer than the WAL position the probe then reads.
     */
    void markUse() {
        for (Tracker t : trackers) {
            t.useMarkBeforeProbe = actions.useMark(t.endpoint());
        }
    }

    /**
     * Decides roles from one round's results (one per configured endpoint, in order) at {@code now} (on the
     * {@link System#nanoTime()} scale of the results' own times). The decision itself does no I/O and reads no
     * clock: what it decides goes out through {@link Actions}, the event consumer and the counters, so a test can
     * drive it round by round with made-up results and time. Runs on the monitor thread only.
     */
    void evaluate(List<ProbeResult> results, long now) {
        for (int i = 0; i < trackers.size(); i++) {
            trackers.get(i).record(results.get(i), now);
        }
        if (forgetTimelines) {
            forgetTimelines = false;
            Newest forgotten = newestTimelines.get(expectedSystemId);
            log.warn("Failover data source '{}': forgetting the newest timeline seen{}, as asked; from now on a host"
                    + " is refused for an older timeline only if a host shows a newer one again", config.name(),
                forgotten == null ? "" : " (" + forgotten.timeline() + ", first shown by " + forgotten.shownBy().id()
                    + ")");
            newestTimelines.clear();
        }
        rememberTimelines();
        Endpoint current = primary;
        Tracker incumbent = current == null ? null : tracker(current);

        if (incumbent != null) {
            ProbeResult r = incumbent.last;
            Newest newest = newestTimelines.get(expectedSystemId);
            if (r.ok() && r.inRecovery()) {
                lose(incumbent, "it is in recovery now (demoted or restarted as a standby)", now, false);
            } else if (r.ok() && r.systemId() != expectedSystemId) {
                // The address now leads to another cluster (a moved name or VIP, a rebuilt host): re-checked each
                // round, not only at the election.
                String why = "another cluster (system identifier " + r.systemId() + ", expected " + expectedSystemId
                    + ")";
                lose(incumbent, "it answers as " + why, now, true);
                fence(incumbent, why, now);
            } else if (r.ok() && newest != null && r.timeline() < newest.timeline()) {
                // The address answers with an older primary of the cluster (a reverted snapshot, a name moved to
                // the old primary): the newest timeline seen is remembered, whoever showed it.
                String why = "older timeline " + r.timeline() + " than " + newest.shownBy().id() + "'s "
                    + newest.timeline();
                lose(incumbent, "it claims primary on " + why, now, true);
                fence(incumbent, why, now);
            } else if (!r.ok() && !r.reachable() && incumbent.failures >= config.failAfter()) {
                lose(incumbent, incumbent.failures + " probes in a row failed, the last: " + r.failure(), now, false);
            } else if (!r.ok() && r.reachable() && incumbent.failures == config.failAfter()) {
                // It answers but refuses the probe (connection limits, 53xxx; credentials the probe could not get):
                // not dead, so not lost for that. Said once per run of failures.
                log.warn("Failover data source '{}': {} probes in a row of primary {} failed ({}), but it answers;"
                        + " kept as the primary", config.name(), incumbent.failures, current.id(), r.failure());
            } else if (!r.ok() && incumbent.failures > 0 && incumbent.failures < config.failAfter()) {
                log.debug("Failover data source '{}': probe of primary {} failed ({}); probing again",
                    config.name(), current.id(), r.failure());
            }
            if (primary != null) {
                for (Tracker t : trackers) {
                    // A standby on a newer timeline proves it too: some host was promoted past this one's.
                    if (t != incumbent && t.last.ok() && t.last.systemId() == expectedSystemId
                        && t.timeline > incumbent.timeline) {
                        String shows = t.claimsPrimary() ? " is primary" : " is a standby";
                        lose(incumbent, t.endpoint().id() + shows + " on newer timeline " + t.timeline + " (this one: "
                            + incumbent.timeline + ")", now, true);
                        fence(incumbent, "older timeline " + incumbent.timeline + " than " + t.endpoint().id()
                            + "'s " + t.timeline, now);
                        break;
                    }
                }
            }
        }

        // Who may be written to: claims primary, right cluster, newest timeline of its cluster, not fenced.
        current = primary;
        List<Tracker> claimants = new ArrayList<>();
        for (Tracker t : trackers) {
            if (!t.claimsPrimary() || t.endpoint().equals(current)) {
                continue;
            }
            String refusal = null;
            if (expectedSystemId != 0 && t.last.systemId() != expectedSystemId) {
                refusal = "another cluster (system identifier " + t.last.systemId() + ", expected "
                    + expectedSystemId + ")";
            } else if (current != null) {
                refusal = "claims primary on timeline " + t.last.timeline() + " while " + current.id()
                    + " is the primary on timeline " + tracker(current).timeline;
            } else {
                Newest newest = newestTimelines.get(t.last.systemId());
                if (newest != null && t.last.timeline() < newest.timeline()) {
                    refusal = "claims primary on old timeline " + t.last.timeline() + ", but " + newest.shownBy().id()
                        + (newest.asPrimary() ? " claimed primary" : " was a standby") + " on timeline "
                        + newest.timeline() + (everElected ? "" : " (no primary elected yet)");
                }
            }
            if (refusal != null) {
                fence(t, refusal, now);
                continue;
            }
            t.fencedBecause = null;
            // Not refused: on the newest timeline its cluster has shown. A second one is on the same timeline of
            // the same cluster, or (before the first election) of another cluster: nothing tells which is right.
            claimants.add(t);
        }
        String splitBrainStarted = null;
        if (current == null && claimants.size() > 1) {
            splitBrainStarted = rivals(claimants, now);
        } else if (current == null) {
            Tracker best = claimants.isEmpty() ? null : claimants.get(0);
            String unresolved = unresolvedRivals(best);
            if (best != null && unresolved.isEmpty() && best.primaryStreak >= config.confirmations()) {
                elect(best, now);
            } else if (best != null && !unresolved.isEmpty()) {
                log.debug("Failover data source '{}': {} alone claims primary, but {} claimed it too and is neither in"
                    + " recovery nor unreachable for {} probes yet; writing to none", config.name(), best.endpoint().id(),
                    unresolved, config.failAfter());
            }
        }

        updateRoles(now);
        if (splitBrainStarted != null) {
            // After the roles are set, so the event's topology shows this round.
            emit(FailoverEvent.Type.SPLIT_BRAIN, claimants.get(0).endpoint(), Optional.empty(), splitBrainStarted);
        }
    }

    /**
     * Several hosts claim primary and none is the primary: none is elected, and no claim counts towards an election
     * while another is seen (so one missed probe of a rival cannot elect the other at once). Hosts of the same
     * cluster on its newest timeline are a split brain: each stays a rival until it is in recovery or has failed
     * {@code failAfter} probes in a row. Warns when it starts and then at most every {@link #RIVALRY_WARN_NANOS};
     * returns the event's detail when a split brain starts, else null.
     */
    private @Nullable String rivals(List<Tracker> claimants, long now) {
        List<String> ids = new ArrayList<>();
        boolean sameCluster = true;
        for (Tracker t : claimants) {
            t.primaryStreak = 0;
            ids.add(t.endpoint().id());
            sameCluster &= t.last.systemId() == claimants.get(0).last.systemId();
        }
        String hosts = String.join(" and ", ids);
        String detail;
        if (sameCluster) {
            claimants.forEach(t -> t.splitRival = true);
            detail = "split brain: " + hosts + " claim primary on timeline " + claimants.get(0).last.timeline()
                + " of the same cluster; writing to none until all but one are in recovery or unreachable for "
                + config.failAfter() + " probes";
        } else {
            List<String> clusters = new ArrayList<>();
            claimants.forEach(t -> clusters.add(Long.toString(t.last.systemId())));
            detail = hosts + " claim primary for different clusters (system identifiers " + String.join(" and ",
                clusters) + ") and none was elected before; writing to none";
        }
        boolean started = rivalry == null || !rivalry.startsWith("split brain") && sameCluster;
        boolean changed = !detail.equals(rivalry);
        rivalry = detail;
        if (changed || now - rivalryWarnedAtNanos >= RIVALRY_WARN_NANOS) {
            rivalryWarnedAtNanos = now;
            log.warn("Failover data source '{}': {}", config.name(), detail);
        } else {
            log.debug("Failover data source '{}': {}", config.name(), detail);
        }
        return started && sameCluster ? detail : null;
    }

    /**
     * The ids of the hosts that claimed primary beside another (a split brain) and are neither in recovery nor
     * unreachable for {@code failAfter} probes yet, other than {@code claimant}; empty once none is left, when the
     * split brain is over.
     */
    private String unresolvedRivals(@Nullable Tracker claimant) {
        List<String> unresolved = new ArrayList<>();
        for (Tracker t : trackers) {
            if (!t.splitRival) {
                continue;
            }
            boolean settled = t == claimant || t.fencedBecause != null || (t.last.ok() && t.last.inRecovery())
                || (!t.last.ok() && t.failures >= config.failAfter());
            if (settled) {
                t.splitRival = false;
            } else {
                unresolved.add(t.endpoint().id());
            }
        }
        if (unresolved.isEmpty() && rivalry != null) {
            if (rivalry.startsWith("split brain")) {
                log.info("Failover data source '{}': the split brain is over: {}", config.name(), claimant == null
                    ? "no host claims primary now" : "only " + claimant.endpoint().id() + " claims primary now");
            }
            rivalry = null;
        }
        return String.join(", ", unresolved);
    }

    /**
     * Remembers the newest timeline each cluster showed in this round, as a primary or a standby. Remembered when
     * seen, not when elected, and from the first round on: a primary on an older timeline of the same cluster is an
     * old primary, also when the host that showed the newer timeline misses probes afterwards, and also before any
     * primary was elected (a data source started after a failover has no memory but this).
     */
    private void rememberTimelines() {
        for (Tracker t : trackers) {
            if (!t.last.ok()) {
                continue;
            }
            Newest before = newestTimelines.get(t.last.systemId());
            if (before == null || t.timeline > before.timeline()) {
                newestTimelines.put(t.last.systemId(), new Newest(t.timeline, t.endpoint(), t.claimsPrimary()));
            }
        }
    }

    /** The newest timeline of a cluster, and the host that showed it first. */
    private record Newest(int timeline, Endpoint shownBy, boolean asPrimary) {
    }

    /**
     * {@code t} is no longer the primary. {@code fencing}: {@link #fence} follows at once, so the event's topology
     * shows it fenced already.
     */
    private void lose(Tracker t, String why, long now, boolean fencing) {
        Endpoint endpoint = t.endpoint();
        primary = null;
        generation++;
        lostAtNanos = now;
        lostPrimary = endpoint;
        changedAtNanos = now;
        primarySamples.clear();
        // From the last probe that saw it as the primary: a probe that found it in recovery, or of another
        // cluster, is no sign of the primary's life.
        Duration detect = t.lastPrimaryNanos == 0 ? Duration.ZERO : Duration.ofNanos(now - t.lastPrimaryNanos);
        // Its role in the event's topology is what it is now, not PRIMARY (updateRoles would set it only later).
        HostRole before = t.role;
        t.role = fencing ? HostRole.FENCED : roleOf(t, null);
        log.info("Failover data source '{}': {} is {} (was {}){}", config.name(), endpoint.id(), t.role, before,
            t.last.ok() ? "" : ": " + t.last.failure());
        counters.primaryLost(detect);
        log.warn("Failover data source '{}': primary {} lost: {}; {} ms after its last good probe; writes wait up to {} ms"
                + " for a new primary", config.name(), endpoint.id(), why, detect.toMillis(),
            config.primaryWait().toMillis());
        actions.primaryLost(endpoint, why);
        topology = snapshot();
        emit(FailoverEvent.Type.PRIMARY_LOST, endpoint, Optional.of(detect), why);
    }

    private void elect(Tracker t, long now) {
        Endpoint endpoint = t.endpoint();
        boolean first = !everElected;
        everElected = true;
        if (expectedSystemId == 0) {
            expectedSystemId = t.last.systemId();
        }
        t.fencedBecause = null;
        actions.primaryElected(endpoint);
        Optional<Duration> recovery = Optional.empty();
        String detail;
        if (lostAtNanos != 0) {
            Duration took = Duration.ofNanos(now - lostAtNanos);
            recovery = Optional.of(took);
            boolean failover = !endpoint.equals(lostPrimary);
            counters.primaryElected(took, failover);
            detail = (failover ? "failed over from " + lostPrimary.id() : "came back") + " on timeline "
                + t.last.timeline() + ", " + took.toMillis() + " ms after the loss was noticed";
            log.warn("Failover data source '{}': {} is the primary now: {}", config.name(), endpoint.id(), detail);
        } else {
            detail = "primary on timeline " + t.last.timeline();
            String unchecked = first ? neverAnswered(t) : "";
            if (unchecked.isEmpty()) {
                log.info("Failover data source '{}': {} is the primary (timeline {})", config.name(), endpoint.id(),
                    t.last.timeline());
            } else {
                // Nothing seen proves it an old primary; nothing proves it is not. Refusing it would keep a data
                // source from starting whenever a standby is down; it is fenced as soon as one of them shows a
                // newer timeline.
                detail = detail + "; timeline not checked against " + unchecked + ", which never answered a probe"
                    + " (unreachable or refusing the login): if one was promoted to a newer timeline, this is an old"
                    + " primary, fenced once that one answers";
                log.warn("Failover data source '{}': {} is the primary: {}", config.name(), endpoint.id(), detail);
            }
        }
        Endpoint failedOverFrom = lostAtNanos != 0 && !endpoint.equals(lostPrimary) ? lostPrimary : null;
        lostAtNanos = 0;
        lostPrimary = null;
        changedAtNanos = now;
        synchronized (wake) {
            primary = endpoint;
            generation++;
            // The event's topology shows it as the primary already (updateRoles sets the others' roles later).
            t.role = HostRole.PRIMARY;
            topology = snapshot();
            wake.notifyAll();
        }
        emit(FailoverEvent.Type.PRIMARY_ELECTED, endpoint, recovery, detail);
        if (failedOverFrom != null) {
            checkWalCarriedOver(tracker(failedOverFrom), t);
        }
    }

    /** The hosts other than {@code elected} that never answered a probe, by id, comma-separated; or empty. */
    private String neverAnswered(Tracker elected) {
        List<String> ids = new ArrayList<>();
        for (Tracker t : trackers) {
            if (t != elected && t.lastSeenNanos == 0) {
                ids.add(t.endpoint().id());
            }
        }
        return String.join(", ", ids);
    }

    /**
     * After a failover: did the promoted host have all the WAL the old primary had flushed? Compares the old
     * primary's flushed LSN at its last good probe with the promoted host's received LSN at its last probe as a
     * standby. That probe is the last word on the old primary: commits acknowledged after it are in no figure, so
     * whether its connections took work after it counts too. Under asynchronous replication a shortfall, or work
     * after the last probe, means writes acknowledged to clients may be lost: an event, a counter and a WARN say so.
     * Under synchronous replication a shortfall is WAL of commits that were not acknowledged (unless a session
     * turned {@code synchronous_commit} off): logged at INFO.
     */
    private void checkWalCarriedOver(Tracker old, Tracker promoted) {
        long flushed = old.primaryFlushedLsn;
        long received = promoted.standbyReceivedLsn;
        if (flushed < 0 || received < 0) {
            log.warn("Failover data source '{}': cannot tell whether {} had all of {}'s WAL (flushed {}, received {}"
                + " not known)", config.name(), promoted.endpoint().id(), old.endpoint().id(), lsn(flushed),
                lsn(received));
            return;
        }
        long missing = Math.max(0, flushed - received);
        boolean usedAfterProbe = old.primaryUseMark < 0 || actions.useMark(old.endpoint()) != old.primaryUseMark;
        boolean acknowledgedMayBeLost = (missing > 0 || usedAfterProbe) && !old.primarySynchronous;
        counters.unreplicated(missing, acknowledgedMayBeLost);
        if (!acknowledgedMayBeLost && missing == 0) {
            log.info("Failover data source '{}': {} had all the WAL {} had flushed ({} >= {}){}", config.name(),
                promoted.endpoint().id(), old.endpoint().id(), lsn(received), lsn(flushed), old.primarySynchronous
                    ? ", and it required a synchronous standby" : ", and took no work after that probe");
            return;
        }
        String detail = old.endpoint().id() + " had flushed WAL up to " + lsn(flushed) + " when last probed, "
            + promoted.endpoint().id() + " had received up to " + lsn(received) + " when last probed as a standby: "
            + (missing > 0 ? missing + " bytes of WAL did not reach the new primary"
                : "the new primary had all of it");
        if (!acknowledgedMayBeLost) {
            log.info("Failover data source '{}': {}; {} required a synchronous standby, so those commits were not"
                + " acknowledged", config.name(), detail, old.endpoint().id());
            return;
        }
        if (usedAfterProbe) {
            detail = detail + (missing > 0 ? ", and" : ", but") + " connections to " + old.endpoint().id()
                + " took work after that probe, whose WAL no figure shows";
        }
        detail = detail + "; asynchronous replication: writes acknowledged in that window may be lost";
        log.warn("Failover data source '{}': possible data loss: {}", config.name(), detail);
        emit(FailoverEvent.Type.POSSIBLE_DATA_LOSS, old.endpoint(), Optional.empty(), detail);
    }

    private static String lsn(long position) {
        if (position < 0) {
            return "unknown";
        }
        return Long.toHexString(position >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
            + Long.toHexString(position & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
    }

    private void fence(Tracker t, String why, long now) {
        // Claims made while fenced do not count towards an election once the fence is lifted.
        t.primaryStreak = 0;
        if (t.fencedBecause != null) {
            t.fencedBecause = why;
            return;
        }
        t.fencedBecause = why;
        changedAtNanos = now;
        counters.fenced();
        log.warn("Failover data source '{}': fencing {}: {}; nothing is routed to it", config.name(), t.endpoint().id(),
            why);
        actions.fenced(t.endpoint(), why);
        topology = snapshot();
        emit(FailoverEvent.Type.HOST_FENCED, t.endpoint(), Optional.empty(), why);
    }

    private void updateRoles(long now) {
        Endpoint current = primary;
        Tracker lead = current == null ? null : tracker(current);
        if (lead != null && lead.last.ok()) {
            sample(lead.last.nanos(), lead.last.walPosition(), now);
        }
        List<Endpoint> eligible = new ArrayList<>();
        for (Tracker t : trackers) {
            HostRole before = t.role;
            HostRole role = roleOf(t, current);
            if (role != HostRole.FENCED && t.last.ok()) {
                t.fencedBecause = null;
            }
            t.role = role;
            // On another timeline than the primary's, or of another cluster, a replay position says nothing about
            // what the standby has.
            t.lag = role == HostRole.STANDBY && lead != null && t.timeline == lead.timeline
                && t.last.systemId() == lead.last.systemId() ? lag(t, now) : null;
            if (role == HostRole.STANDBY && t.lag != null && t.lag.compareTo(config.maxReplicaLag()) <= 0
                && !behindEverySample(t)) {
                eligible.add(t.endpoint());
            }
            if (role == HostRole.STANDBY || role == HostRole.CANDIDATE) {
                healthy(t);
            }
            if (role != before) {
                if (role == HostRole.UNREACHABLE && before != HostRole.UNKNOWN) {
                    actions.unreachable(t.endpoint(), t.last.failure());
                }
                if (before != HostRole.UNKNOWN || role != HostRole.UNREACHABLE) {
                    changedAtNanos = role == HostRole.UNREACHABLE ? changedAtNanos : now;
                    log.info("Failover data source '{}': {} is {} (was {}){}", config.name(), t.endpoint().id(), role,
                        before, t.last.ok() ? "" : ": " + t.last.failure());
                    if (role != HostRole.PRIMARY && before != HostRole.PRIMARY && role != HostRole.FENCED) {
                        topology = snapshot();
                        emit(FailoverEvent.Type.HOST_CHANGED, t.endpoint(), Optional.empty(),
                            before + " -> " + role);
                    }
                }
            }
            if (role != HostRole.STANDBY) {
                t.offTimeline = false;
            } else if (lead != null) {
                noteTimeline(t, lead);
            }
        }
        List<Endpoint> before = readers;
        if (!eligible.equals(before)) {
            readers = List.copyOf(eligible);
            actions.readersChanged(readers);
        }
        topology = snapshot();
        if (readers != before) {
            for (Tracker t : trackers) {
                boolean was = before.contains(t.endpoint());
                boolean is = readers.contains(t.endpoint());
                if (was != is && t.role == HostRole.STANDBY) {
                    noteReads(t, is);
                }
            }
        }
    }

    /**
     * Tells the data source {@code t} is healthy. A failure there (its pool cannot be opened) is that host's: it
     * must not cut the round short for the others. Logged at WARN when it starts failing, then at DEBUG.
     */
    private void healthy(Tracker t) {
        try {
            actions.healthy(t.endpoint());
            if (t.healthyFailing) {
                t.healthyFailing = false;
                log.info("Failover data source '{}': the pool of {} opens again", config.name(), t.endpoint().id());
            }
        } catch (RuntimeException e) {
            if (!t.healthyFailing) {
                t.healthyFailing = true;
                log.warn("Failover data source '{}': cannot open the pool of {}: {}", config.name(), t.endpoint().id(),
                    e.toString());
            } else {
                log.debug("Failover data source '{}': cannot open the pool of {}: {}", config.name(),
                    t.endpoint().id(), e.toString());
            }
        }
    }

    /** The role {@code t} has after this round's probe, with {@code current} the primary (or null). */
    private HostRole roleOf(Tracker t, @Nullable Endpoint current) {
        if (t.endpoint().equals(current)) {
            return HostRole.PRIMARY;
        } else if (t.fencedBecause != null && (t.claimsPrimary() || !t.last.ok())) {
            return HostRole.FENCED;
        } else if (t.last.ok()) {
            return t.last.inRecovery() ? HostRole.STANDBY : HostRole.CANDIDATE;
        } else if (t.failures >= config.failAfter() || t.role == HostRole.UNKNOWN) {
            return HostRole.UNREACHABLE;
        }
        return t.role;
    }

    /**
     * A standby that starts or stops taking reads while it stays a standby (its lag crossed the bound, or it went
     * off the primary's timeline and back) is logged and published as {@code HOST_CHANGED}; role changes are
     * published where they happen.
     */
    private void noteReads(Tracker standby, boolean takesReads) {
        String lag = standby.lag == null ? "lag not measurable (off the primary's timeline or cluster, or no primary)"
            : "lag " + standby.lag.toMillis() + " ms";
        String detail = takesReads
            ? "STANDBY takes reads: " + lag + ", within the bound of " + config.maxReplicaLag().toMillis() + " ms"
            : "STANDBY takes no reads: " + lag + (standby.lag == null ? ""
                : ", over the bound of " + config.maxReplicaLag().toMillis() + " ms");
        log.info("Failover data source '{}': {} {}", config.name(), standby.endpoint().id(), detail);
        emit(FailoverEvent.Type.HOST_CHANGED, standby.endpoint(), Optional.empty(), detail);
    }

    /**
     * Logs once when a standby is seen off the primary's timeline (it then takes no reads, whatever its lag), and
     * once when it is on it again; not on every probe.
     */
    private void noteTimeline(Tracker standby, Tracker lead) {
        boolean off = standby.timeline != lead.timeline;
        if (off == standby.offTimeline) {
            return;
        }
        standby.offTimeline = off;
        if (off) {
            log.warn("Failover data source '{}': standby {} is on timeline {}, primary {} on timeline {}: no reads go to"
                    + " it until it is on that one (a standby following the promotion is at once if the role has"
                    + " pg_read_all_stats, else at its next restartpoint; an old primary restarted without pg_rewind"
                    + " never is)", config.name(), standby.endpoint().id(), standby.timeline, lead.endpoint().id(),
                lead.timeline);
        } else {
            log.info("Failover data source '{}': standby {} is on the primary's timeline {} now", config.name(),
                standby.endpoint().id(), lead.timeline);
        }
    }

    /**
     * Keeps the primary's WAL position at {@code nanos}: samples at least 1/{@link #MAX_SAMPLES} of the retention
     * window ({@code 2 * maxReplicaLag + 2 s}) apart, over that window, and the newest sample older than it.
     */
    private void sample(long nanos, long walPosition, long now) {
        long keep = config.maxReplicaLag().toNanos() * 2 + TimeUnit.SECONDS.toNanos(2);
        // Spaced by time, not one per round: back-to-back rounds (after suspect()) would otherwise fill the
        // samples with a second's worth and hide how long a stuck standby has been behind.
        if (primarySamples.isEmpty() || nanos - primarySamples.peekLast()[0] >= keep / MAX_SAMPLES) {
            primarySamples.addLast(new long[] {nanos, walPosition});
        }
        // The newest sample older than the window stays: a standby that has not replayed even that is measured
        // from it, beyond the bound, not from the younger samples (with rounds farther apart than the window,
        // from the current one).
        while (primarySamples.size() > 1) {
            long[] oldest = primarySamples.removeFirst();
            if (now - primarySamples.peekFirst()[0] <= keep) {
                primarySamples.addFirst(oldest);
                break;
            }
        }
    }

    /** How far behind the primary a standby's replay is, from the primary's recent WAL positions. */
    private @Nullable Duration lag(Tracker standby, long now) {
        if (primarySamples.isEmpty() || standby.last.walPosition() < 0) {
            return null;
        }
        long replayed = standby.last.walPosition();
        if (replayed >= primarySamples.peekLast()[1]) {
            return Duration.ZERO;
        }
        // The oldest moment the primary had WAL the standby has not replayed yet; behind even the oldest sample,
        // it is at least that far behind.
        long since = primarySamples.peekFirst()[0];
        for (var it = primarySamples.descendingIterator(); it.hasNext(); ) {
            long[] sample = it.next();
            if (sample[1] <= replayed) {
                break;
            }
            since = sample[0];
        }
        return Duration.ofNanos(Math.max(0, now - since));
    }

    /**
     * Whether a standby has not replayed even the oldest WAL position sampled from the primary. Its lag is then
     * known only to be at least the age of that sample, which after an election (samples start over) or at start
     * is younger than the bound however far behind the standby is: it takes no reads until it has replayed past a
     * sample.
     */
    private boolean behindEverySample(Tracker standby) {
        return !primarySamples.isEmpty() && standby.last.walPosition() < primarySamples.peekFirst()[1];
    }

    private Tracker tracker(Endpoint endpoint) {
        for (Tracker t : trackers) {
            if (t.endpoint().equals(endpoint)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown endpoint " + endpoint);
    }

    private Topology snapshot() {
        List<HostState> hosts = new ArrayList<>();
        for (Tracker t : trackers) {
            hosts.add(new HostState(t.endpoint(), t.role, t.timeline, t.walPosition, Optional.ofNullable(t.lag),
                Optional.ofNullable(t.lastSeen), t.failures, t.last == null || t.last.ok() ? "" : t.last.failure()));
        }
        return new Topology(hosts, Optional.ofNullable(primary), generation);
    }

    private void emit(FailoverEvent.Type type, Endpoint endpoint, Optional<Duration> elapsed, String detail) {
        events.accept(new FailoverEvent(type, config.name(), endpoint, Instant.now(), elapsed, detail, topology));
    }

    @Override
    public void close() {
        closed = true;
        synchronized (wake) {
            wake.notifyAll();
        }
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        trackers.forEach(t -> t.probe.close());
    }

    /** What the monitor remembers of one host. Monitor thread only. */
    private static final class Tracker {
        final HostProbe probe;
        @Nullable ProbeResult last;
        HostRole role = HostRole.UNKNOWN;
        int failures;
        int primaryStreak;
        int timeline;
        long walPosition = -1;
        long lastSeenNanos;
        long lastPrimaryNanos;             // the last probe that found it primary
        @Nullable Instant lastSeen;
        @Nullable Duration lag;
        @Nullable String fencedBecause;
        boolean healthyFailing;            // Actions.healthy threw at its last call
        boolean splitRival;                // claimed primary beside another of its cluster, not settled since
        boolean offTimeline;               // a standby not on the primary's timeline, as last logged
        long primaryFlushedLsn = -1;       // at the last probe that found it primary
        boolean primarySynchronous;
        long useMarkBeforeProbe;           // Actions.useMark before this round's probe
        long primaryUseMark = -1;          // before the last probe that found it primary
        long standbyReceivedLsn = -1;      // at the last probe that found it a standby

        Tracker(HostProbe probe) {
            this.probe = probe;
        }

        Endpoint endpoint() {
            return probe.endpoint();
        }

        void record(ProbeResult result, long now) {
            last = result;
            if (result.ok()) {
                failures = 0;
                primaryStreak = result.inRecovery() ? 0 : primaryStreak + 1;
                timeline = result.effectiveTimeline();
                walPosition = result.walPosition();
                lastSeenNanos = result.nanos();
                lastSeen = Instant.now();
                if (result.inRecovery()) {
                    standbyReceivedLsn = result.durableLsn();
                } else {
                    lastPrimaryNanos = result.nanos();
                    primaryFlushedLsn = result.durableLsn();
                    primarySynchronous = result.synchronous();
                    primaryUseMark = useMarkBeforeProbe;
                }
            } else {
                failures++;
                primaryStreak = 0;
            }
        }

        boolean claimsPrimary() {
            return last != null && last.ok() && !last.inRecovery();
        }
    }

    /** For tests and diagnostics: the generation of the current primary. */
    public long generation() {
        return generation;
    }

    /** The endpoints by id, as configured. */
    public Map<String, Endpoint> endpoints() {
        Map<String, Endpoint> byId = new LinkedHashMap<>();
        trackers.forEach(t -> byId.put(t.endpoint().id(), t.endpoint()));
        return byId;
    }
}
