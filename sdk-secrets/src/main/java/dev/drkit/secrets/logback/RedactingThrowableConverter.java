package dev.drkit.secrets.logback;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;
import dev.drkit.secrets.LeakTripwire;

/**
 * The {@code %ex} pattern converter (a throwable, its causes and stack traces) with every secret registered in
 * {@link LeakTripwire#global()} replaced by {@code [redacted:label]}. Declare it in the Logback configuration:
 *
 * <pre>{@code
 * <conversionRule conversionWord="ex" class="dev.drkit.secrets.logback.RedactingThrowableConverter"/>
 * }</pre>
 *
 * @since 0.1
 */
public final class RedactingThrowableConverter extends ThrowableProxyConverter {

    /**
     * Made by Logback from a configuration.
     *
     * @since 0.1
     */
    public RedactingThrowableConverter() {
    }

    @Override
    protected String throwableProxyToString(IThrowableProxy tp) {
        return LeakTripwire.global().redact(super.throwableProxyToString(tp));
    }
}
