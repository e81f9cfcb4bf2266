package dev.drkit.secrets;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Captures every log event of the whole process (the root logger, every level from DEBUG up, whatever
 * logback-test.xml says) as text: the formatted message, the arguments, and each throwable's class and message,
 * causes included. Restores the root logger on {@link #close()}.
 */
final class LogLines extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Level before = root.getLevel();
    private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();

    private LogLines() {
        setContext(root.getLoggerContext());
        setName("log-lines");
        start();
        root.addAppender(this);
        root.setLevel(Level.DEBUG);
    }

    static LogLines capture() {
        return new LogLines();
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        events.add(event);
    }

    /** Every line, as text. */
    List<String> lines() {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : events) {
            out.add(text(e));
        }
        return out;
    }

    /** The lines at {@code level}. */
    List<String> lines(Level level) {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : events) {
            if (e.getLevel().equals(level)) {
                out.add(text(e));
            }
        }
        return out;
    }

    /** The lines of drkit's own loggers, as text. */
    List<String> drkitLines() {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : events) {
            if (e.getLoggerName().startsWith("dev.drkit")) {
                out.add(text(e));
            }
        }
        return out;
    }

    private static String text(ILoggingEvent e) {
        StringBuilder sb = new StringBuilder();
        sb.append(e.getLevel()).append(' ').append(e.getLoggerName()).append(" - ").append(e.getFormattedMessage());
        if (e.getArgumentArray() != null) {
            for (Object a : e.getArgumentArray()) {
                sb.append(" | ").append(a);
            }
        }
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            sb.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
        }
        return sb.toString();
    }

    @Override
    public void close() {
        root.detachAppender(this);
        root.setLevel(before);
        stop();
    }
}
