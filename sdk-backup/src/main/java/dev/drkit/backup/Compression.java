package dev.drkit.backup;

/**
 * How plaintext is compressed before it is encrypted: a zstd stream at a chosen level, or not at all.
 *
 * <p>The compressed bytes form one standard zstd frame (with its content checksum), so {@code zstd -d} reads them.
 * Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * Compression fast = Compression.zstd(1);
 * Compression off = Compression.none();    // for input that is already compressed or encrypted
 * }</pre>
 *
 * @since 0.1
 */
public final class Compression {

    /** The zstd level used by {@link #zstd()}: {@value}, zstd's own default. */
    public static final int DEFAULT_ZSTD_LEVEL = 3;
    /** The lowest zstd level accepted: {@value}. */
    public static final int MIN_ZSTD_LEVEL = 1;
    /** The highest zstd level accepted: {@value}. */
    public static final int MAX_ZSTD_LEVEL = 19;

    private static final Compression NONE = new Compression(0);
    private static final Compression DEFAULT_ZSTD = new Compression(DEFAULT_ZSTD_LEVEL);

    private final int level;

    private Compression(int level) {
        this.level = level;
    }

    /** No compression: the literal data is the plaintext itself. */
    public static Compression none() {
        return NONE;
    }

    /** zstd at level {@value #DEFAULT_ZSTD_LEVEL}. */
    public static Compression zstd() {
        return DEFAULT_ZSTD;
    }

    /**
     * zstd at {@code level}.
     *
     * @throws IllegalArgumentException if {@code level} is outside {@value #MIN_ZSTD_LEVEL}..{@value #MAX_ZSTD_LEVEL}
     */
    public static Compression zstd(int level) {
        if (level < MIN_ZSTD_LEVEL || level > MAX_ZSTD_LEVEL) {
            throw new IllegalArgumentException("zstd level must be between " + MIN_ZSTD_LEVEL + " and "
                + MAX_ZSTD_LEVEL + ", but was " + level);
        }
        return level == DEFAULT_ZSTD_LEVEL ? DEFAULT_ZSTD : new Compression(level);
    }

    /** Whether this is zstd (as opposed to {@link #none()}). */
    public boolean isZstd() {
        return level != 0;
    }

    /** The zstd level, or 0 for {@link #none()}. */
    public int level() {
        return level;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Compression && ((Compression) other).level == level;
    }

    @Override
    public int hashCode() {
        return level;
    }

    @Override
    public String toString() {
        return isZstd() ? "zstd(" + level + ")" : "none";
    }
}
