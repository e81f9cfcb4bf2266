package dev.drkit.backup;

import java.util.Objects;

/**
 * What {@link BackupPipeline#encryptingStream(java.io.OutputStream, PipelineSettings)} does to the bytes:
 * the {@link Compression} applied first, then the {@link Encryption}.
 *
 * <p>Instances are immutable and thread-safe; the builder is not.
 *
 * <pre>{@code
 * PipelineSettings settings = PipelineSettings.builder(Encryption.passphrase(passphrase))
 *     .compression(Compression.zstd(1))
 *     .build();
 * }</pre>
 *
 * @since 0.1
 */
public final class PipelineSettings {

    private final Encryption encryption;
    private final Compression compression;
    private final int compressionThreads;

    private PipelineSettings(Builder builder) {
        this.encryption = builder.encryption;
        this.compression = builder.compression;
        this.compressionThreads = builder.compressionThreads;
    }

    /** Settings with {@code encryption} and the default compression ({@link Compression#zstd()}). */
    public static PipelineSettings of(Encryption encryption) {
        return builder(encryption).build();
    }

    /** A builder starting from {@code encryption} and the default compression. */
    public static Builder builder(Encryption encryption) {
        return new Builder(encryption);
    }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        return new Builder(encryption).compression(compression).compressionThreads(compressionThreads);
    }

    /** How the compressed bytes are encrypted. */
    public Encryption encryption() {
        return encryption;
    }

    /** How the plaintext is compressed before encryption. */
    public Compression compression() {
        return compression;
    }

    /**
     * How many threads of its own zstd compresses with: 0 (the default) compresses on the thread that writes.
     * Either way the output is one standard zstd frame.
     */
    public int compressionThreads() {
        return compressionThreads;
    }

    @Override
    public String toString() {
        return "PipelineSettings[encryption=" + encryption + ", compression=" + compression
            + (compressionThreads > 0 ? ", compressionThreads=" + compressionThreads : "") + "]";
    }

    /**
     * Builds {@link PipelineSettings}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final Encryption encryption;
        private Compression compression = Compression.zstd();
        private int compressionThreads;

        private Builder(Encryption encryption) {
            this.encryption = Objects.requireNonNull(encryption, "encryption");
        }

        /** The compression; default {@link Compression#zstd()}. */
        public Builder compression(Compression compression) {
            this.compression = Objects.requireNonNull(compression, "compression");
            return this;
        }

        /**
         * How many threads of its own zstd compresses with; default 0: on the thread that writes, which then does
         * nothing else meanwhile. With 1 or more, zstd cuts the input into jobs of a few MiB compressed in
         * parallel, and the writing thread only hands them over: the output is still one standard zstd frame
         * ({@code zstd -d} reads it), a little larger (each job starts its matches afresh, within the window).
         * Ignored without zstd compression.
         *
         * @throws IllegalArgumentException unless {@code 0 <= threads <= 64}
         */
        public Builder compressionThreads(int threads) {
            if (threads < 0 || threads > 64) {
                throw new IllegalArgumentException("compressionThreads must be between 0 and 64, but was " + threads);
            }
            this.compressionThreads = threads;
            return this;
        }

        /** The settings. */
        public PipelineSettings build() {
            return new PipelineSettings(this);
        }
    }
}
