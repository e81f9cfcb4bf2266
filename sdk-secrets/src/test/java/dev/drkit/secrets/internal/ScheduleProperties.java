package dev.drkit.secrets.internal;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/** Renewals and retries are always timed inside what is actually left. */
class ScheduleProperties {

    @Test
    void aRenewalIsAlwaysBeforeTheEndAndNoEarlierThanTheJitterAllows() {
        AtomicInteger ran = new AtomicInteger();
        qt().withExamples(2000)
            .forAll(longs().between(-1_000_000_000L, 10L * 24 * 3600 * 1_000_000_000L),
                doubles().between(0.01, 0.99), doubles().between(0, 0.5), longs().all())
            .checkAssert((left, fraction, jitter, seed) -> {
                ran.incrementAndGet();
                long delay = Schedule.renewDelay(left, fraction, jitter, new Random(seed));
                assertThat(delay).isGreaterThanOrEqualTo(0);
                if (left <= 0) {
                    assertThat(delay).isZero();
                } else {
                    assertThat(delay).isLessThan(left);
                    assertThat((double) delay).isGreaterThanOrEqualTo(Math.floor(left * fraction * (1 - jitter)) - 1);
                }
            });
        assertThat(ran.get()).isEqualTo(2000);
    }

    @Test
    void aRetryWaitsWithinItsBoundsAndNeverPastTheEndOnceAFloorIsPassed() {
        AtomicInteger ran = new AtomicInteger();
        qt().withExamples(2000)
            .forAll(longs().between(-1_000_000_000L, 3600L * 1_000_000_000L),
                longs().between(1, 5_000_000_000L), longs().between(5_000_000_000L, 60_000_000_000L))
            .checkAssert((left, min, max) -> {
                ran.incrementAndGet();
                long delay = Schedule.retryDelay(left, min, max);
                assertThat(delay).isBetween(min, max);
                if (left > 3 * min) {
                    assertThat(delay).isLessThan(left);
                }
            });
        assertThat(ran.get()).isEqualTo(2000);
    }

    @Test
    void theChecksCanFail() {
        // A renewal timed from the advertised TTL instead of the time left would break the first property.
        long left = 10_000_000_000L;
        long fromAdvertisedTtl = (long) (60_000_000_000L * 2.0 / 3.0);
        assertThat(fromAdvertisedTtl).isGreaterThan(left);
        assertThat(Schedule.renewDelay(left, 2.0 / 3.0, 0, new Random(1))).isLessThan(left);
    }

    @Test
    void aRetryAfterTheEndBacksOffWithinItsBoundsAndNoFasterThanItsCeilingAllows() {
        AtomicInteger ran = new AtomicInteger();
        qt().withExamples(2000)
            .forAll(integers().between(0, 10_000), longs().between(10_000_000L, 600_000_000_000L),
                longs().between(0, 3_600_000_000_000L), longs().all())
            .checkAssert((attempt, min, extra, seed) -> {
                ran.incrementAndGet();
                long max = min + extra;
                long delay = Schedule.backoffDelay(attempt, min, max, new Random(seed));
                assertThat(delay).isBetween(min, max);
                // the ceiling doubles from min with each attempt; the delay is in its upper half (or at min)
                double ceiling = Math.min((double) max, min * Math.pow(2, Math.min(attempt, 62)));
                assertThat((double) delay).isLessThanOrEqualTo(ceiling);
                assertThat((double) delay).isGreaterThanOrEqualTo(Math.min(Math.max(min, ceiling / 2), max) - 1);
            });
        assertThat(ran.get()).isEqualTo(2000);
    }

    @Test
    void aFleetRetryingTogetherSpreadsOut() {
        long second = 1_000_000_000L;
        assertThat(Schedule.backoffDelay(0, second, 30 * second, new Random(1))).isEqualTo(second);
        Set<Long> at = new HashSet<>();
        for (int client = 0; client < 100; client++) {
            long delay = Schedule.backoffDelay(8, second, 30 * second, new Random(client * 0x9E3779B97F4A7C15L));   // seeds far apart
            assertThat(delay).isBetween(15 * second, 30 * second);
            at.add(delay / 100_000_000L);                          // to a tenth of a second
        }
        assertThat(at).hasSizeGreaterThan(60);
    }
}
