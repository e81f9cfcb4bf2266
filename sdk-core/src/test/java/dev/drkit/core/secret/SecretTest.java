package dev.drkit.core.secret;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretTest {

    @Test
    void showsOnlyItsLabel() {
        try (Secret secret = Secret.ofString("s3cr3t", "db.password")) {
            assertThat(secret).hasToString("Secret[db.password]");
            assertThat(String.valueOf(secret)).isEqualTo("Secret[db.password]");
            assertThat(String.format("%s", secret)).isEqualTo("Secret[db.password]");
            assertThat(secret.label()).isEqualTo("db.password");
        }
    }

    @Test
    void isLabelledRedactedByDefault() {
        try (Secret chars = Secret.of("x".toCharArray()); Secret bytes = Secret.ofBytes(new byte[] {1})) {
            assertThat(chars).hasToString("Secret[redacted]");
            assertThat(bytes).hasToString("Secret[redacted]");
        }
    }

    @Test
    void revealsTheValueItWasMadeFrom() {
        char[] chars = "pässwörd \uD83D\uDD11".toCharArray();
        try (Secret secret = Secret.of(chars, "unicode")) {
            assertThat(secret.reveal()).isEqualTo(chars);
            assertThat(secret.revealBytes()).isEqualTo("pässwörd \uD83D\uDD11".getBytes(StandardCharsets.UTF_8));
            assertThat(secret.length()).isEqualTo("pässwörd \uD83D\uDD11".getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void copiesTheCallersArraySoItCanBeWiped() {
        char[] chars = "hunter2".toCharArray();
        byte[] bytes = {1, 2, 3};
        try (Secret fromChars = Secret.of(chars); Secret fromBytes = Secret.ofBytes(bytes)) {
            Arrays.fill(chars, '\0');
            Arrays.fill(bytes, (byte) 0);
            assertThat(fromChars.reveal()).isEqualTo("hunter2".toCharArray());
            assertThat(fromBytes.revealBytes()).containsExactly(1, 2, 3);
        }
    }

    @Test
    void handsOutCopiesThatDoNotChangeIt() {
        try (Secret secret = Secret.ofString("abc", "x")) {
            secret.reveal()[0] = 'z';
            secret.revealBytes()[0] = 'z';
            assertThat(secret.reveal()).isEqualTo("abc".toCharArray());
        }
    }

    @Test
    void wipesTheArrayWithCharsLentOut() {
        char[][] lent = new char[1][];
        try (Secret secret = Secret.ofString("abc", "x")) {
            int length = secret.withChars(chars -> {
                lent[0] = chars;
                return chars.length;
            });
            assertThat(length).isEqualTo(3);
        }
        assertThat(lent[0]).containsOnly('\0');
    }

    @Test
    void wipesTheLentArrayEvenWhenTheUserThrows() {
        byte[][] lent = new byte[1][];
        try (Secret secret = Secret.ofString("abc", "x")) {
            assertThatThrownBy(() -> secret.withBytes(bytes -> {
                lent[0] = bytes;
                throw new IllegalStateException("boom");
            })).hasMessage("boom");
        }
        assertThat(lent[0]).containsOnly((byte) 0);
    }

    @Test
    void refusesCharactersThatAreNotText() {
        assertThatThrownBy(() -> Secret.of(new char[] {'a', '\uD800'}))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageNotContaining("a\uD800");
    }

    @Test
    void refusesToRevealBytesThatAreNotUtf8AsCharacters() {
        try (Secret secret = Secret.ofBytes(new byte[] {(byte) 0xff, (byte) 0xfe}, "key")) {
            assertThatThrownBy(secret::reveal)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("Secret[key] holds bytes that are not UTF-8 text; use revealBytes()");
            assertThat(secret.revealBytes()).containsExactly(0xff, 0xfe);
        }
    }

    @Test
    void rejectsBlankLongOrControlCharacterLabels() {
        assertThatThrownBy(() -> Secret.ofString("v", " ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Secret.ofString("v", "x".repeat(201))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Secret.ofString("v", "a\nb")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void relabelsACopy() {
        Secret original = Secret.ofString("v", "a");
        try (Secret relabelled = original.relabel("b")) {
            original.close();
            assertThat(relabelled).hasToString("Secret[b]");
            assertThat(relabelled.reveal()).containsExactly('v');
        }
    }

    @Test
    void equalsAnotherWithTheSameBytesWhateverTheLabel() {
        try (Secret a = Secret.ofString("same", "a"); Secret b = Secret.of("same".toCharArray(), "b");
             Secret c = Secret.ofString("different", "a")) {
            assertThat(a).isEqualTo(b).isNotEqualTo(c).isNotEqualTo("same");
            assertThat(a.hashCode()).isEqualTo(c.hashCode());
        }
    }

    @Test
    void isNotEqualToASecretClosedWhileComparing() throws Exception {
        Secret a = Secret.ofString("same", "a");
        Secret b = Secret.ofString("same", "b");
        Field value = Secret.class.getDeclaredField("value");
        value.setAccessible(true);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread comparing = new Thread(() -> {
            try {
                outcome.set(a.equals(b));
            } catch (RuntimeException e) {
                outcome.set(e);
            }
        }, "comparing");
        // Holding b's lock parks equals() after its closed checks, right before it reads b's bytes.
        synchronized (value.get(b)) {
            comparing.start();
            while (comparing.getState() != Thread.State.BLOCKED) {
                Thread.onSpinWait();
            }
            b.close();
        }
        comparing.join(10_000);

        assertThat(outcome.get()).isEqualTo(false);
        a.close();
    }

    @Test
    void closedSecretsEqualOnlyThemselves() {
        Secret a = Secret.ofString("same", "a");
        Secret b = Secret.ofString("same", "b");
        a.close();

        assertThat(a).isEqualTo(a).isNotEqualTo(b);
        assertThat(b).isNotEqualTo(a);
        b.close();
    }

    @Test
    void wipesItsValueOnCloseAndRefusesAccessAfterwards() {
        Secret secret = Secret.ofString("abc", "api.token");
        secret.close();
        secret.close();   // idempotent

        assertThat(secret.isClosed()).isTrue();
        assertThat(secret).hasToString("Secret[api.token]");
        assertThatThrownBy(secret::reveal)
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("Secret[api.token] was closed and its value wiped");
        assertThatThrownBy(secret::revealBytes).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(secret::length).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> secret.withChars(c -> c)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> secret.withBytes(b -> b)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> secret.relabel("other")).isInstanceOf(IllegalStateException.class);
    }
}
