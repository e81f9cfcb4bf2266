package dev.drkit.backup;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Which backups {@link BackupEngine#rotate(dev.drkit.backup.retention.RetentionPolicy, RotationOptions, boolean)}
 * applies a policy to, and how it splits them into series. A series is planned on its own, like one of restic's
 * snapshot groups: its counts, buckets and keep-within window are its own, and its newest backup is never deleted.
 *
 * <pre>{@code
 * // The default: one series per source, every backup in the store.
 * engine.rotate(policy, RotationOptions.defaults(), false);
 * // Only the backups labelled host=db1, as one series.
 * engine.rotate(policy, RotationOptions.builder().groupBy(RotationOptions.GroupBy.NONE)
 *     .label("host", "db1").build(), false);
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe; the builder is not. Equal when every setting is.
 *
 * @since 0.1
 */
public final class RotationOptions {

    /**
     * How the backups of a store are split into series.
     *
     * @since 0.1
     */
    public enum GroupBy {
        /**
         * One series per thing backed up: the source's kind and name, and for PostgreSQL backups the
         * {@link dev.drkit.backup.postgres.PgLabels#KIND kind}, {@link dev.drkit.backup.postgres.PgLabels#DATABASE
         * database} and {@link dev.drkit.backup.postgres.PgLabels#SERVER server} labels; see
         * {@link BackupInfo#series()}. The default.
         */
        SOURCE,
        /** Every backup in one series: the policy counts across the whole store (or all backups selected). */
        NONE;

        /** The series of {@code info} under this grouping: {@link BackupInfo#series()}, or {@code ""} for none. */
        public String seriesOf(BackupInfo info) {
            Objects.requireNonNull(info, "info");
            return this == SOURCE ? info.series() : "";
        }
    }

    private static final RotationOptions DEFAULTS = builder().build();

    private final GroupBy groupBy;
    private final SortedMap<String, String> labels;

    private RotationOptions(Builder builder) {
        this.groupBy = builder.groupBy;
        this.labels = Collections.unmodifiableSortedMap(new TreeMap<>(builder.labels));
    }

    /**
     * Every backup in the store, one series per source ({@link GroupBy#SOURCE}).
     *
     * @since 0.1
     */
    public static RotationOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A builder holding the defaults.
     *
     * @since 0.1
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * How backups are split into series.
     *
     * @since 0.1
     */
    public GroupBy groupBy() {
        return groupBy;
    }

    /**
     * The labels a backup must carry, all of them with these values, to be rotated; unmodifiable, sorted by key.
     * Empty: every backup. Backups without them are left alone: not planned for, never deleted.
     *
     * @since 0.1
     */
    public SortedMap<String, String> labels() {
        return labels;
    }

    /** Whether {@code info} carries every label of {@link #labels()}. */
    boolean selects(BackupInfo info) {
        return labels.entrySet().stream().allMatch(label -> label.getValue().equals(info.labels().get(label.getKey())));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RotationOptions && groupBy == ((RotationOptions) other).groupBy
            && labels.equals(((RotationOptions) other).labels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(groupBy, labels);
    }

    @Override
    public String toString() {
        return "RotationOptions[groupBy=" + groupBy.name().toLowerCase(java.util.Locale.ROOT)
            + (labels.isEmpty() ? "" : ", labels=" + labels) + "]";
    }

    /**
     * Builds {@link RotationOptions}; starts from {@link RotationOptions#defaults()}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private GroupBy groupBy = GroupBy.SOURCE;
        private final SortedMap<String, String> labels = new TreeMap<>();

        private Builder() {
        }

        /**
         * How backups are split into series; default {@link GroupBy#SOURCE}.
         *
         * @since 0.1
         */
        public Builder groupBy(GroupBy groupBy) {
            this.groupBy = Objects.requireNonNull(groupBy, "groupBy");
            return this;
        }

        /**
         * Rotate only backups whose manifest has label {@code key} with value {@code value}. Repeat for more
         * labels; a backup must carry all of them. A second call with the same key replaces the value.
         *
         * @throws IllegalArgumentException if {@code key} is empty
         * @since 0.1
         */
        public Builder label(String key, String value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (key.isEmpty()) {
                throw new IllegalArgumentException("label key must not be empty");
            }
            labels.put(key, value);
            return this;
        }

        /**
         * Several labels; see {@link #label(String, String)}.
         *
         * @since 0.1
         */
        public Builder labels(Map<String, String> labels) {
            Objects.requireNonNull(labels, "labels").forEach(this::label);
            return this;
        }

        /**
         * The options.
         *
         * @since 0.1
         */
        public RotationOptions build() {
            return new RotationOptions(this);
        }
    }
}
