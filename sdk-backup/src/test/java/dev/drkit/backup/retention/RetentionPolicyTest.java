package dev.drkit.backup.retention;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Building policies and backups: defaults, validation with messages that name the bad value, copies. */
class RetentionPolicyTest {

    @Test
    void defaultsAreSevenDailyFourWeeklyTwelveMonthlyInUtc() {
        RetentionPolicy defaults = RetentionPolicy.defaults();

        assertThat(defaults.keepDaily()).isEqualTo(7);
        assertThat(defaults.keepWeekly()).isEqualTo(4);
        assertThat(defaults.keepMonthly()).isEqualTo(12);
        assertThat(defaults.keepLast()).isZero();
        assertThat(defaults.keepHourly()).isZero();
        assertThat(defaults.keepYearly()).isZero();
        assertThat(defaults.keepWithin()).isEqualTo(RetentionDuration.ZERO);
        assertThat(defaults.keepTags()).isEmpty();
        assertThat(defaults.zone()).isEqualTo(ZoneId.of("UTC"));
        assertThat(defaults).hasToString("keep 7 daily, 4 weekly, 12 monthly; in UTC");
    }

    @Test
    void rejectsAPolicyThatKeepsNothing() {
        assertThatThrownBy(() -> RetentionPolicy.builder().build())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("a retention policy must keep something, but every rule was off (each count 0, each duration"
                + " zero, no tag); keepLast(1) keeps only the newest backup");
        assertThatThrownBy(() -> RetentionPolicy.defaults().toBuilder().keepDaily(0).keepWeekly(0).keepMonthly(0)
            .keepWithin(RetentionDuration.ZERO).zone(ZoneId.of("Europe/Berlin")).build())
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anyOneRuleIsEnough() {
        assertThat(RetentionPolicy.builder().keepLast(1).build().keepLast()).isEqualTo(1);
        assertThat(RetentionPolicy.builder().keepYearly(RetentionPolicy.UNLIMITED).build().keepYearly()).isEqualTo(-1);
        assertThat(RetentionPolicy.builder().keepWithinHourly(RetentionDuration.parse("1h")).build()).isNotNull();
        assertThat(RetentionPolicy.builder().keepTag("pinned").build().keepTags()).containsExactly(Set.of("pinned"));
    }

    @Test
    void rejectsNegativeCountsOtherThanUnlimited() {
        assertThatThrownBy(() -> RetentionPolicy.builder().keepDaily(-2))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("keepDaily must be 0 or more, or UNLIMITED (-1), but was -2");
        assertThatThrownBy(() -> RetentionPolicy.builder().keepLast(Integer.MIN_VALUE))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("keepLast must be");
    }

    @Test
    void rejectsBadTagsNamingThem() {
        assertThatThrownBy(() -> RetentionPolicy.builder().keepTag())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("keepTag needs at least one tag");
        assertThatThrownBy(() -> RetentionPolicy.builder().keepTag("a,b"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("tag must be 1 to 100 characters without whitespace, comma or control characters,"
                + " but was \"a,b\"");
        assertThatThrownBy(() -> RetentionPolicy.builder().keepTag("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetentionPolicy.builder().keepTag("two words"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetentionPolicy.builder().keepTag((String) null))
            .isInstanceOf(NullPointerException.class)
            .hasMessage("tag");
    }

    @Test
    void describesItselfInWords() {
        RetentionPolicy policy = RetentionPolicy.builder()
            .keepLast(3).keepDaily(7).keepYearly(RetentionPolicy.UNLIMITED)
            .keepWithin(RetentionDuration.parse("2d")).keepWithinWeekly(RetentionDuration.parse("1y"))
            .keepTag("pinned").keepTag("prod", "db")
            .zone(ZoneId.of("Europe/Berlin"))
            .build();

        assertThat(policy).hasToString(
            "keep 3 last, 7 daily, all yearly; weekly within 1y; within 2d; tag pinned; tags db,prod;"
                + " in Europe/Berlin");
    }

    @Test
    void toBuilderKeepsEverySettingAndEqualityCoversThemAll() {
        RetentionPolicy policy = RetentionPolicy.builder()
            .keepLast(1).keepHourly(2).keepDaily(3).keepWeekly(4).keepMonthly(5).keepYearly(6)
            .keepWithin(RetentionDuration.parse("1d")).keepWithinHourly(RetentionDuration.parse("2d"))
            .keepWithinDaily(RetentionDuration.parse("3d")).keepWithinWeekly(RetentionDuration.parse("4d"))
            .keepWithinMonthly(RetentionDuration.parse("5d")).keepWithinYearly(RetentionDuration.parse("6d"))
            .keepTag("a").zone(ZoneId.of("Asia/Kolkata"))
            .build();

        RetentionPolicy copy = policy.toBuilder().build();
        assertThat(copy).isEqualTo(policy).hasSameHashCodeAs(policy).hasToString(policy.toString());
        // Each setting on its own makes a different policy.
        Set<RetentionPolicy> variants = new HashSet<>(List.of(policy,
            policy.toBuilder().keepLast(9).build(), policy.toBuilder().keepHourly(9).build(),
            policy.toBuilder().keepDaily(9).build(), policy.toBuilder().keepWeekly(9).build(),
            policy.toBuilder().keepMonthly(9).build(), policy.toBuilder().keepYearly(9).build(),
            policy.toBuilder().keepWithin(RetentionDuration.parse("9d")).build(),
            policy.toBuilder().keepWithinHourly(RetentionDuration.parse("9d")).build(),
            policy.toBuilder().keepWithinDaily(RetentionDuration.parse("9d")).build(),
            policy.toBuilder().keepWithinWeekly(RetentionDuration.parse("9d")).build(),
            policy.toBuilder().keepWithinMonthly(RetentionDuration.parse("9d")).build(),
            policy.toBuilder().keepWithinYearly(RetentionDuration.parse("9d")).build(),
            policy.toBuilder().keepTag("b").build(),
            policy.toBuilder().zone(ZoneId.of("UTC")).build()));
        assertThat(variants).hasSize(15);
    }

    @Test
    void theBuilderDoesNotChangeAPolicyItWasCopiedFrom() {
        RetentionPolicy policy = RetentionPolicy.builder().keepTag("a").build();
        RetentionPolicy.Builder builder = policy.toBuilder();
        builder.keepTag("b").keepDaily(3);

        assertThat(policy.keepTags()).containsExactly(Set.of("a"));
        assertThat(policy.keepDaily()).isZero();
        assertThatThrownBy(() -> policy.keepTags().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void backupsCheckTheirIdTimeAndTags() {
        Instant time = Instant.parse("2026-11-20T03:00:00Z");

        assertThat(Backup.of("b-1", time, Set.of("z", "a")).tags()).containsExactly("a", "z");
        assertThatThrownBy(() -> Backup.of(" ", time))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("id must be 1 to 200 characters, not blank, without control characters, but was \" \"");
        assertThatThrownBy(() -> Backup.of("a\nb", time))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("but was \"a\\u000ab\"");
        assertThatThrownBy(() -> Backup.of("x".repeat(201), time)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Backup.of("b-1", Instant.parse("-0001-12-31T23:59:59Z")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("time must be between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z, but was"
                + " -0001-12-31T23:59:59Z for backup 'b-1'");
        assertThatThrownBy(() -> Backup.of("b-1", Instant.MAX)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Backup.of("b-1", time, Set.of("a b")))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Backup.of("b-1", null)).isInstanceOf(NullPointerException.class).hasMessage("time");
    }

    @Test
    void backupsAreValues() {
        Instant time = Instant.parse("2026-11-20T03:00:00Z");

        assertThat(Backup.of("b", time, Set.of("x"))).isEqualTo(Backup.of("b", time, Set.of("x")))
            .hasSameHashCodeAs(Backup.of("b", time, Set.of("x")))
            .isNotEqualTo(Backup.of("b", time))
            .hasToString("Backup[b at 2026-11-20T03:00:00Z, tags x]");
        assertThatThrownBy(() -> Backup.of("b", time, Set.of("x")).tags().add("y"))
            .isInstanceOf(UnsupportedOperationException.class);
    }
}
