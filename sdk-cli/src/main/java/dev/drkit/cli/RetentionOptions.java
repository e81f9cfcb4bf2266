package dev.drkit.cli;

import dev.drkit.backup.retention.RetentionDuration;
import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.cli.RetentionCommand.CountConverter;
import dev.drkit.cli.RetentionCommand.DurationConverter;
import dev.drkit.cli.RetentionCommand.ZoneConverter;
import picocli.CommandLine.Option;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The keep options that {@code drkit retention plan} and {@code drkit rotate} share, and the policy they make. */
final class RetentionOptions {

    @Option(names = "--keep-last", paramLabel = "N", converter = CountConverter.class,
        description = "Keep the N newest backups ('unlimited' for all).")
    Integer last;

    @Option(names = "--keep-hourly", paramLabel = "N", converter = CountConverter.class,
        description = "Keep the newest backup of each of the N newest hours with backups.")
    Integer hourly;

    @Option(names = "--keep-daily", paramLabel = "N", converter = CountConverter.class,
        description = "Keep the newest backup of each of the N newest days with backups.")
    Integer daily;

    @Option(names = "--keep-weekly", paramLabel = "N", converter = CountConverter.class,
        description = "Keep the newest backup of each of the N newest ISO weeks (Monday to Sunday) with backups.")
    Integer weekly;

    @Option(names = "--keep-monthly", paramLabel = "N", converter = CountConverter.class,
        description = "Keep the newest backup of each of the N newest months with backups.")
    Integer monthly;

    @Option(names = "--keep-yearly", paramLabel = "N", converter = CountConverter.class,
        description = "Keep the newest backup of each of the N newest years with backups.")
    Integer yearly;

    @Option(names = "--keep-within", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Keep every backup within DURATION of the newest, like 30d, 6m or 1y2m3d4h "
            + "(y, m, d, h).")
    RetentionDuration within;

    @Option(names = "--keep-within-hourly", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Keep the newest backup of each hour within DURATION of the newest backup.")
    RetentionDuration withinHourly;

    @Option(names = "--keep-within-daily", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Keep the newest backup of each day within DURATION of the newest backup.")
    RetentionDuration withinDaily;

    @Option(names = "--keep-within-weekly", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Keep the newest backup of each ISO week within DURATION of the newest backup.")
    RetentionDuration withinWeekly;

    @Option(names = "--keep-within-monthly", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Keep the newest backup of each month within DURATION of the newest backup.")
    RetentionDuration withinMonthly;

    @Option(names = "--keep-within-yearly", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Keep the newest backup of each year within DURATION of the newest backup.")
    RetentionDuration withinYearly;

    @Option(names = "--keep-tag", paramLabel = "TAG[,TAG...]",
        description = "Keep every backup with all these tags; repeat the option for alternatives.")
    List<String> tags = new ArrayList<>();

    @Option(names = "--zone", paramLabel = "ZONE", converter = ZoneConverter.class, defaultValue = "UTC",
        description = "The time zone of the calendar buckets, like Europe/Berlin (default: ${DEFAULT-VALUE}).")
    ZoneId zone;

    /** The policy the options describe; drkit's defaults when no --keep option is given. */
    RetentionPolicy policy() {
        boolean anyKeep = last != null || hourly != null || daily != null || weekly != null || monthly != null
            || yearly != null || within != null || withinHourly != null || withinDaily != null
            || withinWeekly != null || withinMonthly != null || withinYearly != null || !tags.isEmpty();
        if (!anyKeep) {
            return RetentionPolicy.defaults().toBuilder().zone(zone).build();
        }
        RetentionPolicy.Builder builder = RetentionPolicy.builder().zone(zone)
            .keepLast(orZero(last)).keepHourly(orZero(hourly)).keepDaily(orZero(daily))
            .keepWeekly(orZero(weekly)).keepMonthly(orZero(monthly)).keepYearly(orZero(yearly))
            .keepWithin(orZero(within)).keepWithinHourly(orZero(withinHourly))
            .keepWithinDaily(orZero(withinDaily)).keepWithinWeekly(orZero(withinWeekly))
            .keepWithinMonthly(orZero(withinMonthly)).keepWithinYearly(orZero(withinYearly));
        for (String tagList : tags) {
            builder.keepTag(Arrays.stream(tagList.split(",", -1)).toArray(String[]::new));
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException empty) {
            throw new IllegalArgumentException("the --keep options keep nothing (every count 0, every duration"
                + " zero); give at least one above 0, or none for the defaults (7 daily, 4 weekly, 12 monthly)");
        }
    }

    private static int orZero(Integer count) {
        return count == null ? 0 : count;
    }

    private static RetentionDuration orZero(RetentionDuration duration) {
        return duration == null ? RetentionDuration.ZERO : duration;
    }
}
