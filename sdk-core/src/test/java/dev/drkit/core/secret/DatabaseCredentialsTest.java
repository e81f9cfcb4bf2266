package dev.drkit.core.secret;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatabaseCredentialsTest {

    @Test
    void toStringShowsUserAndExpiryButNeverThePassword() {
        Instant end = Instant.parse("2026-11-23T12:00:00Z");
        DatabaseCredentials credentials =
            DatabaseCredentials.expiring("v-app-7", Secret.ofString("hunter2-value", "db"), end);

        assertThat(credentials.toString())
            .contains("v-app-7", end.toString(), "Secret[db]")
            .doesNotContain("hunter2");
        assertThat(credentials.expiresAt()).contains(end);
        assertThat(credentials.password().reveal()).containsExactly("hunter2-value".toCharArray());
    }

    @Test
    void fixedSourceAlwaysReturnsTheSameCredentialsAndIgnoresListeners() {
        CredentialsSource source = CredentialsSource.fixed("app", Secret.ofString("pw", "db"));
        AtomicInteger calls = new AtomicInteger();

        try (CredentialsSource.Registration registration = source.onRotation(calls::incrementAndGet)) {
            assertThat(source.current()).isSameAs(source.current());
            assertThat(source.current().username()).isEqualTo("app");
            assertThat(source.current().expiresAt()).isEmpty();
        }
        assertThat(calls).hasValue(0);
    }

    @Test
    void emptyUserNameIsRejected() {
        assertThatThrownBy(() -> DatabaseCredentials.of("", Secret.ofString("pw", "db")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("username");
    }
}
