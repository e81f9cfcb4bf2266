package dev.drkit.secrets;

import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class LeakTripwireTest {

    private final LeakTripwire tripwire = LeakTripwire.create();

    @Test
    void findsTheValueRawBase64AndUrlEncodedAndNamesOnlyTheLabel() {
        String value = "p@ss w/rd+=?";
        tripwire.register(Secret.ofString(value, "db-password"));

        assertThat(tripwire.findIn("jdbc password=" + value)).hasValue("db-password");
        assertThat(tripwire.findIn("Basic " + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))))
            .hasValue("db-password");
        assertThat(tripwire.findIn("u=" + Base64.getUrlEncoder().withoutPadding()
            .encodeToString(value.getBytes(StandardCharsets.UTF_8)))).hasValue("db-password");
        assertThat(tripwire.findIn("?pw=" + URLEncoder.encode(value, StandardCharsets.UTF_8))).hasValue("db-password");
        assertThat(tripwire.findIn("nothing to see")).isEmpty();
        assertThat(tripwire.redact("x " + value + " y")).isEqualTo("x [redacted:db-password] y");
    }

    @Test
    void skipsShortAndClosedValuesAndForgetsTheOldestBeyondItsLimit() {
        tripwire.register(Secret.ofString("abc", "short"));
        Secret closed = Secret.ofString("closed-value", "closed");
        closed.close();
        tripwire.register(closed);
        assertThat(tripwire.size()).isZero();

        for (int i = 0; i <= LeakTripwire.MAX_VALUES; i++) {
            tripwire.register(Secret.ofString("value-number-" + i, "v" + i));
        }
        assertThat(tripwire.size()).isEqualTo(LeakTripwire.MAX_VALUES);
        assertThat(tripwire.findIn("value-number-0 ")).isEmpty();
        assertThat(tripwire.findIn("value-number-" + LeakTripwire.MAX_VALUES)).isPresent();
        assertThat(tripwire.toString()).doesNotContain("value-number");
    }

    @Test
    void aValueRegisteredAgainIsKeptWhileNewerOnesPushOutTheOthers() {
        Secret inUse = Secret.ofString("role-id-read-at-every-login", "role-id");
        tripwire.register(inUse);
        tripwire.register(Secret.ofString("registered-once-long-ago", "old"));
        int others = LeakTripwire.MAX_VALUES + LeakTripwire.MAX_VALUES / 2;
        for (int i = 0; i < others; i++) {
            tripwire.register(Secret.ofString("rotated-password-" + i, "p" + i));
            if (i == LeakTripwire.MAX_VALUES / 2) {
                tripwire.register(inUse);                          // a later login reads it again
            }
        }
        assertThat(tripwire.size()).isEqualTo(LeakTripwire.MAX_VALUES);
        assertThat(tripwire.findIn("role_id=role-id-read-at-every-login")).hasValue("role-id");
        assertThat(tripwire.findIn("registered-once-long-ago")).isEmpty();
    }
}
