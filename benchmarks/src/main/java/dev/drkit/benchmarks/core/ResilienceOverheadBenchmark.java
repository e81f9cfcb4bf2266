package dev.drkit.benchmarks.core;

import dev.drkit.core.resilience.Resilience;
import dev.drkit.core.resilience.ResiliencePolicies;
import dev.drkit.core.resilience.RetryBudget;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What drkit's policy stack adds to a successful call (the common case), against calling directly.
 * The stack is retry with a retry budget, circuit breaker and bulkhead, each with its defaults.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ResilienceOverheadBenchmark {

    private final AtomicLong counter = new AtomicLong();
    private Resilience policies;
    private RetryBudget budget;

    @Setup
    public void setUp() {
        policies = ResiliencePolicies.ofDefaults("bench").create();
        budget = RetryBudget.ofDefaults();
    }

    private long work() {
        return counter.incrementAndGet();
    }

    @Benchmark
    public long baselineDirectCall() {
        return work();
    }

    @Benchmark
    public long throughDefaultPolicies() {
        return policies.execute(this::work);
    }

    @Benchmark
    public boolean retryBudgetRecordAndAsk() {
        budget.recordCall();
        return budget.tryAcquireRetry();
    }
}
