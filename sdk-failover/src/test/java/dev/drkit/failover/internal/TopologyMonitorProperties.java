package dev.drkit.failover.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.Secret;
import dev.drkit.failover.Endpoint;
import dev.drkit.failover.FailoverConfig;
import dev.drkit.failover.HostRole;
import dev.drkit.failover.HostState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * The topology monitor's decisions ({@link TopologyMonitor#evaluate(List, long)}) over random sequences of probe
 * rounds across three hosts: hosts that stay as they were or become standbys, primaries (on timelines 1-3),
 * unreachable, or reachable but refusing; standbys replaying behind the primary by varying amounts, their WAL
 * receiver's timeline unknown, the same as their restartpoint's or newer; rounds 50-600 ms apart; sometimes a host
 * of another cluster. After every round:
 *
 * <ul>
 *   <li>no write is routed to a host whose latest probe says it is in recovery;</li>
 *   <li>when two hosts claim primary, the one on the newer timeline wins and the other is fenced, elected
 *       timelines never go back, and no host is elected on a timeline older than one a host of its cluster
 *       showed, as a primary or as a standby, since the first round (before any election too);</li>
 *   <li>reads go only to standbys on the primary's timeline (the newer of their restartpoint's and their
 *       receiver's) that have replayed everything the primary had written {@code maxReplicaLag} ago, and to none
 *       while no primary is known (the data source then reads from the primary);</li>
 *   <li>a host is elected only after {@code confirmations} probes in a row found it primary.</li>
 * </ul>
 *
 * {@link #theyFailOnABrokenDecisionFunction()} runs the same checks on a naive decision function and expects each
 * to find a counterexample.
 */
class TopologyMonitorProperties {

    static final List<Endpoint> HOSTS = List.of(Endpoint.of("10.0.0.1", 5432), Endpoint.of("10.0.0.2", 5432),
        Endpoint.of("10.0.0.3", 5432));
    static final long CLUSTER = 7_000_001L;
    static final long OTHER_CLUSTER = 9_000_009L;
    static final Duration MAX_LAG = Duration.ofMillis(800);
    static final int CONFIRMATIONS = 2;
    static final long KEEP_NANOS = MAX_LAG.toNanos() * 2 + TimeUnit.SECONDS.toNanos(2);
    static final int EXAMPLES = 400;

    static final FailoverConfig CONFIG = FailoverConfig.builder()
        .name("properties")
        .endpoints(HOSTS)
        .credentials(CredentialsSource.fixed("app", Secret.ofString("not-used-here", "password")))
        .failAfter(3)
        .confirmations(CONFIRMATIONS)
        .maxReplicaLag(MAX_LAG)
        .build();

    private static Level before;

    @BeforeAll
    static void quiet() {
        // Thousands of rounds: the monitor's own log lines would only fill the report.
        Logger logger = (Logger) LoggerFactory.getLogger(TopologyMonitor.class);
        before = logger.getLevel();
        logger.setLevel(Level.OFF);
    }

    @AfterAll
    static void restore() {
        ((Logger) LoggerFactory.getLogger(TopologyMonitor.class)).setLevel(before);
    }

    @Test
    void neverRoutesAWriteToAHostInRecovery() {
        assertThat(checkNoWriteToRecovery(MonitorDecider::new)).as("primaries demoted in the scenarios")
            .isGreaterThan(EXAMPLES / 10);
    }

    @Test
    void theNewerTimelineWinsAndTheOtherClaimantIsFenced() {
        assertThat(checkNewerTimelineWins(MonitorDecider::new)).as("rounds with a second claimant beside the primary")
            .isGreaterThan(EXAMPLES);
    }

    @Test
    void readsGoOnlyToStandbysWithinTheLagBound() {
        // Fewer than the other properties' cases: a reader must also be on the primary's timeline, which the random
        // timelines of standbys and their receivers give only part of the time, and of its cluster, which one host
        // is not in half the scenarios.
        assertThat(checkReadsWithinLag(MonitorDecider::new)).as("readers checked against older primary samples")
            .isGreaterThan(EXAMPLES / 8);
    }

    @Test
    void aPromotionIsConfirmedBeforeWritesGoToIt() {
        assertThat(checkConfirmedPromotion(MonitorDecider::new)).as("elections in the scenarios")
            .isGreaterThan(EXAMPLES);
    }

    @Test
    void theyFailOnABrokenDecisionFunction() {
        assertThatThrownBy(() -> checkNoWriteToRecovery(NaiveDecider::new)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> checkNewerTimelineWins(NaiveDecider::new)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> checkReadsWithinLag(NaiveDecider::new)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> checkConfirmedPromotion(NaiveDecider::new)).isInstanceOf(AssertionError.class);
    }

    @Test
    void aHostThatClaimsPrimaryOnceIsNotElected() {
        // A regression example in plain form: one probe says primary, the next says standby again.
        MonitorDecider decider = new MonitorDecider();
        Simulation sim = new Simulation(decider);
        sim.round(List.of(7, 6, 6, 0));                                 // host 0: primary, unconfirmed
        assertThat(decider.primary()).isNull();
        sim.round(List.of(6, 6, 6, 0));                                 // host 0: standby now
        sim.round(List.of(6, 6, 6, 0));
        assertThat(decider.primary()).isNull();
        assertThat(sim.electedTimelines).isEmpty();
        decider.close();
    }

    // ---------------------------------------------------------------- the properties

    /** Returns how often a primary known before a round was in recovery in it (so had to be dropped). */
    static int checkNoWriteToRecovery(Supplier<Decider> deciders) {
        return forAllScenarios(deciders, (sim, decider) -> {
            Endpoint before = sim.primaryBefore;
            boolean demoted = before != null && sim.last[HOSTS.indexOf(before)].ok()
                && sim.last[HOSTS.indexOf(before)].inRecovery();
            Endpoint p = decider.primary();
            if (p != null) {
                ProbeResult last = sim.last[HOSTS.indexOf(p)];
                assertThat(last.ok() && last.inRecovery()).as("writes routed to %s, which is in recovery", p).isFalse();
            }
            return demoted;
        });
    }

    /** Returns how often another host claimed primary beside a known primary. */
    static int checkNewerTimelineWins(Supplier<Decider> deciders) {
        return forAllScenarios(deciders, (sim, decider) -> {
            assertThat(sim.electedTimelines).as("timelines of elected primaries").isSorted();
            for (Endpoint elected : sim.electedThisRound) {
                int e = HOSTS.indexOf(elected);
                int shown = sim.newestShown.getOrDefault(sim.last[e].systemId(), 0);
                assertThat(sim.timeline[e])
                    .as("timeline of %s, elected after a host of its cluster was on timeline %d", elected, shown)
                    .isGreaterThanOrEqualTo(shown);
            }
            Endpoint p = decider.primary();
            if (p == null) {
                return false;
            }
            int pi = HOSTS.indexOf(p);
            boolean contested = false;
            for (int h = 0; h < HOSTS.size(); h++) {
                ProbeResult r = sim.last[h];
                if (h == pi || !claimsPrimary(r)) {
                    continue;
                }
                assertThat(r.systemId() == sim.cluster && r.timeline() > sim.timeline[pi])
                    .as("%s is primary on timeline %d while %s claims newer timeline %d", p, sim.timeline[pi],
                        HOSTS.get(h), r.timeline()).isFalse();
                assertThat(decider.fenced()).as("%s claims primary beside %s", HOSTS.get(h), p).contains(HOSTS.get(h));
                contested = true;
            }
            return contested;
        });
    }

    /** Returns how often a reader was checked against primary samples older than the bound. */
    static int checkReadsWithinLag(Supplier<Decider> deciders) {
        return forAllScenarios(deciders, (sim, decider) -> {
            List<Endpoint> readers = decider.readers();
            if (decider.primary() == null) {
                assertThat(readers).as("readers while no primary is known").isEmpty();
                return false;
            }
            boolean checked = false;
            int primaryTimeline = sim.timeline[HOSTS.indexOf(decider.primary())];
            for (Endpoint reader : readers) {
                ProbeResult r = sim.last[HOSTS.indexOf(reader)];
                assertThat(r.ok() && r.inRecovery()).as("reader %s is a standby that answered", reader).isTrue();
                assertThat(r.systemId()).as("cluster of reader %s", reader)
                    .isEqualTo(sim.last[HOSTS.indexOf(decider.primary())].systemId());
                assertThat(Math.max(r.timeline(), r.receivedTimeline()))
                    .as("timeline of reader %s (restartpoint %d, receiving %d)", reader, r.timeline(),
                        r.receivedTimeline())
                    .isEqualTo(primaryTimeline);
                for (long[] sample : sim.primarySamples) {
                    long age = sim.now - sample[0];
                    if (age > MAX_LAG.toNanos() && age <= KEEP_NANOS) {
                        assertThat(r.walPosition()).as("reader %s replayed what the primary had %d ms ago", reader,
                            TimeUnit.NANOSECONDS.toMillis(age)).isGreaterThanOrEqualTo(sample[1]);
                        checked = true;
                    }
                }
            }
            return checked;
        });
    }

    /** Returns how many elections there were. */
    static int checkConfirmedPromotion(Supplier<Decider> deciders) {
        return forAllScenarios(deciders, (sim, decider) -> {
            for (Endpoint elected : sim.electedThisRound) {
                int e = HOSTS.indexOf(elected);
                List<ProbeResult> history = sim.history.get(e);
                assertThat(history.size()).as("rounds seen of %s", elected).isGreaterThanOrEqualTo(CONFIRMATIONS);
                long systemId = history.get(history.size() - 1).systemId();
                for (ProbeResult r : history.subList(history.size() - CONFIRMATIONS, history.size())) {
                    assertThat(claimsPrimary(r) && r.systemId() == systemId)
                        .as("%s elected after fewer than %d probes in a row as primary", elected, CONFIRMATIONS)
                        .isTrue();
                }
            }
            return !sim.electedThisRound.isEmpty();
        });
    }

    // ---------------------------------------------------------------- scenarios

    /** Asserts the invariant after a round; returns whether the round was an interesting case for it. */
    interface Check {
        boolean after(Simulation sim, Decider decider);
    }

    /** One round: three host codes and a step code (see {@link Simulation#round(List)}). */
    static Gen<List<Integer>> rounds() {
        return lists().of(integers().between(0, 2_399)).ofSize(4);
    }

    /** Runs {@code check} after every round of every scenario; returns how many rounds were interesting cases. */
    static int forAllScenarios(Supplier<Decider> deciders, Check check) {
        AtomicInteger interesting = new AtomicInteger();
        qt().withExamples(EXAMPLES)
            .forAll(lists().of(rounds()).ofSizeBetween(1, 60), booleans().all())
            .checkAssert((rounds, otherCluster) -> {
                Decider decider = deciders.get();
                try {
                    Simulation sim = new Simulation(decider);
                    sim.hostOfOtherCluster = otherCluster ? 2 : -1;
                    for (List<Integer> round : rounds) {
                        sim.round(round);
                        if (check.after(sim, decider)) {
                            interesting.incrementAndGet();
                        }
                    }
                } finally {
                    decider.close();
                }
            });
        return interesting.get();
    }

    static boolean claimsPrimary(ProbeResult r) {
        return r.ok() && !r.inRecovery();
    }

    /** The hosts' states and the probe results they give, round by round, with what the decider did. */
    static final class Simulation {
        final Decider decider;
        final ProbeResult[] last = new ProbeResult[HOSTS.size()];
        final List<List<ProbeResult>> history = new ArrayList<>();
        final int[] timeline = new int[HOSTS.size()];        // of each host's last successful probe
        final List<Integer> electedTimelines = new ArrayList<>();
        final List<long[]> primarySamples = new ArrayList<>();
        List<Endpoint> electedThisRound = List.of();
        long cluster;                                        // the first elected primary's system id
        final Map<Long, Integer> newestShown = new HashMap<>(); // by system id: claimed or a standby's, from the start
        int hostOfOtherCluster = -1;
        long now = TimeUnit.HOURS.toNanos(1);
        private long wal = 1_000_000;
        private final int[] state = {1, 0, 0};               // 0 standby, 1 primary, 2 down, 3 refusing
        private final int[] stateTimeline = {1, 1, 1};
        private int streamedTimeline;                        // of the latest primary claim in the cluster
        private @org.jspecify.annotations.Nullable Endpoint previousPrimary;
        @org.jspecify.annotations.Nullable Endpoint primaryBefore;

        Simulation(Decider decider) {
            this.decider = decider;
            for (int i = 0; i < HOSTS.size(); i++) {
                history.add(new ArrayList<>());
            }
        }

        /**
         * Plays one round. Each host code: {@code c % 10} 0-5 stay as before, 6 standby, 7 primary, 8 down
         * (no answer), 9 up but refusing the probe's login; {@code c / 10 % 3 + 1} the timeline a host takes when
         * its state changes (for a standby at most the one a host of the cluster last claimed primary on, unless
         * {@code c / 720} is 3); {@code c / 30 % 4} how far a standby is behind (0, 1, 5 or 20 rounds of WAL);
         * {@code c / 120 % 6} the timeline a standby's WAL receiver reports: 0 unknown, 1 its restartpoint's, else
         * (most often, as most standbys follow the primary) the one a host of the cluster last claimed primary on,
         * if newer. The step code: the round comes {@code 50 + c % 551} ms after the last.
         */
        void round(List<Integer> codes) {
            now += TimeUnit.MILLISECONDS.toNanos(50 + codes.get(3) % 551);
            wal += 1_000;
            List<ProbeResult> results = new ArrayList<>();
            for (int h = 0; h < HOSTS.size(); h++) {
                int code = codes.get(h);
                int change = code % 10;
                if (change >= 6) {
                    state[h] = change - 6;
                    stateTimeline[h] = code / 10 % 3 + 1;
                    if (change == 6 && code / 720 != 3) {
                        // Most standbys are on a timeline a primary of the cluster created; a few are ahead, as
                        // if a host the data source does not list had been promoted.
                        stateTimeline[h] = Math.min(stateTimeline[h], Math.max(1, streamedTimeline));
                    }
                }
                long systemId = h == hostOfOtherCluster ? OTHER_CLUSTER : CLUSTER;
                int behind = new int[] {0, 1, 5, 20}[code / 30 % 4];
                int receiver = code / 120 % 6;
                int received = receiver == 0 ? 0
                    : receiver == 1 ? stateTimeline[h] : Math.max(stateTimeline[h], streamedTimeline);
                ProbeResult r = switch (state[h]) {
                    case 0 -> new ProbeResult(HOSTS.get(h), true, true, true, wal - behind * 1_000L, stateTimeline[h],
                        received, systemId, wal - behind * 1_000L, false, "", now);
                    case 1 -> new ProbeResult(HOSTS.get(h), true, true, false, wal, stateTimeline[h], 0, systemId, wal,
                        false, "", now);
                    case 2 -> new ProbeResult(HOSTS.get(h), false, false, false, -1, 0, 0, 0, -1,
                        false, "SocketTimeoutException", now);
                    default -> new ProbeResult(HOSTS.get(h), false, true, false, -1, 0, 0, 0, -1, false,
                        "PSQLException (28P01)", now);
                };
                results.add(r);
                last[h] = r;
                history.get(h).add(r);
                if (r.ok()) {
                    timeline[h] = r.timeline();
                }
            }
            int claimed = 0;
            for (ProbeResult r : results) {
                if (claimsPrimary(r) && r.systemId() == CLUSTER) {
                    claimed = Math.max(claimed, r.timeline());
                }
            }
            streamedTimeline = claimed == 0 ? streamedTimeline : claimed;
            primaryBefore = decider.primary();
            decider.round(results, now);
            electedThisRound = decider.electedThisRound();
            for (Endpoint e : electedThisRound) {
                int i = HOSTS.indexOf(e);
                if (cluster == 0) {
                    cluster = last[i].systemId();
                }
                electedTimelines.add(timeline[i]);
            }
            for (ProbeResult r : last) {
                if (r.ok()) {
                    newestShown.merge(r.systemId(), r.inRecovery() ? Math.max(r.timeline(), r.receivedTimeline())
                        : r.timeline(), Math::max);
                }
            }
            Endpoint p = decider.primary();
            if (!Objects.equals(p, previousPrimary)) {
                primarySamples.clear();
            }
            previousPrimary = p;
            if (p != null && last[HOSTS.indexOf(p)].ok()) {
                primarySamples.add(new long[] {now, last[HOSTS.indexOf(p)].walPosition()});
            }
        }
    }

    // ---------------------------------------------------------------- deciders

    /** What the properties look at: the decisions, round by round. */
    interface Decider extends AutoCloseable {
        void round(List<ProbeResult> results, long now);

        @org.jspecify.annotations.Nullable Endpoint primary();

        List<Endpoint> readers();

        Set<Endpoint> fenced();

        List<Endpoint> electedThisRound();

        @Override
        void close();
    }

    /** The real decision function: a monitor that is never started, fed round by round. */
    static final class MonitorDecider implements Decider {
        private final TopologyMonitor monitor;
        private final TopologyMonitorTest.Recorder actions = new TopologyMonitorTest.Recorder();

        MonitorDecider() {
            monitor = new TopologyMonitor(CONFIG, actions, event -> { }, new FailoverCounters(CONFIG.endpoints()));
        }

        @Override
        public void round(List<ProbeResult> results, long now) {
            actions.elected.clear();
            monitor.evaluate(results, now);
        }

        @Override
        public @org.jspecify.annotations.Nullable Endpoint primary() {
            return monitor.primary();
        }

        @Override
        public List<Endpoint> readers() {
            return actions.readers;
        }

        @Override
        public Set<Endpoint> fenced() {
            Set<Endpoint> fenced = new HashSet<>();
            for (HostState h : monitor.topology().hosts()) {
                if (h.role() == HostRole.FENCED) {
                    fenced.add(h.endpoint());
                }
            }
            return fenced;
        }

        @Override
        public List<Endpoint> electedThisRound() {
            return List.copyOf(actions.elected);
        }

        @Override
        public void close() {
            monitor.close();
        }
    }

    /**
     * A deliberately broken decision function, as a naive client might write it: the first host that claims
     * primary wins at once whatever its timeline, stays primary as long as it answers (even in recovery),
     * nothing is fenced, and every standby that answers takes reads.
     */
    static final class NaiveDecider implements Decider {
        private @org.jspecify.annotations.Nullable Endpoint primary;
        private List<Endpoint> readers = List.of();
        private final List<Endpoint> elected = new ArrayList<>();

        @Override
        public void round(List<ProbeResult> results, long now) {
            elected.clear();
            if (primary != null && !results.get(HOSTS.indexOf(primary)).ok()) {
                primary = null;
            }
            if (primary == null) {
                for (ProbeResult r : results) {
                    if (claimsPrimary(r)) {
                        primary = r.endpoint();
                        elected.add(primary);
                        break;
                    }
                }
            }
            List<Endpoint> standbys = new ArrayList<>();
            for (ProbeResult r : results) {
                if (r.ok() && r.inRecovery()) {
                    standbys.add(r.endpoint());
                }
            }
            readers = standbys;
        }

        @Override
        public @org.jspecify.annotations.Nullable Endpoint primary() {
            return primary;
        }

        @Override
        public List<Endpoint> readers() {
            return readers;
        }

        @Override
        public Set<Endpoint> fenced() {
            return Set.of();
        }

        @Override
        public List<Endpoint> electedThisRound() {
            return List.copyOf(elected);
        }

        @Override
        public void close() {
        }
    }
}
