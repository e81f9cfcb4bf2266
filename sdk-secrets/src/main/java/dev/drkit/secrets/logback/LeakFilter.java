package dev.drkit.secrets.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.AbstractMatcherFilter;
import ch.qos.logback.core.spi.FilterReply;
import dev.drkit.secrets.LeakTripwire;
import org.slf4j.event.KeyValuePair;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Logback filter that asks a {@link LeakTripwire} about every event: its formatted message, its arguments,
 * its MDC and key-value pairs, and the message of each throwable (causes and suppressed ones included). An
 * event carrying a registered secret, as it is or Base64- or URL-encoded, gets the {@code onMatch} reply
 * ({@link FilterReply#DENY} unless configured otherwise: the line is never written) and is <em>flagged</em>: it
 * is counted, the secret's label and the logger's name (never the text) are kept in {@link #tripped()}, and a
 * warning naming them goes to Logback's status manager. Other events get {@code onMismatch} (NEUTRAL).
 *
 * <p>To keep flagged lines but print them redacted, set {@code onMatch} to NEUTRAL and use
 * {@link RedactingMessageConverter} and {@link RedactingThrowableConverter} in the appender's pattern.
 *
 * <p>Built from a Logback configuration, the filter consults {@link LeakTripwire#global()}, where every
 * {@code VaultClient} registers by default; {@link #LeakFilter(LeakTripwire)} takes another. Thread-safe.
 *
 * <pre>{@code
 * <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
 *   <filter class="dev.drkit.secrets.logback.LeakFilter"/>
 *   ...
 * </appender>
 * }</pre>
 *
 * @since 0.1
 */
public final class LeakFilter extends AbstractMatcherFilter<ILoggingEvent> {

    /** The most flagged events whose label and logger {@link #tripped()} keeps: {@value}. */
    public static final int MAX_TRIPPED = 100;

    private final LeakTripwire tripwire;
    private final AtomicLong leaks = new AtomicLong();
    private final List<String> tripped = new ArrayList<>();

    /**
     * A filter over {@link LeakTripwire#global()} that denies events carrying a secret (the form Logback builds).
     *
     * @since 0.1
     */
    public LeakFilter() {
        this(LeakTripwire.global());
    }

    /**
     * A filter over {@code tripwire} that denies events carrying a secret.
     *
     * @since 0.1
     */
    public LeakFilter(LeakTripwire tripwire) {
        this.tripwire = Objects.requireNonNull(tripwire, "tripwire");
        setOnMatch(FilterReply.DENY);
        setName("drkit-leak-filter");
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (!isStarted()) {
            return FilterReply.NEUTRAL;
        }
        List<String> found = tripwire.findAllIn(text(event));
        if (found.isEmpty()) {
            return onMismatch;
        }
        leaks.incrementAndGet();
        for (String label : found) {
            String flag = "secret '" + label + "' in an event of logger " + event.getLoggerName();
            synchronized (tripped) {
                if (tripped.size() < MAX_TRIPPED) {
                    tripped.add(flag);
                }
            }
            addWarn("Log event carries " + flag + "; reply " + onMatch);
        }
        return onMatch;
    }

    /**
     * How many events carried a registered secret so far.
     *
     * @since 0.1
     */
    public long leaks() {
        return leaks.get();
    }

    /**
     * For the first {@value #MAX_TRIPPED} flagged events, which secret (by label) and which logger, as
     * {@code "secret 'label' in an event of logger name"}.
     *
     * @since 0.1
     */
    public List<String> tripped() {
        synchronized (tripped) {
            return List.copyOf(tripped);
        }
    }

    private static String text(ILoggingEvent event) {
        StringBuilder text = new StringBuilder();
        String message = event.getFormattedMessage();
        text.append(message == null ? "" : message);
        Object[] args = event.getArgumentArray();
        if (args != null) {
            for (Object a : args) {
                text.append('\n').append(a);
            }
        }
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null) {
            mdc.forEach((k, v) -> text.append('\n').append(k).append('=').append(v));
        }
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair p : pairs) {
                text.append('\n').append(p.key).append('=').append(p.value);
            }
        }
        appendThrowable(text, event.getThrowableProxy(), 0);
        return text.toString();
    }

    private static void appendThrowable(StringBuilder text, IThrowableProxy t, int depth) {
        // Depth-bounded: a cause chain can be cyclic in a proxy built from a hostile throwable.
        if (t == null || depth > 32) {
            return;
        }
        text.append('\n').append(t.getMessage());
        IThrowableProxy[] suppressed = t.getSuppressed();
        if (suppressed != null) {
            for (IThrowableProxy s : suppressed) {
                appendThrowable(text, s, depth + 1);
            }
        }
        appendThrowable(text, t.getCause(), depth + 1);
    }

    @Override
    public String toString() {
        return "LeakFilter[" + leaks() + " leaks]";
    }
}
