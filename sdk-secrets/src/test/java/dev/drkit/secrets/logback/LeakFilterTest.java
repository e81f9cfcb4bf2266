package dev.drkit.secrets.logback;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.status.Status;
import dev.drkit.core.secret.Secret;
import dev.drkit.secrets.LeakTripwire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The filter and converters in a real Logback configuration (parsed by Joran from
 * {@code leak-filter-logback.xml}, in a logger context of its own), logging through real appenders.
 */
class LeakFilterTest {

    @TempDir
    Path dir;

    private final String value = "leak-test-" + UUID.randomUUID();
    private final String label = "kv secret/orders/api:key-" + UUID.randomUUID().toString().substring(0, 8);
    private LoggerContext context;
    private LogbackMDCAdapter mdc;
    private Path logFile;

    @BeforeEach
    void configure() throws Exception {
        try (Secret secret = Secret.ofString(value, label)) {
            LeakTripwire.global().register(secret);
        }
        logFile = dir.resolve("app.log");
        context = new LoggerContext();
        mdc = new LogbackMDCAdapter();
        context.setMDCAdapter(mdc);
        context.putProperty("leakTestLog", logFile.toString());
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(getClass().getResource("/leak-filter-logback.xml"));
    }

    @AfterEach
    void stop() {
        assertThat(context.getStatusManager().getCopyOfStatusList())
            .noneMatch(s -> s.getLevel() == Status.ERROR);
        context.stop();
    }

    @Test
    void anOrdinaryLinePassesUntouched() throws Exception {
        Logger log = context.getLogger("orders.Service");

        log.info("Order {} shipped to {}", 42, "Lisbon");

        assertThat(captured()).extracting(ILoggingEvent::getFormattedMessage)
            .containsExactly("Order 42 shipped to Lisbon");
        assertThat(Files.readString(logFile)).isEqualTo("INFO  orders.Service - Order 42 shipped to Lisbon\n");
        assertThat(filter("CAPTURED").leaks()).isZero();
        assertThat(filter("REDACTED").tripped()).isEmpty();
    }

    @Test
    void aLineCarryingASecretIsDroppedByDefaultAndRedactedWhereKept() throws Exception {
        Logger log = context.getLogger("orders.Client");

        log.info("before");
        log.warn("calling with key={}", value);
        log.warn("Authorization: Basic {}", Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
        log.warn("GET /api?key={}", URLEncoder.encode(value, StandardCharsets.UTF_8));
        log.error("call failed", new IllegalStateException("outer", new RuntimeException("bad key " + value)));
        log.info("after");

        assertThat(captured()).extracting(ILoggingEvent::getFormattedMessage).containsExactly("before", "after");
        LeakFilter dropping = filter("CAPTURED");
        assertThat(dropping.leaks()).isEqualTo(4);
        assertThat(dropping.tripped()).hasSize(4)
            .allMatch(t -> t.equals("secret '" + label + "' in an event of logger orders.Client"));

        String written = Files.readString(logFile);
        assertThat(written).doesNotContain(value)
            .doesNotContain(Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)))
            .contains("INFO  orders.Client - before\n")
            .contains("WARN  orders.Client - calling with key=[redacted:" + label + "]\n")
            .contains("WARN  orders.Client - Authorization: Basic [redacted:" + label + "]\n")
            .contains("WARN  orders.Client - GET /api?key=[redacted:" + label + "]\n")
            .contains("bad key [redacted:" + label + "]")
            .contains("INFO  orders.Client - after\n");
        assertThat(filter("REDACTED").leaks()).isEqualTo(4);

        // Flagged in Logback's status: the label and the logger, never the value.
        List<String> warnings = context.getStatusManager().getCopyOfStatusList().stream()
            .filter(s -> s.getLevel() == Status.WARN).map(Status::getMessage).toList();
        assertThat(warnings).anyMatch(w -> w.contains("secret '" + label + "'") && w.contains("orders.Client"));
        assertThat(warnings).noneMatch(w -> w.contains(value));
    }

    @Test
    void aSecretInTheMdcIsCaught() {
        Logger log = context.getLogger("orders.Mdc");
        mdc.put("token", value);
        try {
            log.info("plain text");
        } finally {
            mdc.remove("token");
        }
        assertThat(captured()).isEmpty();
        assertThat(filter("CAPTURED").leaks()).isEqualTo(1);
    }

    @Test
    void aFilterOverItsOwnTripwireIgnoresOtherSecrets() {
        LeakTripwire own = LeakTripwire.create();
        LeakFilter filter = new LeakFilter(own);
        filter.start();
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.setContext(context);
        appender.addFilter(filter);
        appender.start();
        Logger log = context.getLogger("orders.Own");
        log.setAdditive(false);
        log.addAppender(appender);

        log.info("global secret {}", value);
        try (Secret other = Secret.ofString("another-secret-value", "other")) {
            own.register(other);
        }
        log.info("own secret {}", "another-secret-value");

        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
            .containsExactly("global secret " + value);
        assertThat(filter.tripped()).containsExactly("secret 'other' in an event of logger orders.Own");
    }

    private List<ILoggingEvent> captured() {
        @SuppressWarnings("unchecked")
        ListAppender<ILoggingEvent> list = (ListAppender<ILoggingEvent>) appender("CAPTURED");
        return list.list;
    }

    private LeakFilter filter(String appenderName) {
        for (Filter<ILoggingEvent> f : appender(appenderName).getCopyOfAttachedFiltersList()) {
            if (f instanceof LeakFilter leak) {
                return leak;
            }
        }
        throw new AssertionError("no LeakFilter on " + appenderName);
    }

    private Appender<ILoggingEvent> appender(String name) {
        return context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(name);
    }
}
