package dev.drkit.backup.postgres.internal;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ToolRunner} with standard input written by the caller, against real {@code /bin/sh} processes. */
class ToolRunnerTest {

    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");
    private static final byte[] MIB = new byte[1 << 20];

    @Test
    void theInputReachesTheTool() {
        ToolRunner.Result result = ToolRunner.run(List.of("/bin/sh", "-c", "wc -c"), ENV, Duration.ofSeconds(30),
            stdin -> {
                for (int i = 0; i < 8; i++) {
                    stdin.write(MIB);
                }
            });

        assertThat(result.succeeded()).as(result.output()).isTrue();
        assertThat(result.output().strip()).isEqualTo(Integer.toString(8 << 20));
        assertThat(result.inputFailure()).isNull();
    }

    @Test
    void aToolThatStopsReadingLetsTheWriterFinishAndReportsItsExitCode() {
        AtomicLong written = new AtomicLong();
        ToolRunner.Result result = ToolRunner.run(List.of("/bin/sh", "-c", "head -c 10 >/dev/null; echo gone; exit 3"),
            ENV, Duration.ofSeconds(30), stdin -> {
                for (int i = 0; i < 32; i++) {
                    stdin.write(MIB);
                    written.addAndGet(MIB.length);
                }
            });

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.output()).contains("gone");
        assertThat(written.get()).as("the writer ran to its end").isEqualTo(32L << 20);
        assertThat(result.inputFailure()).isNull();
    }

    @Test
    void whatTheWriterThrowsIsKeptForTheCaller() {
        ToolRunner.Result result = ToolRunner.run(List.of("/bin/sh", "-c", "cat >/dev/null"), ENV,
            Duration.ofSeconds(30), stdin -> {
                stdin.write(MIB);
                throw new IOException("the store went away");
            });

        assertThat(result.succeeded()).as("the tool saw its input end").isTrue();
        assertThat(result.inputFailure()).isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining("the store went away");
    }

    @Test
    void aToolThatNeverReadsIsKilledAtTheTimeoutWhileTheInputIsWritten() {
        long start = System.nanoTime();
        ToolRunner.Result result = ToolRunner.run(List.of("/bin/sh", "-c", "sleep 60"), ENV, Duration.ofSeconds(1),
            stdin -> {
                for (int i = 0; i < 64; i++) {
                    stdin.write(MIB);
                }
            });

        assertThat(result.exitCode()).isEqualTo(-1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aToolKilledAtItsTimeoutStopsTheWriterInsteadOfTakingTheRestToNowhere() {
        AtomicLong written = new AtomicLong();
        long total = 64L << 30;  // far more than is written before the timeout: writing it to nowhere would go on
        ToolRunner.Result result = ToolRunner.run(List.of("/bin/sh", "-c", "head -c 1048576 >/dev/null; sleep 60"),
            ENV, Duration.ofSeconds(1), stdin -> {
                while (written.get() < total) {
                    stdin.write(MIB);
                    written.addAndGet(MIB.length);
                }
            });

        assertThat(result.exitCode()).isEqualTo(-1);
        assertThat(written.get()).isLessThan(total);
        assertThat(result.inputFailure()).isInstanceOf(UncheckedIOException.class)
            .hasMessage("sh was killed at its timeout of 1 s; the rest of its input was not written");
    }
}
