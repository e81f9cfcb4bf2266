package dev.drkit.backup.postgres.internal;

import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

/**
 * The PGPASSFILE line read back the way libpq reads it (fields split at unescaped colons, {@code \x} is {@code x})
 * gives the user and password it was made from, whatever characters they hold, and matches any host, port and
 * database.
 */
class PgPassProperties {

    @Test
    void libpqReadsBackTheUserAndPasswordItWasMadeFrom() {
        qt().withExamples(2000).forAll(strings().basicLatinAlphabet().ofLengthBetween(1, 30), passwords())
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

    /**
     * Passwords of any code point but a line break (a PGPASSFILE line cannot hold one; PgPass refuses it), made
     * valid by construction: filtering random strings for lone surrogates rejected too many examples for
     * QuickTheories on some seeds. The characters the file format escapes are drawn often.
     */
    private static Gen<String> passwords() {
        Gen<Integer> anyCodePoint = integers().between(0, Character.MAX_CODE_POINT - 2 - SURROGATES)
            .map(PgPassProperties::codePointWithoutLineBreakOrSurrogate);
        Gen<Integer> escaped = Generate.pick(List.of((int) ':', (int) '\\'));
        Gen<Integer> codePoints = Generate.frequency(Pair.of(4, anyCodePoint), Pair.of(1, escaped));
        return lists().of(codePoints).ofSizeBetween(1, 40)
            .map(points -> points.stream()
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString());
    }

    private static final int SURROGATES = Character.MAX_SURROGATE - Character.MIN_SURROGATE + 1;

    /** Numbers every code point but LF, CR and the surrogates without gaps, from 0 up. */
    private static int codePointWithoutLineBreakOrSurrogate(int n) {
        int codePoint = n;
        if (codePoint >= '\n') {
            codePoint++;
        }
        if (codePoint >= '\r') {
            codePoint++;
        }
        if (codePoint >= Character.MIN_SURROGATE) {
            codePoint += SURROGATES;
        }
        return codePoint;
    }
}
