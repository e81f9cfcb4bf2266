package dev.drkit.cli;

import dev.drkit.backup.retention.RetentionDuration;
import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.cli.RetentionCommand.CountConverter;
import dev.drkit.cli.RetentionCommand.DurationConverter;
import dev.drkit.cli.RetentionCommand.ZoneConverter;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The keep options that {@code drkit retention plan} and {@code drkit rotate} share, and the policy they make. */
final class RetentionOptions {

    @Option(names = "--keep-last", paramLabel = "N",
        description = "Keep the N newest backups ('unlimited' for all).")
    String last;

    @Option(names = "--keep-hourly", paramLabel = "N",
        description = "Keep the newest backup of each of the N newest hours with backups.")
    String hourly;

    @Option(names = "--keep-daily", paramLabel = "N",
        description = "Keep the newest backup of each of the N newest days with backups.")
    String daily;

    @Option(names = "--keep-weekly", paramLabel = "N",
        description = "Keep the newest backup of each of the N newest ISO weeks (Monday to Sunday) with backups.")
    String weekly;

    @Option(names = "--keep-monthly", paramLabel = "N",
        description = "Keep the newest backup of each of the N newest months with backups.")
    String monthly;

    @Option(names = "--keep-yearly", paramLabel = "N",
        description = "Keep the newest backup of each of the N newest years with backups.")
    String yearly;

    @Option(names = "--keep-within", paramLabel = "DURATION",
        description = "Keep every backup within DURATION of the newest, like 30d, 6m or 1y2m3d4h "
            + "(y, m, d, h).")
    String within;

    @Option(names = "--keep-within-hourly", paramLabel = "DURATION",
        description = "Keep the newest backup of each hour within DURATION of the newest backup.")
    String withinHourly;

    @Option(names = "--keep-within-daily", paramLabel = "DURATION",
        description = "Keep the newest backup of each day within DURATION of the newest backup.")
    String withinDaily;

    @Option(names = "--keep-within-weekly", paramLabel = "DURATION",
        description = "Keep the newest backup of each ISO week within DURATION of the newest backup.")
    String withinWeekly;

    @Option(names = "--keep-within-monthly", paramLabel = "DURATION",
        description = "Keep the newest backup of each month within DURATION of the newest backup.")
    String withinMonthly;

    @Option(names = "--keep-within-yearly", paramLabel = "DURATION",
        description = "Keep the newest backup of each year within DURATION of the newest backup.")
    String withinYearly;

    @Option(names = "--keep-tag", paramLabel = "TAG[,TAG...]",
        description = "Keep every backup with all these tags; repeat the option for alternatives.")
    List<String> tags = new ArrayList<>();

    @Option(names = "--zone", paramLabel = "ZONE", defaultValue = "UTC",
        description = "The time zone of the calendar buckets, like Europe/Berlin (default: ${DEFAULT-VALUE}).")
    String zone;

    /**
     * The zone of {@code --zone}.
     *
     * @throws IllegalArgumentException if it is not a zone; the message, one line, names the option
     */
    ZoneId zone() {
        return convert("--zone", zone, new ZoneConverter());
    }

    /**
     * The policy the options describe; drkit's defaults when no --keep option is given.
     *
     * @throws IllegalArgumentException if a value is bad or the options keep nothing; the message is one line and
     *                                  names the option
     */
    RetentionPolicy policy() {
        boolean anyKeep = last != null || hourly != null || daily != null || weekly != null || monthly != null
            || yearly != null || within != null || withinHourly != null || withinDaily != null
            || withinWeekly != null || withinMonthly != null || withinYearly != null || !tags.isEmpty();
        if (!anyKeep) {
            return RetentionPolicy.defaults().toBuilder().zone(zone()).build();
        }
        // The values are converted here, not by picocli while it parses, so that a bad one is the one line that
        // docs/retention.md promises rather than picocli's message followed by the whole usage text.
        RetentionPolicy.Builder builder = RetentionPolicy.builder().zone(zone())
            .keepLast(count("--keep-last", last)).keepHourly(count("--keep-hourly", hourly))
            .keepDaily(count("--keep-daily", daily)).keepWeekly(count("--keep-weekly", weekly))
            .keepMonthly(count("--keep-monthly", monthly)).keepYearly(count("--keep-yearly", yearly))
            .keepWithin(duration("--keep-within", within))
            .keepWithinHourly(duration("--keep-within-hourly", withinHourly))
            .keepWithinDaily(duration("--keep-within-daily", withinDaily))
            .keepWithinWeekly(duration("--keep-within-weekly", withinWeekly))
            .keepWithinMonthly(duration("--keep-within-monthly", withinMonthly))
            .keepWithinYearly(duration("--keep-within-yearly", withinYearly));
        for (String tagList : tags) {
            try {
                builder.keepTag(Arrays.stream(tagList.split(",", -1)).toArray(String[]::new));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid value for option '--keep-tag': " + e.getMessage(), e);
            }
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException empty) {
            throw new IllegalArgumentException("the --keep options keep nothing (every count 0, every duration"
                + " zero); give at least one above 0, or none for the defaults (7 daily, 4 weekly, 12 monthly)");
        }
    }

    private static int count(String option, String value) {
        Integer count = convert(option, value, new CountConverter());
        return count == null ? 0 : count;
    }

    private static RetentionDuration duration(String option, String value) {
        RetentionDuration duration = convert(option, value, new DurationConverter());
        return duration == null ? RetentionDuration.ZERO : duration;
    }

    /**
     * {@code value}, given as {@code option}, converted; null when not given.
     *
     * @throws IllegalArgumentException if the converter rejects it: one line, naming the option and why
     */
    static <T> T convert(String option, String value, ITypeConverter<T> converter) {
        if (value == null) {
            return null;
        }
        try {
            return converter.convert(value);
        } catch (Exception e) {
            String why = e instanceof TypeConversionException ? e.getMessage() : "'" + value + "' cannot be read";
            throw new IllegalArgumentException(("invalid value for option '" + option + "': " + why)
                .replaceAll("\\p{Cntrl}", "?"), e);
        }
    }
}
