package dev.drkit.backup.postgres.internal;

import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

/**
 * The PGPASSFILE line read back the way libpq reads it (fields split at unescaped colons, {@code \x} is {@code x})
 * gives the user and password it was made from, whatever characters they hold, and matches any host, port and
 * database.
 */
class PgPassProperties {

    @Test
    void libpqReadsBackTheUserAndPasswordItWasMadeFrom() {
        qt().withExamples(2000).forAll(strings().basicLatinAlphabet().ofLengthBetween(1, 30),
                strings().allPossible().ofLengthBetween(1, 40))
            .assuming((user, password) -> noLineBreak(user) && noLineBreak(password) && validUtf16(password))
            .checkAssert((user, password) -> {
                try (Secret secret = Secret.ofString(password, "pw"); Secret line = PgPass.line(user, secret)) {
                    String text = new String(line.revealBytes(), StandardCharsets.UTF_8);
                    assertThat(text).endsWith("\n");
                    List<String> fields = libpqFields(text.substring(0, text.length() - 1));
                    assertThat(fields).containsExactly("*", "*", "*", user, password);
                }
            });
    }

    @Test
    void theParserHereSplitsAtUnescapedColonsOnly() {
        // a check of the check: an unescaped colon in a password would make a sixth field
        assertThat(libpqFields("*:*:*:u:a:b")).hasSize(6);
        assertThat(libpqFields("*:*:*:u:a\\:b")).containsExactly("*", "*", "*", "u", "a:b");
    }

    /** libpq's passwordFromFile: a backslash escapes the next character; colons separate the fields. */
    private static List<String> libpqFields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                field.append(line.charAt(++i));
            } else if (c == ':') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }

    private static boolean noLineBreak(String s) {
        return s.indexOf('\n') < 0 && s.indexOf('\r') < 0;
    }

    private static boolean validUtf16(String s) {
        return StandardCharsets.UTF_8.newEncoder().canEncode(s);
    }
}
