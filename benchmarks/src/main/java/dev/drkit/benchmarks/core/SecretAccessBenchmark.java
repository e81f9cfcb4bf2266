package dev.drkit.benchmarks.core;

import dev.drkit.core.secret.Secret;
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

/**
 * What reaching a {@link Secret}'s value costs, against copying a plain {@code char[]} (the baseline):
 * a pool that hands a password to every new connection pays this each time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SecretAccessBenchmark {

    private char[] plain;
    private Secret secret;
    private Secret same;

    @Setup
    public void setUp() {
        plain = "correct horse battery staple, 32+".toCharArray();
        secret = Secret.of(plain, "bench");
        same = Secret.of(plain, "bench-copy");
    }

    @Benchmark
    public char[] baselineCopyOfPlainChars() {
        return plain.clone();
    }

    @Benchmark
    public int withChars() {
        return secret.withChars(chars -> chars.length + chars[0]);
    }

    @Benchmark
    public boolean constantTimeEquals() {
        return secret.equals(same);
    }
}
