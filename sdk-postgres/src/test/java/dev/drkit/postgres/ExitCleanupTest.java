package dev.drkit.postgres;

import dev.drkit.postgres.internal.Postmasters;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** A JVM that exits without closing its cluster leaves neither a server nor files behind. */
class ExitCleanupTest {

    @Test
    void killsAndDeletesClustersLeftOpenWhenTheJvmExits() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
            UnclosedClusterMain.class.getName()).redirectErrorStream(true).start();
        child.getOutputStream().close();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();

        assertThat(child.exitValue()).as(output).isZero();
        Matcher directory = Pattern.compile("DIRECTORY=(\\S+)").matcher(output);
        Matcher pid = Pattern.compile("PID=(\\d+)").matcher(output);
        assertThat(directory.find() && pid.find()).as(output).isTrue();
        assertThat(Path.of(directory.group(1))).doesNotExist();
        assertThat(Postmasters.isAlive(Long.parseLong(pid.group(1)))).isFalse();
        assertThat(output).contains("WARN").contains("PostgreSQL cluster 'unclosed' was not closed before the JVM exit");
    }
}
