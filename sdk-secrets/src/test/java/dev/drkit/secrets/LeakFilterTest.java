package dev.drkit.secrets;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class LeakFilterTest {

    @Test
    void deniesEventsCarryingASecretAndNamesOnlyItsLabel() {
        LeakTripwire tripwire = LeakTripwire.create();
        tripwire.register(Secret.ofString("s3cr3t-value-for-filter", "api-key"));
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger logger = context.getLogger("leak-filter-test");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        LeakFilter filter = new LeakFilter(tripwire);
        appender.addFilter(filter);
        appender.setContext(context);
        appender.start();
        logger.addAppender(appender);
        try {
            logger.warn("harmless line");
            logger.warn("key={}", "s3cr3t-value-for-filter");
            logger.warn("failed", new IllegalStateException("auth " + Base64.getEncoder()
                .encodeToString("s3cr3t-value-for-filter".getBytes())));

            assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("harmless line");
            assertThat(filter.tripped()).containsExactly("api-key (logger leak-filter-test)",
                "api-key (logger leak-filter-test)");
        } finally {
            logger.detachAppender(appender);
        }
    }
}
