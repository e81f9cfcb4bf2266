package dev.drkit.secrets.logback;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.drkit.secrets.LeakTripwire;

/**
 * The {@code %msg} pattern converter with every secret registered in {@link LeakTripwire#global()} (in any of
 * its registered forms) replaced by {@code [redacted:label]}. Declare it in the Logback configuration:
 *
 * <pre>{@code
 * <conversionRule conversionWord="msg" class="dev.drkit.secrets.logback.RedactingMessageConverter"/>
 * }</pre>
 *
 * @since 0.1
 */
public final class RedactingMessageConverter extends MessageConverter {

    /**
     * Made by Logback from a configuration.
     *
     * @since 0.1
     */
    public RedactingMessageConverter() {
    }

    @Override
    public String convert(ILoggingEvent event) {
        String message = super.convert(event);
        return message == null ? null : LeakTripwire.global().redact(message);
    }
}
