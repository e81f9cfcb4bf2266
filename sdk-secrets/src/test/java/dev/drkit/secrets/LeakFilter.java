package dev.drkit.secrets;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Logback filter that asks a {@link LeakTripwire} about every event (its formatted message, its arguments, and
 * each throwable's message, causes included) and denies the events that carry a registered secret, recording
 * the secret's label and the logger, never the text. Attach it to an appender; tests assert {@link #tripped()}
 * stays empty.
 */
final class LeakFilter extends Filter<ILoggingEvent> {

    private final LeakTripwire tripwire;
    private final List<String> tripped = new CopyOnWriteArrayList<>();

    LeakFilter(LeakTripwire tripwire) {
        this.tripwire = tripwire;
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        StringBuilder text = new StringBuilder(event.getFormattedMessage() == null ? "" : event.getFormattedMessage());
        if (event.getArgumentArray() != null) {
            for (Object a : event.getArgumentArray()) {
                text.append(' ').append(a);
            }
        }
        for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
            text.append(' ').append(t.getMessage());
        }
        List<String> found = tripwire.findAllIn(text);
        if (found.isEmpty()) {
            return FilterReply.NEUTRAL;
        }
        found.forEach(label -> tripped.add(label + " (logger " + event.getLoggerName() + ")"));
        return FilterReply.DENY;
    }

    /** The labels of secrets found so far, with their loggers. */
    List<String> tripped() {
        return List.copyOf(tripped);
    }
}
