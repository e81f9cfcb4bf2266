package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

import java.util.Objects;

/**
 * Passphrase mode: the key is derived from a {@link Secret} with OpenPGP's iterated and salted S2K over SHA-256,
 * exactly what {@code gpg --symmetric} does, so {@code gpg --decrypt} asks for the same passphrase and nothing else.
 *
 * <p>The S2K work factor is the number of bytes hashed while deriving the key. The default,
 * {@value #DEFAULT_S2K_BYTES}, is the largest count OpenPGP can express and what gpg's calibration reaches on
 * current hardware (Bouncy Castle's own default, 65,536, is a thousand times weaker). OpenPGP stores the count in
 * one byte, so only some values exist: a requested count is rounded <em>up</em> to the next one, as
 * {@code gpg --s2k-count} does, and {@link #s2kBytes()} reports the count actually used. Deriving the key costs
 * about 50 ms at the default on one core, once per stream, for encryption and decryption alike.
 *
 * <p>Instances are immutable and thread-safe; the builder is not. {@link #toString()} never shows the passphrase.
 *
 * <pre>{@code
 * PassphraseEncryption enc = PassphraseEncryption.builder(passphrase).s2kBytes(16 * 1024 * 1024).build();
 * }</pre>
 *
 * @since 0.1
 */
public final class PassphraseEncryption implements Encryption {

    /** The default number of bytes hashed to derive the key: {@value} (OpenPGP's maximum; gpg's usual value). */
    public static final long DEFAULT_S2K_BYTES = 65_011_712L;
    /** The smallest S2K count OpenPGP can express: {@value}. Only for tests; it protects nothing. */
    public static final long MIN_S2K_BYTES = 1024L;

    private final Secret passphrase;
    private final int s2kCountCode;

    private PassphraseEncryption(Builder builder) {
        this.passphrase = builder.passphrase;
        this.s2kCountCode = builder.s2kCountCode;
    }

    /**
     * A builder for {@code passphrase}.
     *
     * @param passphrase read when a stream is opened; must not be empty then
     */
    public static Builder builder(Secret passphrase) {
        return new Builder(passphrase);
    }

    /** The passphrase. */
    public Secret passphrase() {
        return passphrase;
    }

    /** The number of bytes hashed to derive the key (after rounding up to a count OpenPGP can express). */
    public long s2kBytes() {
        return decodeS2kCount(s2kCountCode);
    }

    /** The one-byte S2K count as written into the OpenPGP packet (RFC 4880, section 3.7.1.3). */
    public int s2kCountCode() {
        return s2kCountCode;
    }

    @Override
    public String toString() {
        return "PassphraseEncryption[passphrase=" + passphrase + ", s2k=iterated+salted SHA-256, s2kBytes="
            + s2kBytes() + "]";
    }

    /** The number of bytes an OpenPGP S2K count byte stands for. */
    static long decodeS2kCount(int code) {
        return (16L + (code & 15)) << ((code >> 4) + 6);
    }

    /**
     * Builds {@link PassphraseEncryption}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final Secret passphrase;
        private int s2kCountCode = 0xFF;

        private Builder(Secret passphrase) {
            this.passphrase = Objects.requireNonNull(passphrase, "passphrase");
        }

        /**
         * The number of bytes hashed to derive the key, rounded up to the next count OpenPGP can express.
         * Default {@value PassphraseEncryption#DEFAULT_S2K_BYTES}.
         *
         * @throws IllegalArgumentException if {@code bytes} is outside
         *                                  {@value PassphraseEncryption#MIN_S2K_BYTES}..{@value PassphraseEncryption#DEFAULT_S2K_BYTES}
         */
        public Builder s2kBytes(long bytes) {
            if (bytes < MIN_S2K_BYTES || bytes > DEFAULT_S2K_BYTES) {
                throw new IllegalArgumentException("s2kBytes must be between " + MIN_S2K_BYTES + " and "
                    + DEFAULT_S2K_BYTES + ", but was " + bytes);
            }
            int code = 0;
            while (decodeS2kCount(code) < bytes) {
                code++;
            }
            this.s2kCountCode = code;
            return this;
        }

        /** The settings. */
        public PassphraseEncryption build() {
            return new PassphraseEncryption(this);
        }
    }
}
