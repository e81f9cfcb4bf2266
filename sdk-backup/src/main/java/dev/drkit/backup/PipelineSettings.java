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

    private PipelineSettings(Builder builder) {
        this.encryption = builder.encryption;
        this.compression = builder.compression;
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
        return new Builder(encryption).compression(compression);
    }

    /** How the compressed bytes are encrypted. */
    public Encryption encryption() {
        return encryption;
    }

    /** How the plaintext is compressed before encryption. */
    public Compression compression() {
        return compression;
    }

    @Override
    public String toString() {
        return "PipelineSettings[encryption=" + encryption + ", compression=" + compression + "]";
    }

    /**
     * Builds {@link PipelineSettings}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final Encryption encryption;
        private Compression compression = Compression.zstd();

        private Builder(Encryption encryption) {
            this.encryption = Objects.requireNonNull(encryption, "encryption");
        }

        /** The compression; default {@link Compression#zstd()}. */
        public Builder compression(Compression compression) {
            this.compression = Objects.requireNonNull(compression, "compression");
            return this;
        }

        /** The settings. */
        public PipelineSettings build() {
            return new PipelineSettings(this);
        }
    }
}
