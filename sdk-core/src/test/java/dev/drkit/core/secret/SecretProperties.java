package dev.drkit.core.secret;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.drkit.core.EnvironmentException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

/**
 * Properties of {@link Secret}: its value never shows in text that is made from it (toString, formatting,
 * exception messages and stack traces, log output), equality is equality of bytes, values round-trip, and a
 * closed secret gives nothing away.
 *
 * <p>The leak checks are one function, {@link #checkNeverShown}, parameterised by the renderer under test;
 * {@link #theLeakCheckFailsForARendererThatShowsTheValue()} feeds it renderers that do leak, to prove that
 * the check runs its examples and fails when the property is broken.
 */
class SecretProperties {

    /** Examples per property; each leak example renders its text twice (with the value and a placeholder). */
    static final int EXAMPLES = 200;

    /**
     * How many examples must have run: QuickTheories silently skips an input it has already tried, and short
     * or empty strings repeat now and then, so a run may fall a few short of {@link #EXAMPLES}; nine in ten
     * still shows the property ran.
     */
    static final int MIN_EXAMPLES_RUN = EXAMPLES * 9 / 10;

    static final String LABEL = "db.password";

    /**
     * The secret rendered once more, with the same label, for the baseline of every example. One zero byte:
     * it is shorter than any generated value, so a baseline that shows it never explains a needle away.
     */
    static final byte[] PLACEHOLDER = {0};

    static final Logger leakLog = LoggerFactory.getLogger("dev.drkit.test.SecretLeak");
    static ListAppender<ILoggingEvent> appender;
    static PatternLayout layout;

    @BeforeAll
    static void captureLogs() {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) leakLog;
        LoggerContext context = logger.getLoggerContext();
        appender = new ListAppender<>();
        appender.setContext(context);
        appender.start();
        layout = new PatternLayout();
        layout.setContext(context);
        // Everything an appender could print: message, key-value pairs, MDC, and full stack traces with causes.
        layout.setPattern("%-5level [%thread] %logger - %msg %kvp %mdc%n%ex{full}");
        layout.start();
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
        logger.addAppender(appender);
    }

    @AfterAll
    static void releaseLogs() {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) leakLog;
        logger.detachAppender(appender);
        logger.setAdditive(true);
        logger.setLevel(null);
        appender.stop();
        layout.stop();
    }

    // ---- the value never shows -------------------------------------------------------------------------

    @Test
    void toStringNeverShowsTheValue() {
        checkRendererNeverLeaks(Secret::toString);
    }

    @Test
    void stringConversionsNeverShowTheValue() {
        checkRendererNeverLeaks(secret -> String.valueOf(secret) + "\n" + String.format("%s|%10s|%-30s", secret, secret, secret)
            + "\n" + "password=" + secret + "\n" + List.of(secret) + "\n" + Map.of("password", secret)
            + "\n" + Arrays.toString(new Object[] {secret}) + "\n" + new StringBuilder().append(secret));
    }

    @Test
    void exceptionTextNeverShowsTheValue() {
        checkRendererNeverLeaks(SecretProperties::exceptionText);
    }

    @Test
    void logOutputNeverShowsTheValue() {
        checkRendererNeverLeaks(secret -> logged(() -> {
            leakLog.info("x {}", secret);
            leakLog.info("Connecting as {} with {} and {}", "app", secret, secret);
            leakLog.info("Arguments {}", (Object) new Object[] {secret});
            leakLog.atInfo().addKeyValue("password", secret).log("structured");
            leakLog.info("password=" + secret);
            leakLog.info("no placeholder for the last argument", "app", secret);
        }));
    }

    @Test
    void logOutputNeverShowsTheValueWhenTheSecretIsInTheLoggedException() {
        checkRendererNeverLeaks(secret -> logged(() -> {
            leakLog.warn("Login as {} failed", "app", new IllegalStateException("bad password " + secret));
            leakLog.error("x {}", secret, new EnvironmentException("Cannot connect with " + secret,
                Map.of("password", String.valueOf(secret)), new IOException("refused: " + secret)));
            leakLog.atWarn().setCause(new RuntimeException(String.format("%s", secret))).log("cause only");
        }));
    }

    /** Runs the leak check for one renderer and shows it ran every example and decided nearly all of them. */
    private static void checkRendererNeverLeaks(Function<Secret, String> renderer) {
        Tally tally = new Tally();

        checkNeverShown(renderer, samples(), EXAMPLES, tally);

        assertThat(tally.examples).hasValueGreaterThanOrEqualTo(MIN_EXAMPLES_RUN);
        // An example whose value also shows in the placeholder's text cannot be decided (see checkNeverShown);
        // if that were common the property would pass without checking anything.
        assertThat(tally.inconclusive.get()).isLessThanOrEqualTo(tally.checks.get() / 20);
    }

    // ---- the check really runs, and really fails ---------------------------------------------------------

    @Test
    void theLeakCheckFailsForARendererThatShowsTheValue() {
        Tally tally = new Tally();

        assertThatThrownBy(() -> checkNeverShown(secret -> "value=" + new String(secret.reveal()), textSamples(),
            EXAMPLES, tally))
            .isInstanceOf(AssertionError.class)
            .hasMessageContaining("Property falsified")
            .hasMessageContaining("shows the secret's value");
        assertThat(tally.examples).hasPositiveValue();
    }

    @Test
    void theLeakCheckFailsForARendererThatShowsTheBytesInHex() {
        assertThatThrownBy(() -> checkNeverShown(secret -> HexFormat.of().formatHex(secret.revealBytes()),
            byteSamples(), EXAMPLES, new Tally()))
            .isInstanceOf(AssertionError.class)
            .hasMessageContaining("shows the secret's value");
    }

    @Test
    void theLeakCheckFailsForALeakInTheLogOnlyForLongValues() {
        // Leaks only values longer than 1000 bytes: fails only if the generator really makes long values.
        Function<Secret, String> leaksLongOnes = secret -> logged(
            () -> leakLog.info("x {}", secret.length() > 1000 ? new String(secret.revealBytes(), StandardCharsets.UTF_8) : secret));

        assertThatThrownBy(() -> checkNeverShown(leaksLongOnes, textSamples(), EXAMPLES, new Tally()))
            .isInstanceOf(AssertionError.class)
            .hasMessageContaining("shows the secret's value");
    }

    @Test
    void theLeakCheckRunsAtLeastTheConfiguredExamples() {
        Tally tally = new Tally();

        checkNeverShown(Secret::toString, samples(), 321, tally);

        assertThat(tally.examples).hasValueGreaterThanOrEqualTo(321);
        assertThat(tally.checks.get()).isGreaterThanOrEqualTo(321);
    }

    /**
     * The property: for every generated value, no form of it (the text, its UTF-8 bytes as Latin-1, hex,
     * Base64 or {@code Arrays.toString}) appears in what {@code renderer} makes of a secret holding it.
     *
     * <p>"Does not appear" would give false alarms for values that are part of the text anyway: a value
     * {@code "cret"} is inside {@code "Secret[db.password]"}, {@code "java"} is inside every stack trace. Two
     * things keep those out. Values are at least 4 code points (or bytes) long, so the short pieces of the
     * fixed text ("Secret[", "]", a label) rarely contain them. And each example renders the same text for a
     * placeholder secret with the same label: a form that already appears there is counted as inconclusive
     * instead of being checked, since its presence says nothing about a leak. {@link #checkRendererNeverLeaks}
     * asserts that such examples stay rare.
     */
    static void checkNeverShown(Function<Secret, String> renderer, Gen<Sample> values, int examples, Tally tally) {
        qt().withExamples(examples)
            .withShrinkCycles(50)
            .forAll(values)
            .checkAssert(sample -> {
                tally.examples.incrementAndGet();
                try (Secret secret = sample.newSecret(); Secret placeholder = Secret.ofBytes(PLACEHOLDER, LABEL)) {
                    String shown = renderer.apply(secret);
                    String baseline = renderer.apply(placeholder);
                    for (String form : sample.forms()) {
                        tally.checks.incrementAndGet();
                        if (baseline.contains(form)) {
                            tally.inconclusive.incrementAndGet();
                            continue;
                        }
                        if (shown.contains(form)) {
                            throw new AssertionError("the rendered text shows the secret's value (as \""
                                + abbreviate(form) + "\") in: " + abbreviate(shown));
                        }
                    }
                }
            });
    }

    // ---- equality, round trips, closing ------------------------------------------------------------------

    @Test
    void equalsExactlyWhenTheBytesAreTheSame() {
        // Small arrays over a two-byte alphabet, so that equal pairs come up often without being forced.
        Gen<byte[]> small = Generate.byteArrays(integers().between(0, 3), Generate.bytes((byte) 0, (byte) 1, (byte) 0));
        Gen<byte[]> any = Generate.byteArrays(integers().between(0, 64),
            Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
        AtomicInteger equalPairs = new AtomicInteger();
        AtomicInteger examples = new AtomicInteger();

        qt().withExamples(EXAMPLES)
            .forAll(small.mix(any, 50), small.mix(any, 50), booleans().all())
            .checkAssert((a, b, sameLabel) -> {
                examples.incrementAndGet();
                Secret y = Secret.ofBytes(b, sameLabel ? "x" : "y");
                try (Secret x = Secret.ofBytes(a, "x")) {
                    boolean same = Arrays.equals(a, b);
                    if (same) {
                        equalPairs.incrementAndGet();
                    }
                    assertThat(x.equals(y)).isEqualTo(same);
                    assertThat(y.equals(x)).isEqualTo(same);
                    assertThat(x.hashCode()).isEqualTo(y.hashCode());
                    assertThat(x).isEqualTo(x);

                    y.close();
                    assertThat(x.equals(y)).isFalse();
                    assertThat(y.equals(x)).isFalse();
                    assertThat(y.equals(y)).isTrue();
                }
            });

        // QuickTheories skips an input it has already tried, and this domain is small on purpose: fewer
        // than EXAMPLES distinct inputs may run, but far more than none.
        assertThat(examples).hasValueGreaterThan(EXAMPLES / 2);
        assertThat(equalPairs).hasPositiveValue();
    }

    @Test
    void revealGivesBackTheCharactersThatWentIn() {
        AtomicInteger examples = new AtomicInteger();

        qt().withExamples(EXAMPLES)
            .forAll(unicodeText(0, 300).mix(unicodeText(1000, 3000), 5))
            .checkAssert(text -> {
                examples.incrementAndGet();
                byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
                try (Secret fromChars = Secret.of(text.toCharArray(), LABEL);
                     Secret fromString = Secret.ofString(text, LABEL);
                     Secret fromBytes = Secret.ofBytes(utf8, LABEL)) {
                    for (Secret secret : List.of(fromChars, fromString, fromBytes)) {
                        assertThat(new String(secret.reveal())).isEqualTo(text);
                        assertThat(secret.revealBytes()).isEqualTo(utf8);
                        assertThat(secret.<String>withChars(String::new)).isEqualTo(text);
                        assertThat(secret.length()).isEqualTo(utf8.length);
                    }
                    assertThat(fromChars).isEqualTo(fromString).isEqualTo(fromBytes);
                }
            });

        assertThat(examples).hasValueGreaterThanOrEqualTo(MIN_EXAMPLES_RUN);
    }

    @Test
    void revealBytesGivesBackTheBytesThatWentIn() {
        qt().withExamples(EXAMPLES)
            .forAll(Generate.byteArrays(integers().between(0, 2048), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0)))
            .checkAssert(bytes -> {
                try (Secret secret = Secret.ofBytes(bytes, LABEL)) {
                    assertThat(secret.revealBytes()).isEqualTo(bytes);
                    assertThat(secret.withBytes(byte[]::clone)).isEqualTo(bytes);
                    assertThat(secret.relabel("other").revealBytes()).isEqualTo(bytes);
                }
            });
    }

    @Test
    void aClosedSecretRefusesEveryAccessWithoutShowingTheValue() {
        AtomicInteger examples = new AtomicInteger();

        qt().withExamples(EXAMPLES)
            .forAll(samples())
            .checkAssert(sample -> {
                examples.incrementAndGet();
                Secret secret = sample.newSecret();
                secret.close();

                assertThat(secret.isClosed()).isTrue();
                assertThat(secret).hasToString("Secret[" + LABEL + "]");
                List<Runnable> accesses = List.of(secret::reveal, secret::revealBytes, secret::length,
                    () -> secret.withChars(c -> c), () -> secret.withBytes(b -> b), () -> secret.relabel("other"));
                for (Runnable access : accesses) {
                    assertThatThrownBy(access::run)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("Secret[" + LABEL + "] was closed and its value wiped");
                }
            });

        assertThat(examples).hasValueGreaterThanOrEqualTo(MIN_EXAMPLES_RUN);
    }

    // ---- renderers ---------------------------------------------------------------------------------------

    /** Message, toString, context and full stack trace (with cause and suppressed) of exceptions built with the secret. */
    static String exceptionText(Secret secret) {
        IOException cause = new IOException("connection refused for password " + secret);
        EnvironmentException e = new EnvironmentException("Cannot log in as app with " + secret,
            Map.of("password", String.valueOf(secret)), cause);
        e.addSuppressed(new IllegalStateException(String.format("retry with %s failed", secret)));
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        return e.getMessage() + "\n" + e + "\n" + e.context() + "\n" + e.getLocalizedMessage() + "\n" + trace;
    }

    /** Everything the captured logger printed while {@code logging} ran, through a full pattern layout. */
    static synchronized String logged(Runnable logging) {
        appender.list.clear();
        logging.run();
        StringBuilder out = new StringBuilder();
        for (ILoggingEvent event : appender.list) {
            out.append(layout.doLayout(event));
        }
        appender.list.clear();
        return out.toString();
    }

    // ---- generators --------------------------------------------------------------------------------------

    /** Text values, then raw byte values; see {@link #checkNeverShown} for why every value is at least 4 long. */
    static Gen<Sample> samples() {
        return textSamples().mix(byteSamples(), 25);
    }

    /**
     * Text of 4 to 40 code points from all of Unicode (including supplementary planes; without lone
     * surrogates, which are not text), or printable ASCII as most passwords are, or 1000 to 5000 code points.
     */
    static Gen<Sample> textSamples() {
        Gen<String> text = unicodeText(4, 40)
            .mix(strings().basicLatinAlphabet().ofLengthBetween(4, 40), 40)
            .mix(unicodeText(1000, 5000), 10);
        return text.zip(Generate.enumValues(Sample.How.class), Sample::text);
    }

    /** Raw bytes, 4 to 512 of them, any values: keys and tokens that are not text. */
    static Gen<Sample> byteSamples() {
        return Generate.byteArrays(integers().between(4, 512), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0))
            .map(Sample::bytes);
    }

    /** Strings of {@code min} to {@code max} code points anywhere in Unicode except the surrogate range. */
    static Gen<String> unicodeText(int min, int max) {
        int surrogates = Character.MAX_SURROGATE - Character.MIN_SURROGATE + 1;
        Gen<Integer> codePoint = integers().between(0, Character.MAX_CODE_POINT - surrogates)
            .map(cp -> cp >= Character.MIN_SURROGATE ? cp + surrogates : cp);
        return lists().of(codePoint).ofSizeBetween(min, max).map(codePoints -> {
            StringBuilder text = new StringBuilder();
            codePoints.forEach(text::appendCodePoint);
            return text.toString();
        });
    }

    static String abbreviate(String text) {
        return text.length() <= 300 ? text : text.substring(0, 300) + "...(" + text.length() + " chars)";
    }

    /** Counts kept by the leak check, so tests can show it ran and decided its examples. */
    static final class Tally {
        final AtomicInteger examples = new AtomicInteger();
        final AtomicInteger checks = new AtomicInteger();
        final AtomicInteger inconclusive = new AtomicInteger();
    }

    /** A generated value and how to make a secret of it. */
    static final class Sample {

        enum How { CHARS, STRING, BYTES_OF_TEXT }

        private final byte[] bytes;
        private final String text;   // null for raw bytes
        private final How how;

        private Sample(byte[] bytes, String text, How how) {
            this.bytes = bytes;
            this.text = text;
            this.how = how;
        }

        static Sample text(String text, How how) {
            return new Sample(text.getBytes(StandardCharsets.UTF_8), text, how);
        }

        static Sample bytes(byte[] bytes) {
            return new Sample(bytes, null, null);
        }

        Secret newSecret() {
            if (text == null) {
                return Secret.ofBytes(bytes, LABEL);
            }
            switch (how) {
                case CHARS:
                    return Secret.of(text.toCharArray(), LABEL);
                case STRING:
                    return Secret.ofString(text, LABEL);
                default:
                    return Secret.ofBytes(bytes, LABEL);
            }
        }

        /** Every form in which the value could show in text. */
        Set<String> forms() {
            Set<String> forms = new LinkedHashSet<>();
            if (text != null) {
                forms.add(text);
                forms.add(Arrays.toString(text.toCharArray()));
            }
            strictUtf8(bytes).forEach(forms::add);
            forms.add(new String(bytes, StandardCharsets.ISO_8859_1));
            forms.add(HexFormat.of().formatHex(bytes));
            forms.add(HexFormat.of().withUpperCase().formatHex(bytes));
            forms.add(Base64.getEncoder().encodeToString(bytes));
            forms.add(Arrays.toString(bytes));
            return forms;
        }

        private static List<String> strictUtf8(byte[] bytes) {
            List<String> decoded = new ArrayList<>(1);
            try {
                decoded.add(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString());
            } catch (CharacterCodingException notText) {
                // raw bytes that are not UTF-8 cannot show as UTF-8 text
            }
            return decoded;
        }

        @Override
        public String toString() {
            return text != null ? how + " \"" + abbreviate(text) + "\"" : "bytes " + abbreviate(HexFormat.of().formatHex(bytes));
        }
    }
}
