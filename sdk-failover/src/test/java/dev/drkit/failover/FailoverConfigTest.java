package dev.drkit.failover;

import dev.drkit.core.secret.CredentialsSource;
import dev.drkit.core.secret.Secret;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FailoverConfigTest {

    static final CredentialsSource CREDENTIALS = CredentialsSource.fixed("app",
        Secret.ofString("s3cret-value", "db password"));

    @Test
    void defaultsDetectAFrozenPrimaryWithinAboutASecond() {
        FailoverConfig config = FailoverConfig.builder().endpoints(Endpoint.parse("db:5432")).credentials(CREDENTIALS)
            .build();
        // Worst case: a full interval, then failAfter probes that each time out.
        Duration worst = config.probeInterval().plus(config.probeTimeout().multipliedBy(config.failAfter()))
            .plus(config.fastProbeInterval());
        assertThat(worst).isLessThanOrEqualTo(Duration.ofMillis(1000));
        assertThat(config.primaryWait()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.toBuilder().build().toString()).isEqualTo(config.toString());
    }

    @Test
    void idleConnectionCheckIsOnByDefaultAndCanBeTurnedOff() {
        FailoverConfig on = FailoverConfig.builder().endpoints(Endpoint.parse("db")).credentials(CREDENTIALS).build();
        assertThat(on.idleConnectionCheck()).isTrue();
        assertThat(on.toString()).contains("idleConnectionCheck=true");
        FailoverConfig off = on.toBuilder().idleConnectionCheck(false).build();
        assertThat(off.idleConnectionCheck()).isFalse();
        assertThat(off.toString()).contains("idleConnectionCheck=false");
        assertThat(off.toBuilder().build().idleConnectionCheck()).as("kept by toBuilder").isFalse();
    }

    @Test
    void theClusterIsUnsetByDefaultAndKeptOnceSet() {
        FailoverConfig none = FailoverConfig.builder().endpoints(Endpoint.parse("db")).credentials(CREDENTIALS).build();
        assertThat(none.systemIdentifier()).isEmpty();
        // system identifiers are unsigned 64-bit numbers; pg_controldata prints this one as 18446744073709551615
        FailoverConfig set = none.toBuilder().systemIdentifier(-1L).build();
        assertThat(set.systemIdentifier()).hasValue(-1L);
        assertThat(set.toString()).contains("systemIdentifier=18446744073709551615");
        assertThat(set.toBuilder().build().systemIdentifier()).as("kept by toBuilder").hasValue(-1L);
        assertThatThrownBy(() -> FailoverConfig.builder().systemIdentifier(0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("systemIdentifier");
    }

    @Test
    void toStringShowsNoSecret() {
        FailoverConfig config = FailoverConfig.builder().endpoints(Endpoint.parse("db")).credentials(CREDENTIALS)
            .connectionProperty("sslpassword", "another-secret").build();
        assertThat(config.toString()).doesNotContain("s3cret-value", "another-secret").contains("sslpassword");
    }

    @Test
    void rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> FailoverConfig.builder().failAfter(0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("failAfter").hasMessageContaining("0");
        assertThatThrownBy(() -> FailoverConfig.builder().probeTimeout(Duration.ofMillis(10)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("probeTimeout");
        assertThatThrownBy(() -> FailoverConfig.builder().endpoints(Endpoint.parse("a:1"), Endpoint.parse("a:1")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a:1");
        assertThatThrownBy(() -> FailoverConfig.builder().connectionProperty("password", "x"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("password");
        assertThatThrownBy(() -> FailoverConfig.builder().credentials(CREDENTIALS).build())
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("endpoints");
        assertThatThrownBy(() -> FailoverConfig.builder().endpoints(Endpoint.parse("a")).credentials(CREDENTIALS)
            .primaryWait(Duration.ofMillis(100)).probeTimeout(Duration.ofMillis(200)).build())
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("primaryWait");
    }

    @Test
    void refusesAFastProbeIntervalLongerThanTheProbeInterval() {
        assertThatThrownBy(() -> FailoverConfig.builder().endpoints(Endpoint.parse("a")).credentials(CREDENTIALS)
            .probeInterval(Duration.ofMillis(100)).fastProbeInterval(Duration.ofMillis(200)).build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("fastProbeInterval (PT0.2S) must not be longer than probeInterval (PT0.1S)");
        assertThat(FailoverConfig.builder().endpoints(Endpoint.parse("a")).credentials(CREDENTIALS)
            .probeInterval(Duration.ofMillis(100)).fastProbeInterval(Duration.ofMillis(100)).build().fastProbeInterval())
            .isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void refusesTheSameHostTwiceWhateverItsCase() {
        assertThatThrownBy(() -> FailoverConfig.builder().endpoints(Endpoint.parse("DB-A:5432"),
            Endpoint.parse("db-a:5432")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not repeat");
        assertThat(FailoverConfig.builder().endpoints(Endpoint.parse("db-a:5432"), Endpoint.parse("db-a:5433")))
            .isNotNull();
    }

    @Test
    void aPoolCustomizerThatBreaksTheHikariConfigurationFailsAtCreate() {
        // HikariCP refuses a data source class beside the driver class drkit sets: every pool would fail to open
        FailoverConfig config = FailoverConfig.builder().endpoints(Endpoint.parse("127.0.0.1:1"))
            .credentials(CREDENTIALS)
            .poolCustomizer(c -> c.setDataSourceClassName("org.postgresql.ds.PGSimpleDataSource")).build();
        assertThatThrownBy(() -> FailoverDataSource.create(config).close())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("poolCustomizer").hasMessageContaining("dataSourceClassName");
    }

    @Test
    void parsesEndpoints() {
        assertThat(Endpoint.parse("db-a.internal:5433")).isEqualTo(Endpoint.of("db-a.internal", 5433));
        assertThat(Endpoint.parse("db").port()).isEqualTo(5432);
        assertThat(Endpoint.parse("[::1]:6432").id()).isEqualTo("[::1]:6432");
        assertThatThrownBy(() -> Endpoint.parse("db:x")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("db:x");
        assertThatThrownBy(() -> Endpoint.of("db", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Endpoint.parse("[::1]").port()).isEqualTo(5432);
        assertThatThrownBy(() -> Endpoint.parse("[::1]5432")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("colon after the bracket").hasMessageContaining("[::1]5432");
        assertThatThrownBy(() -> Endpoint.parse("::1")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("in brackets").hasMessageContaining("\"::1\"");
        assertThatThrownBy(() -> Endpoint.parse("fe80::1:5432")).isInstanceOf(IllegalArgumentException.class);
    }
}
