package dev.drkit.core.drill;

import dev.drkit.core.time.Ticker;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.drkit.core.drill.FakeTime.EPOCH;
import static dev.drkit.core.drill.FakeTime.ms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class RecoveryVerifierTest {

    final FakeTime time = new FakeTime();
    final RecoveryTimeline timeline = time.timeline();

    @Test
    void measuresRtoFromTheDisruptionToTheFirstOfTheConsecutivePasses() {
        // disruption at t=10 s, probes every 250 ms, the service answers from t=12.5 s, 3 passes needed
        time.advance(Duration.ofSeconds(10));
        timeline.mark(Milestone.DISRUPTION);
        List<Duration> probedAt = new ArrayList<>();
        RecoveryProbe probe = () -> {
            probedAt.add(time.now());
            return time.now().compareTo(ms(12_500)) >= 0;
        };

        RecoveryResult result = verifier(250, 3).verify(timeline, probe);

        assertThat(result.outcome()).isEqualTo(RecoveryResult.Outcome.RECOVERED);
        assertThat(result.rto()).contains(MeasuredDuration.of(ms(2500), ms(250)));
        assertThat(result.rto().orElseThrow()).hasToString("2.500 s ± 0.250 s");
        assertThat(result.probes()).isEqualTo(13);
        assertThat(result.failedProbes()).isEqualTo(10);
        assertThat(result.lastFailure()).contains("probe returned false");
        assertThat(result.elapsed()).isEqualTo(ms(3000));
        assertThat(probedAt).first().isEqualTo(ms(10_000));
        assertThat(probedAt).last().isEqualTo(ms(13_000));
        assertThat(time.sleeps).containsOnly(ms(250));
    }

    @Test
    void endsTheRtoWhenAProbeThatWaitsForTheServiceReturns() {
        // the probe that starts at 11 s blocks until the service answers at 12.5 s: the RTO is 2.5 s, not 1 s
        time.advance(Duration.ofSeconds(10));
        timeline.mark(Milestone.DISRUPTION);
        RecoveryProbe blocking = () -> {
            if (time.now().compareTo(ms(11_000)) < 0) {
                return false;
            }
            time.advanceTo(ms(12_500));
            return true;
        };

        RecoveryResult result = verifier(500, 1).verify(timeline, blocking);

        // the probes at 10.0 and 10.5 s failed: the service came back between 10.5 and 12.5 s
        assertThat(result.rto()).contains(MeasuredDuration.of(ms(2500), ms(2000)));
        assertThat(timeline.find(Milestone.FIRST_SUCCESS).orElseThrow().offset()).isEqualTo(ms(12_500));
    }

    @Test
    void givesUpOnAProbeThatHangsAndStillTimesOut() {
        timeline.mark(Milestone.DISRUPTION);
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        RecoveryProbe hanging = () -> {
            started.incrementAndGet();
            never.await();
            return true;
        };
        RecoveryVerifier verifier = verifier(250, 3).toBuilder()
            .timeout(Duration.ofSeconds(1))
            .probeTimeout(ms(50))
            .build();

        RecoveryResult result = assertTimeoutPreemptively(Duration.ofSeconds(60),
            () -> verifier.verify(timeline, hanging));

        assertThat(result.outcome()).isEqualTo(RecoveryResult.Outcome.TIMED_OUT);
        assertThat(result.probes()).isEqualTo(5);
        assertThat(result.failedProbes()).isEqualTo(5);
        assertThat(result.lastFailure().orElseThrow()).startsWith("probe ");
        assertThat(started.get()).isBetween(1, 5);
    }

    @Test
    void startsNoNewProbeWhileOneThatIgnoresInterruptsIsStillRunning() {
        timeline.mark(Milestone.DISRUPTION);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        RecoveryProbe stubborn = () -> {
            started.incrementAndGet();
            boolean interrupted = false;
            while (true) {
                try {
                    release.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return true;
        };
        RecoveryVerifier verifier = verifier(100, 3).toBuilder()
            .timeout(Duration.ofSeconds(1))
            .probeTimeout(ms(50))
            .build();

        try {
            RecoveryResult result = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> verifier.verify(timeline, stubborn));

            assertThat(result.outcome()).isEqualTo(RecoveryResult.Outcome.TIMED_OUT);
            assertThat(result.failedProbes()).isEqualTo(11);
            assertThat(result.lastFailure()).contains("probe still running from an earlier slot");
            assertThat(started.get()).isEqualTo(1);
        } finally {
            release.countDown();
        }
    }

    @Test
    void aProbeGivenUpBeforeItsThreadStartedDoesNotBlockTheSlotsAfterIt() {
        timeline.mark(Milestone.DISRUPTION);
        AtomicInteger started = new AtomicInteger();
        RecoveryProbe passing = () -> {
            started.incrementAndGet();
            return true;
        };
        // the worker thread starts only after the first probe was given up on (a slow thread start, a pause)
        CountDownLatch firstGivenUp = new CountDownLatch(1);
        ThreadFactory slowToStart = task -> {
            Thread thread = new Thread(() -> {
                try {
                    firstGivenUp.await();
                } catch (InterruptedException e) {
                    return;
                }
                task.run();
            });
            thread.setDaemon(true);
            return thread;
        };
        RecoveryVerifier verifier = verifier(100, 3).toBuilder()
            .timeout(Duration.ofSeconds(1))
            .probeTimeout(ms(50))
            .probeThreads(slowToStart)
            .sleeper(duration -> {
                firstGivenUp.countDown();   // the first slot is over
                time.sleeper().sleep(duration);
            })
            .build();

        RecoveryResult result = assertTimeoutPreemptively(Duration.ofSeconds(60),
            () -> verifier.verify(timeline, passing));

        assertThat(result.outcome()).as(result.lastFailure().orElse("")).isEqualTo(RecoveryResult.Outcome.RECOVERED);
        assertThat(result.failedProbes()).isEqualTo(1);
        assertThat(result.lastFailure().orElseThrow()).startsWith("probe timed out");
        assertThat(started.get()).as("the given-up probe never ran; the next three did").isEqualTo(3);
    }

    @Test
    void marksTheFirstSuccessAndTheVerifiedRecoveryOnTheTimeline() {
        time.advance(Duration.ofSeconds(10));
        timeline.mark(Milestone.DISRUPTION);

        verifier(250, 3).verify(timeline, () -> time.now().compareTo(ms(12_500)) >= 0);

        assertThat(timeline.find(Milestone.FIRST_SUCCESS).orElseThrow().offset()).isEqualTo(ms(12_500));
        assertThat(timeline.find(Milestone.FIRST_SUCCESS).orElseThrow().at()).isEqualTo(EPOCH.plusMillis(12_500));
        assertThat(timeline.find(Milestone.VERIFIED_RECOVERY).orElseThrow().offset()).isEqualTo(ms(13_000));
        assertThat(timeline.between(Milestone.DISRUPTION, Milestone.FIRST_SUCCESS)).contains(ms(2500));
    }

    @Test
    void startsTheStreakAgainAfterAFailedProbe() {
        timeline.mark(Milestone.DISRUPTION);
        ScriptedProbe probe = new ScriptedProbe(false, true, true, false, true, true, true);

        RecoveryResult result = verifier(100, 3).verify(timeline, probe);

        // probes at 0, 100, ..., 600 ms: the streak that counts starts with the probe at 400 ms
        assertThat(result.rto()).contains(MeasuredDuration.of(ms(400), ms(100)));
        assertThat(result.probes()).isEqualTo(7);
        assertThat(result.failedProbes()).isEqualTo(2);
    }

    @Test
    void countsAThrowingProbeAsFailedAndKeepsOnlyItsType() {
        timeline.mark(Milestone.DISRUPTION);
        AtomicInteger calls = new AtomicInteger();
        RecoveryProbe probe = () -> {
            if (calls.incrementAndGet() <= 2) {
                throw new ConnectException("Connection refused: db.internal user=admin password=hunter2");
            }
            return true;
        };

        RecoveryResult result = verifier(250, 2).verify(timeline, probe);

        assertThat(result.rto()).contains(MeasuredDuration.of(ms(500), ms(250)));
        assertThat(result.failedProbes()).isEqualTo(2);
        assertThat(result.lastFailure()).contains("java.net.ConnectException");
    }

    @Test
    void givesUpAfterTheTimeoutWithoutMeasuringAnRto() {
        timeline.mark(Milestone.DISRUPTION);

        RecoveryResult result = verifier(250, 3).toBuilder().timeout(Duration.ofSeconds(1)).build()
            .verify(timeline, () -> false);

        assertThat(result.outcome()).isEqualTo(RecoveryResult.Outcome.TIMED_OUT);
        assertThat(result.recovered()).isFalse();
        assertThat(result.rto()).isEmpty();
        assertThat(result.probes()).isEqualTo(5);   // at 0, 250, 500, 750 and 1000 ms
        assertThat(timeline.find(Milestone.FIRST_SUCCESS)).isEmpty();
    }

    @Test
    void countsTheTimeoutFromTheDisruption() {
        timeline.mark(Milestone.DISRUPTION);
        time.advance(ms(800));   // the verifier starts late

        RecoveryResult result = verifier(250, 3).toBuilder().timeout(Duration.ofSeconds(1)).build()
            .verify(timeline, () -> false);

        assertThat(result.probes()).isEqualTo(1);
        assertThat(result.elapsed()).isEqualTo(ms(800));
    }

    @Test
    void widensTheUncertaintyWhenProbesOverrunTheirSlots() {
        time.advance(Duration.ofSeconds(10));
        timeline.mark(Milestone.DISRUPTION);
        RecoveryProbe slow = () -> {
            boolean up = time.now().compareTo(ms(12_500)) >= 0;
            time.advance(ms(600));
            return up;
        };

        RecoveryResult result = verifier(250, 1).verify(timeline, slow);

        // probes start at 10.0, 10.75, 11.5, 12.25 (fails) and 13.0 s (passes, ending at 13.6 s): skipped slots
        // are not made up, and the service was back somewhere between 12.25 and 13.6 s
        assertThat(result.rto()).contains(MeasuredDuration.of(ms(3600), ms(1350)));
        assertThat(result.probes()).isEqualTo(5);
    }

    @Test
    void reportsTheWholeWaitAsUncertaintyWhenNoProbeFailed() {
        time.advance(Duration.ofSeconds(10));
        timeline.mark(Milestone.DISRUPTION);
        time.advance(Duration.ofSeconds(1));   // the verifier started a second after the disruption

        RecoveryResult result = verifier(250, 3).verify(timeline, () -> true);

        assertThat(result.rto()).contains(MeasuredDuration.of(Duration.ofSeconds(1), Duration.ofSeconds(1)));
    }

    @Test
    void leavesMarksTheDrillMadeItself() {
        timeline.mark(Milestone.DISRUPTION);
        time.advance(ms(100));
        timeline.mark(Milestone.FIRST_SUCCESS);

        verifier(250, 1).verify(timeline, () -> true);

        assertThat(timeline.find(Milestone.FIRST_SUCCESS).orElseThrow().offset()).isEqualTo(ms(100));
        assertThat(timeline.find(Milestone.VERIFIED_RECOVERY)).isPresent();
    }

    @Test
    void needsTheDisruptionMarkedFirst() {
        assertThatThrownBy(() -> verifier(250, 3).verify(timeline, () -> true))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("Recovery verifier 'test' measures from the disruption: mark Milestone.DISRUPTION on the timeline first");
    }

    @Test
    void stopsWhenItsThreadIsInterrupted() {
        timeline.mark(Milestone.DISRUPTION);
        Thread caller = Thread.currentThread();
        RecoveryProbe interrupting = () -> {
            caller.interrupt();
            return false;
        };
        RecoveryVerifier verifier = RecoveryVerifier.builder().name("test").sleeper(duration -> {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }).build();

        RecoveryResult result = verifier.verify(timeline, interrupting);

        assertThat(result.outcome()).isEqualTo(RecoveryResult.Outcome.CANCELLED);
        assertThat(Thread.interrupted()).isTrue();   // the interrupt is kept for the caller (and cleared here)
    }

    @Test
    void rejectsSettingsOutOfRange() {
        assertThatThrownBy(() -> RecoveryVerifier.builder().consecutivePasses(0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("consecutivePasses must be between 1 and 1000, but was 0");
        assertThatThrownBy(() -> RecoveryVerifier.builder().probeInterval(Duration.ZERO))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("probeInterval must be positive, but was PT0S");
        assertThatThrownBy(() -> RecoveryVerifier.builder().probeInterval(ms(500)).timeout(ms(100)).build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("timeout (PT0.1S) must not be shorter than probeInterval (PT0.5S)");
        assertThatThrownBy(() -> RecoveryVerifier.builder().name("a\tb")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keepsItsSettingsThroughToBuilder() {
        RecoveryVerifier verifier = verifier(250, 5);

        RecoveryVerifier copy = verifier.toBuilder().build();

        assertThat(copy.probeInterval()).isEqualTo(ms(250));
        assertThat(copy.consecutivePasses()).isEqualTo(5);
        assertThat(copy.timeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(verifier.toBuilder().probeTimeout(ms(300)).build().toBuilder().build().probeTimeout()).isEqualTo(ms(300));
        assertThat(copy.probeTimeout()).isEqualTo(RecoveryVerifier.DEFAULT_PROBE_TIMEOUT);
        assertThat(copy.name()).isEqualTo("test");
        assertThat(RecoveryVerifier.ofDefaults().probeInterval()).isEqualTo(RecoveryVerifier.DEFAULT_PROBE_INTERVAL);
    }

    @Test
    void runsForRealOnItsOwnThread() throws Exception {
        RecoveryTimeline real = RecoveryTimeline.start(Ticker.system(), Clock.systemUTC());
        real.mark(Milestone.DISRUPTION);
        AtomicInteger calls = new AtomicInteger();
        AtomicReference<Thread> probingThread = new AtomicReference<>();
        RecoveryVerifier verifier = RecoveryVerifier.builder().name("real").probeInterval(ms(2)).consecutivePasses(3).build();

        CompletableFuture<RecoveryResult> watching = verifier.start(real, () -> {
            probingThread.set(Thread.currentThread());
            return calls.incrementAndGet() > 4;
        });
        RecoveryResult result = watching.get(30, TimeUnit.SECONDS);

        assertThat(result.recovered()).isTrue();
        assertThat(result.probes()).isEqualTo(7);
        assertThat(result.rto().orElseThrow().value()).isPositive();
        assertThat(probingThread.get().getName()).isEqualTo("drkit-recovery-probe-real");
        assertThat(probingThread.get().isDaemon()).isTrue();
    }

    @Test
    void stopsProbingWhenItsFutureIsCancelled() throws Exception {
        RecoveryTimeline real = RecoveryTimeline.start();
        real.mark(Milestone.DISRUPTION);
        CountDownLatch probing = new CountDownLatch(3);
        AtomicReference<Thread> probingThread = new AtomicReference<>();
        RecoveryVerifier verifier = RecoveryVerifier.builder().name("cancel").probeInterval(Duration.ofSeconds(10)).build();

        CompletableFuture<RecoveryResult> watching = verifier.start(real, () -> {
            probingThread.set(Thread.currentThread());
            probing.countDown();
            return false;
        });
        // The first probe runs at once; the thread then sleeps for 10 s, which cancel() must cut short.
        assertThat(awaitFirstProbe(probingThread)).isTrue();
        watching.cancel(true);

        probingThread.get().join(TimeUnit.SECONDS.toMillis(30));
        assertThat(probingThread.get().isAlive()).isFalse();
        assertThat(probing.getCount()).isEqualTo(2);   // one probe ran, no more
    }

    private static boolean awaitFirstProbe(AtomicReference<Thread> probingThread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (probingThread.get() == null) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        return true;
    }

    private RecoveryVerifier verifier(long intervalMillis, int passes) {
        return RecoveryVerifier.builder()
            .name("test")
            .probeInterval(ms(intervalMillis))
            .consecutivePasses(passes)
            .timeout(Duration.ofMinutes(1))
            .sleeper(time.sleeper())
            .build();
    }

    /** Answers from a script, then passes. */
    static final class ScriptedProbe implements RecoveryProbe {
        private final Deque<Boolean> answers = new ArrayDeque<>();

        ScriptedProbe(Boolean... answers) {
            this.answers.addAll(List.of(answers));
        }

        @Override
        public boolean check() {
            return answers.isEmpty() || answers.removeFirst();
        }
    }
}
