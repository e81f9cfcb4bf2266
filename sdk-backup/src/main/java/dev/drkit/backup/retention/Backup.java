package dev.drkit.backup.retention;

import java.time.Instant;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A backup as retention sees it: an id, the time it was taken, its tags, and the series it belongs to. Nothing
 * else about a backup (size, store, checksums) matters to a {@link RetentionPolicy}.
 *
 * <p>A <b>series</b> is a run of backups of one thing (one directory, one database), like restic's snapshot groups:
 * a policy is applied to each series on its own, so backups of one thing never push out backups of another.
 * Backups made with {@link #of} are all in the unnamed series {@code ""}; {@link #inSeries(String)} puts one in a
 * named series.
 *
 * <p>Instances are immutable and thread-safe. Two backups are equal when id, time, tags and series are.
 *
 * <pre>{@code
 * Backup nightly = Backup.of("2026-11-20-0300", Instant.parse("2026-11-20T03:00:00Z"), Set.of("nightly"))
 *     .inSeries("directory vault");
 * }</pre>
 *
 * @since 0.1
 */
public final class Backup {

    /**
     * The longest id accepted: {@value} characters.
     *
     * @since 0.1
     */
    public static final int MAX_ID_LENGTH = 200;

    /**
     * The longest tag accepted: {@value} characters.
     *
     * @since 0.1
     */
    public static final int MAX_TAG_LENGTH = 100;

    /**
     * The longest series name accepted: {@value} characters.
     *
     * @since 0.1
     */
    public static final int MAX_SERIES_LENGTH = 1000;

    /**
     * The earliest time accepted, the start of year 0000 (UTC): far enough back for any backup, and it keeps
     * calendar arithmetic (years back from a time, in any zone) well within {@link java.time.LocalDateTime}'s range.
     *
     * @since 0.1
     */
    public static final Instant MIN_TIME = Instant.parse("0000-01-01T00:00:00Z");

    /**
     * The latest time accepted, the end of year 9999 (UTC).
     *
     * @since 0.1
     */
    public static final Instant MAX_TIME = Instant.parse("9999-12-31T23:59:59.999999999Z");

    private final String id;
    private final Instant time;
    private final SortedSet<String> tags;
    private final String series;

    private Backup(String id, Instant time, SortedSet<String> tags, String series) {
        this.id = id;
        this.time = time;
        this.tags = tags;
        this.series = series;
    }

    /**
     * A backup without tags.
     *
     * @see #of(String, Instant, Set)
     * @since 0.1
     */
    public static Backup of(String id, Instant time) {
        return of(id, time, Set.of());
    }

    /**
     * A backup.
     *
     * @param id   what identifies it in its store; 1 to {@value #MAX_ID_LENGTH} characters, not blank, no control
     *             characters. Ids must be unique within one plan; among backups taken at the same instant, the
     *             one with the smaller id (by {@link String#compareTo}) counts as the newer
     * @param time when it was taken, between {@link #MIN_TIME} and {@link #MAX_TIME}
     * @param tags its tags, copied; each 1 to {@value #MAX_TAG_LENGTH} characters with no whitespace, comma or
     *             control character (a comma separates the tags of one {@code --keep-tag} option)
     * @throws IllegalArgumentException if an argument breaks these rules; the message names the value
     * @since 0.1
     */
    public static Backup of(String id, Instant time, Set<String> tags) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(tags, "tags");
        if (id.isBlank() || id.length() > MAX_ID_LENGTH || id.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("id must be 1 to " + MAX_ID_LENGTH
                + " characters, not blank, without control characters, but was \"" + shown(id) + "\"");
        }
        if (time.isBefore(MIN_TIME) || time.isAfter(MAX_TIME)) {
            throw new IllegalArgumentException("time must be between " + MIN_TIME + " and " + MAX_TIME
                + ", but was " + time + " for backup '" + id + "'");
        }
        SortedSet<String> copy = new TreeSet<>();
        for (String tag : tags) {
            copy.add(checkTag(tag, "tag"));
        }
        return new Backup(id, time, Collections.unmodifiableSortedSet(copy), "");
    }

    /**
     * This backup in the series {@code series}: the same id, time and tags.
     *
     * @param series the series' name: up to {@value #MAX_SERIES_LENGTH} characters without control characters;
     *               {@code ""} for the unnamed series every backup made by {@link #of} is in
     * @throws IllegalArgumentException if {@code series} breaks these rules; the message names it
     * @since 0.1
     */
    public Backup inSeries(String series) {
        Objects.requireNonNull(series, "series");
        if (series.length() > MAX_SERIES_LENGTH || series.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("series must be up to " + MAX_SERIES_LENGTH
                + " characters without control characters, but was \"" + shown(series) + "\"");
        }
        return new Backup(id, time, tags, series);
    }

    /**
     * Whether {@code tag} is a valid tag: 1 to {@value #MAX_TAG_LENGTH} characters with no whitespace, comma or
     * control character.
     */
    public static boolean isValidTag(String tag) {
        Objects.requireNonNull(tag, "tag");
        return !tag.isEmpty() && tag.length() <= MAX_TAG_LENGTH
            && tag.chars().noneMatch(c -> c == ',' || Character.isWhitespace(c) || Character.isISOControl(c)
                || Character.isSpaceChar(c));
    }

    /** {@code tag} if it {@linkplain #isValidTag(String) is a valid tag}. */
    static String checkTag(String tag, String argumentName) {
        Objects.requireNonNull(tag, argumentName);
        if (!isValidTag(tag)) {
            throw new IllegalArgumentException(argumentName + " must be 1 to " + MAX_TAG_LENGTH
                + " characters without whitespace, comma or control characters, but was \"" + shown(tag) + "\"");
        }
        return tag;
    }

    /** A value for an error message: on one line, and not endless. */
    private static String shown(String value) {
        StringBuilder shown = new StringBuilder();
        value.codePoints().limit(MAX_ID_LENGTH + 20L).forEach(c -> {
            if (Character.isISOControl(c)) {
                shown.append(String.format("\\u%04x", c));
            } else {
                shown.appendCodePoint(c);
            }
        });
        return value.codePointCount(0, value.length()) > MAX_ID_LENGTH + 20 ? shown + "..." : shown.toString();
    }

    /**
     * What identifies this backup in its store.
     *
     * @since 0.1
     */
    public String id() {
        return id;
    }

    /**
     * When this backup was taken.
     *
     * @since 0.1
     */
    public Instant time() {
        return time;
    }

    /**
     * Its tags, unmodifiable, in alphabetical order.
     *
     * @since 0.1
     */
    public Set<String> tags() {
        return tags;
    }

    /**
     * The series this backup belongs to; {@code ""}, the unnamed series, unless {@link #inSeries(String)} said
     * otherwise.
     *
     * @since 0.1
     */
    public String series() {
        return series;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof Backup)) {
            return false;
        }
        Backup that = (Backup) other;
        return id.equals(that.id) && time.equals(that.time) && tags.equals(that.tags) && series.equals(that.series);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, time, tags, series);
    }

    @Override
    public String toString() {
        return "Backup[" + id + " at " + time + (tags.isEmpty() ? "" : ", tags " + String.join(",", tags))
            + (series.isEmpty() ? "" : ", series " + series) + "]";
    }
}
