package dev.drkit.postgres.internal;

import dev.drkit.core.secret.Secret;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgConfTest {

    @Test
    void quotesValuesTheWayPostgresqlConfReadsThem() {
        assertThat(PgConf.quote("on")).isEqualTo("'on'");
        assertThat(PgConf.quote("it's")).isEqualTo("'it''s'");
        assertThat(PgConf.quote("C:\\dir")).isEqualTo("'C:\\\\dir'");
        assertThatThrownBy(() -> PgConf.quote("a\nb")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rendersOneQuotedLinePerSettingInOrder() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("port", "5432");
        settings.put("synchronous_standby_names", "FIRST 1 (\"r1\")");

        assertThat(PgConf.render("header", settings))
            .isEqualTo("# header\nport = '5432'\nsynchronous_standby_names = 'FIRST 1 (\"r1\")'\n");
        assertThatThrownBy(() -> PgConf.render("h", Map.of("bad name", "x")))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void dropsOnlyTheNamedSettingsFromAnAutoConf() {
        String auto = "# Do not edit\nprimary_conninfo = 'host=a'\nwork_mem = '4MB'\nprimary_slot_name='s'\n"
            + "primary_conninfo_extra = 'x'\n";

        assertThat(PgConf.withoutSettings(auto, List.of("primary_conninfo", "primary_slot_name")))
            .isEqualTo("# Do not edit\nwork_mem = '4MB'\nprimary_conninfo_extra = 'x'\n");
    }

    @Test
    void removesSettingsInEveryFormAndTheIncludeDirectives() {
        String auto = "listen_addresses '0.0.0.0'\n  LISTEN_ADDRESSES='::'\n\tPort = 1\nlisten_addresses\n"
            + "include 'more.conf'\nInclude_If_Exists = 'x.conf'\ninclude_dir 'conf.d'\nwork_mem 4MB\n"
            + "# listen_addresses = '*'\nlisten_addresses_extra = 'x'\n";

        assertThat(PgConf.withoutSettings(auto, List.of("listen_addresses", "port")))
            .isEqualTo("work_mem 4MB\n# listen_addresses = '*'\nlisten_addresses_extra = 'x'\n");
    }

    @Test
    void escapesConninfoValues() {
        assertThat(PgConf.conninfoValue("/tmp/a b/pgpass")).isEqualTo("'/tmp/a b/pgpass'");
        assertThat(PgConf.conninfoValue("it's\\")).isEqualTo("'it\\'s\\\\'");
    }

    @Test
    void writesAPgpassLineWithColonsAndBackslashesEscaped() {
        try (Secret password = Secret.ofString("pa:ss\\word", "test");
             Secret line = PgConf.pgpassLine("127.0.0.1", 5432, "postgres", password)) {
            assertThat(new String(line.revealBytes(), StandardCharsets.UTF_8))
                .isEqualTo("127.0.0.1:5432:*:postgres:pa\\:ss\\\\word\n");
            assertThat(line.toString()).doesNotContain("pa:ss");
        }
    }
}
