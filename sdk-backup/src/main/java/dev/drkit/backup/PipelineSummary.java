package dev.drkit.backup;

import java.util.Objects;

/**
 * Sizes and SHA-256 digests of both sides of an encrypting or decrypting stream, computed as the bytes passed.
 *
 * <p>The plaintext side is what the caller wrote (or read back); the ciphertext side is the OpenPGP message as
 * stored, so {@code sha256sum} of the stored file equals {@link #ciphertextSha256()}. Digests are lowercase hex.
 * Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public final class PipelineSummary {

    private final long plaintextBytes;
    private final String plaintextSha256;
    private final long ciphertextBytes;
    private final String ciphertextSha256;

    /**
     * @param plaintextBytes   number of plaintext bytes
     * @param plaintextSha256  SHA-256 of the plaintext, lowercase hex
     * @param ciphertextBytes  number of ciphertext bytes
     * @param ciphertextSha256 SHA-256 of the ciphertext, lowercase hex
     */
    public PipelineSummary(long plaintextBytes, String plaintextSha256, long ciphertextBytes, String ciphertextSha256) {
        this.plaintextBytes = plaintextBytes;
        this.plaintextSha256 = Objects.requireNonNull(plaintextSha256, "plaintextSha256");
        this.ciphertextBytes = ciphertextBytes;
        this.ciphertextSha256 = Objects.requireNonNull(ciphertextSha256, "ciphertextSha256");
    }

    /** Number of plaintext bytes. */
    public long plaintextBytes() {
        return plaintextBytes;
    }

    /** SHA-256 of the plaintext, lowercase hex. */
    public String plaintextSha256() {
        return plaintextSha256;
    }

    /** Number of ciphertext bytes (the whole OpenPGP message). */
    public long ciphertextBytes() {
        return ciphertextBytes;
    }

    /** SHA-256 of the ciphertext (the whole OpenPGP message), lowercase hex. */
    public String ciphertextSha256() {
        return ciphertextSha256;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof PipelineSummary)) {
            return false;
        }
        PipelineSummary that = (PipelineSummary) other;
        return plaintextBytes == that.plaintextBytes && ciphertextBytes == that.ciphertextBytes
            && plaintextSha256.equals(that.plaintextSha256) && ciphertextSha256.equals(that.ciphertextSha256);
    }

    @Override
    public int hashCode() {
        return Objects.hash(plaintextBytes, plaintextSha256, ciphertextBytes, ciphertextSha256);
    }

    @Override
    public String toString() {
        return "PipelineSummary[plaintext=" + plaintextBytes + " bytes sha256:" + plaintextSha256
            + ", ciphertext=" + ciphertextBytes + " bytes sha256:" + ciphertextSha256 + "]";
    }
}
