package dev.drkit.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A {@code drkit wal-push} killed with SIGKILL halfway leaves nothing visible, and the next push succeeds. */
class WalPushCrashTest {

    private static final String SEGMENT = "00000001000000000000002A";

    @TempDir
    Path dir;

    private int drkit(StringWriter err, String... args) {
        CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private List<String> leftovers(Path store) throws IOException {
        try (Stream<Path> entries = Files.list(store)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-")).toList();
        }
    }

    @Test
    void aPushKilledMidwayLeavesNothingVisibleAndTheNextPushSucceeds() throws Exception {
        Path store = dir.resolve("wal");
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "crash test passphrase\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        // large and incompressible, so the push is still writing when it is killed
        byte[] content = new byte[128 << 20];   // a segment size wal-push accepts: a power of two
        new SplittableRandom(42).nextBytes(content);
        Path segment = dir.resolve(SEGMENT);
        Files.write(segment, content);
        Files.createDirectories(store);

        Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
            "-cp", System.getProperty("java.class.path"), Drkit.class.getName(),
            "wal-push", "--store", store.toString(), "--passphrase-file", pass.toString(), segment.toString())
            .redirectErrorStream(true).redirectOutput(dir.resolve("child.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (leftovers(store).isEmpty() && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        // the staging entry exists: the push is under way
        assertThat(leftovers(store)).as(Files.readString(dir.resolve("child.out"))).hasSize(1);
        Path staging = store.resolve(leftovers(store).get(0));
        while (!Files.exists(staging.resolve("wal.zst.pgp")) && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        child.destroyForcibly(); // SIGKILL
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("killed, not finished").isEqualTo(128 + 9);

        StringWriter err = new StringWriter();
        // nothing visible: the store holds no WAL file at all, which a fetch reports as a store that cannot be it
        assertThat(drkit(err, "wal-fetch", "--store", store.toString(), "--passphrase-file", pass.toString(), SEGMENT,
            dir.resolve("fetched").toString())).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("holds no WAL file at all");
        assertThat(dir.resolve("fetched")).doesNotExist();

        assertThat(drkit(err, "wal-push", "--store", store.toString(), "--passphrase-file", pass.toString(),
            segment.toString())).as(err.toString()).isZero();
        assertThat(leftovers(store)).isEmpty();
        assertThat(drkit(err, "wal-fetch", "--store", store.toString(), "--passphrase-file", pass.toString(), SEGMENT,
            dir.resolve("fetched").toString())).as(err.toString()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("fetched"))).isEqualTo(content);
    }
}
