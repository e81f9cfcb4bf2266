package dev.drkit.core.secret;

import com.sun.management.HotSpotDiagnosticMXBean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a closed secret leaves in the heap, read from a real heap dump of this JVM (unreachable objects included):
 * no part of its value, also where encoding it takes more bytes than chars (text that is not ASCII).
 */
class SecretHeapTest {

    /** The needle is kept masked, so the dump does not find the test's own copy of it. */
    private static final int MASK = 0x5A;

    @TempDir
    Path dir;

    @Test
    void aClosedNonAsciiSecretLeavesNoPartOfItsValueInTheHeap() throws Exception {
        SecureRandom random = new SecureRandom();
        char[] chars = new char[24];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (char) (0x0430 + random.nextInt(32));   // Cyrillic: two bytes each in UTF-8
        }
        // the UTF-8 of the first 8 characters, masked
        byte[] needle = new byte[16];
        for (int i = 0; i < 8; i++) {
            needle[2 * i] = (byte) ((0xC0 | chars[i] >> 6) ^ MASK);
            needle[2 * i + 1] = (byte) ((0x80 | chars[i] & 0x3F) ^ MASK);
        }

        Secret secret = Secret.of(chars, "heap test");
        Arrays.fill(chars, '\0');
        char[] revealed = secret.reveal();
        Arrays.fill(revealed, '\0');
        secret.close();
        Path dump = dir.resolve("heap.hprof");
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(dump.toString(), false);

        assertThat(occurrences(dump, needle)).as("copies of the secret's first bytes in the heap").isZero();
    }

    /** How many times the unmasked {@code needle} occurs in {@code file}. */
    private static int occurrences(Path file, byte[] needle) throws IOException {
        byte[] chunk = new byte[1 << 20];
        byte[] window = new byte[chunk.length + needle.length];
        int carried = 0;
        int found = 0;
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.readNBytes(chunk, 0, chunk.length)) > 0) {
                System.arraycopy(chunk, 0, window, carried, n);
                int length = carried + n;
                for (int i = 0; i + needle.length <= length; i++) {
                    int j = 0;
                    while (j < needle.length && (byte) (window[i + j] ^ MASK) == needle[j]) {
                        j++;
                    }
                    if (j == needle.length) {
                        found++;
                    }
                }
                carried = Math.min(needle.length - 1, length);
                System.arraycopy(window, length - carried, window, 0, carried);
            }
        }
        return found;
    }
}
