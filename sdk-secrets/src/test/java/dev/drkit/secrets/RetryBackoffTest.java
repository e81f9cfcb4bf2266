package dev.drkit.secrets;

import ch.qos.logback.classic.Level;
import dev.drkit.secrets.vault.SimulatedVault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A long outage: once the token has ended, retries back off from minRetryDelay (1 s here) to maxRetryDelay
 * (10 s), and the failures are logged at WARN once a minute at most, not once per retry.
 */
class RetryBackoffTest {

    private static final Pattern RETRY_IN = Pattern.compile("retrying in (\\d+) ms");

    @TempDir
    Path dir;
    private Fixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void retriesAfterTheTokenEndedBackOffAndWarnAtMostOnceAMinute() {
        f = new Fixture(dir);
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(6000));
        VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
        List<String> warnings;
        List<String> retries = new ArrayList<>();
        try (LogLines logs = LogLines.capture()) {
            f.vault.down();
            f.advance(Duration.ofMinutes(10));
            warnings = vaultWarnings(logs);
            for (String line : logs.lines()) {
                if (line.contains("token renewal failed") && line.contains("); 0s of the token left")) {
                    retries.add(line);
                }
            }
        }

        // Before: a retry every minRetryDelay once the token had ended, each at WARN (549 lines in 10 minutes).
        assertThat(client.stats().renewalFailures()).isBetween(55L, 120L);
        assertThat(warnings).hasSizeLessThanOrEqualTo(12);
        assertThat(warnings.get(0)).contains("token renewal failed");
        assertThat(warnings).anyMatch(l -> l.contains("in a row;") && l.contains("since the last warning logged at DEBUG"));

        List<Long> delays = new ArrayList<>();
        for (String line : retries) {
            Matcher m = RETRY_IN.matcher(line);
            assertThat(m.find()).as(line).isTrue();
            delays.add(Long.parseLong(m.group(1)));
        }
        assertThat(delays).hasSizeGreaterThan(20).allMatch(d -> d >= 1_000 && d <= 10_000);
        assertThat(delays.get(0)).isEqualTo(1_000);                  // the first retry after the end comes quickly
        assertThat(delays.subList(delays.size() - 20, delays.size()))  // then at up to maxRetryDelay, jittered
            .allMatch(d -> d >= 5_000).doesNotHaveDuplicates();

        f.vault.up();
        f.advance(Duration.ofSeconds(10));                            // within maxRetryDelay of coming back
        assertThat(client.isLoggedIn()).isTrue();
    }

    @Test
    void aLoginThatKeepsFailingAtStartBacksOffToo() {
        f = new Fixture(dir);
        SimulatedVault.AppRole role = f.role(Duration.ofSeconds(60), Duration.ofSeconds(6000));
        f.vault.down();
        try (LogLines logs = LogLines.capture()) {
            VaultClient client = f.start(f.config(f.appRoleFiles(role)).build());
            f.advance(Duration.ofMinutes(5));
            // Before: a login every second (300), each at WARN.
            assertThat(client.stats().loginFailures()).isBetween(30L, 60L);
            assertThat(vaultWarnings(logs)).hasSizeLessThanOrEqualTo(6);

            f.vault.up();
            f.advance(Duration.ofSeconds(10));
            assertThat(client.isLoggedIn()).isTrue();

            // a success ends the streak: the next outage is reported at once, and retried from minRetryDelay again
            int before = vaultWarnings(logs).size();
            f.vault.down();
            f.advance(Duration.ofSeconds(41));                        // the renewal at 40 s fails
            assertThat(vaultWarnings(logs)).hasSize(before + 1);
            assertThat(vaultWarnings(logs).get(before)).contains("token renewal failed");
        }
    }

    /** The client's own warnings (the retry of each call in sdk-core has its own, already limited, warnings). */
    private static List<String> vaultWarnings(LogLines logs) {
        List<String> out = new ArrayList<>();
        for (String line : logs.lines(Level.WARN)) {
            if (line.contains("Vault client 'test'")) {
                out.add(line);
            }
        }
        return out;
    }
}
