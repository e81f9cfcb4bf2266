package dev.drkit.benchmarks.backup;

import dev.drkit.backup.BackupPipeline;
import dev.drkit.backup.Compression;
import dev.drkit.backup.EncryptingStream;
import dev.drkit.backup.PassphraseEncryption;
import dev.drkit.backup.PipelineSettings;
import dev.drkit.backup.internal.PartedEncryptingStream;
import dev.drkit.core.secret.Secret;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Encrypting 16 MiB (half random, half CSV-like text) through the backup pipeline, against hashing the same
 * bytes with SHA-256 only (the baseline: every backup hashes its input anyway). Divide 16 MiB by the time
 * per operation for MB/s. The S2K count is lowered so that key derivation (about 50 ms at the default) does
 * not hide the streaming cost; a real backup pays it once per stream.
 *
 * <p>{@code parts}: {@code single} is one OpenPGP message (what {@link BackupPipeline} writes, and a backup with
 * {@code partBytes(0)}); {@code 1MiB-x2} cuts the compressed stream into 1 MiB parts encrypted by 2 threads, as
 * {@code BackupEngine.Builder.partBytes(..).threads(..)} does (the parts are hashed and handed to a sink that
 * discards them).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BackupPipelineBenchmark {

    private static final int SIZE = 16 << 20;
    private static final int CHUNK = 64 << 10;

    @Param({"none", "zstd-1", "zstd-3"})
    public String compression;

    @Param({"single", "1MiB-x1", "1MiB-x2", "4MiB-x2"})
    public String parts;

    private byte[] input;
    private PipelineSettings settings;

    @Setup
    public void setUp() {
        input = new byte[SIZE];
        Random random = new Random(42);
        byte[] noise = new byte[SIZE / 2];
        random.nextBytes(noise);
        System.arraycopy(noise, 0, input, 0, noise.length);
        StringBuilder csv = new StringBuilder();
        for (int row = 0; csv.length() < SIZE / 2; row++) {
            csv.append(row).append(",customer-").append(row % 977).append(",").append(random.nextInt(100_000))
                .append(",2026-11-").append(1 + row % 28).append(",ok\n");
        }
        byte[] text = csv.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, input, SIZE / 2, SIZE / 2);
        Compression chosen = switch (compression) {
            case "none" -> Compression.none();
            case "zstd-1" -> Compression.zstd(1);
            default -> Compression.zstd(3);
        };
        settings = PipelineSettings.builder(PassphraseEncryption.builder(
                Secret.ofString("benchmark passphrase", "bench")).s2kBytes(65_536).build())
            .compression(chosen).build();
    }

    @Benchmark
    public byte[] baselineSha256Only() throws NoSuchAlgorithmException {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        for (int offset = 0; offset < SIZE; offset += CHUNK) {
            sha256.update(input, offset, CHUNK);
        }
        return sha256.digest();
    }

    @Benchmark
    public long encrypt() throws IOException {
        CountingSink sink = new CountingSink();
        if (!parts.equals("single")) {
            int partBytes = Integer.parseInt(parts.substring(0, parts.indexOf("MiB"))) << 20;
            int threads = Integer.parseInt(parts.substring(parts.indexOf("-x") + 2));
            try (EncryptingStream out = PartedEncryptingStream.open(settings, name -> sink, partBytes, threads)) {
                for (int offset = 0; offset < SIZE; offset += CHUNK) {
                    out.write(input, offset, CHUNK);
                }
            }
            return sink.count;
        }
        try (EncryptingStream out = BackupPipeline.encryptingStream(sink, settings)) {
            for (int offset = 0; offset < SIZE; offset += CHUNK) {
                out.write(input, offset, CHUNK);
            }
        }
        return sink.count;
    }

    /** Discards what it is given, counting bytes so the JIT cannot drop the work. */
    static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
