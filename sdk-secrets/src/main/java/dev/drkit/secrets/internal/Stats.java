package dev.drkit.secrets.internal;

import dev.drkit.secrets.VaultStats;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** A client's counters. */
public final class Stats {

    final LongAdder logins = new LongAdder();
    final LongAdder loginFailures = new LongAdder();
    final LongAdder tokenRenewals = new LongAdder();
    final LongAdder leaseRenewals = new LongAdder();
    final LongAdder renewalFailures = new LongAdder();
    final LongAdder rotations = new LongAdder();
    final LongAdder kvCacheHits = new LongAdder();
    final LongAdder kvFetches = new LongAdder();
    final LongAdder kvStaleReads = new LongAdder();
    final LongAdder failures = new LongAdder();
    /** Calls Vault answered with success (2xx): a cached value served stale before the last one need not be now. */
    final AtomicLong answered = new AtomicLong();

    VaultStats snapshot(Supplier<Duration> tokenTimeLeft, BooleanSupplier staticTokenEnded) {
        long l = logins.sum();
        long lf = loginFailures.sum();
        long tr = tokenRenewals.sum();
        long lr = leaseRenewals.sum();
        long rf = renewalFailures.sum();
        long ro = rotations.sum();
        long h = kvCacheHits.sum();
        long f = kvFetches.sum();
        long s = kvStaleReads.sum();
        long fa = failures.sum();
        Duration left = tokenTimeLeft.get();
        boolean ended = staticTokenEnded.getAsBoolean();
        return new VaultStats() {
            @Override public long logins() { return l; }
            @Override public long loginFailures() { return lf; }
            @Override public long tokenRenewals() { return tr; }
            @Override public long leaseRenewals() { return lr; }
            @Override public long renewalFailures() { return rf; }
            @Override public long rotations() { return ro; }
            @Override public long kvCacheHits() { return h; }
            @Override public long kvFetches() { return f; }
            @Override public long kvStaleReads() { return s; }
            @Override public long failures() { return fa; }
            @Override public Duration tokenTimeLeft() { return left; }
            @Override public boolean staticTokenExpired() { return ended; }
            @Override public String toString() {
                return "VaultStats[logins=" + l + ", loginFailures=" + lf + ", tokenRenewals=" + tr + ", leaseRenewals="
                    + lr + ", renewalFailures=" + rf + ", rotations=" + ro + ", kvCacheHits=" + h + ", kvFetches=" + f
                    + ", kvStaleReads=" + s + ", failures=" + fa + (ended ? ", staticTokenExpired" : "") + "]";
            }
        };
    }
}
