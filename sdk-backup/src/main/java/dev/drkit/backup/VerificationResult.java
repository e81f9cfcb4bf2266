package dev.drkit.backup;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of verifying one backup ({@link BackupEngine#verify}): passed, or failed with the check that
 * failed and why. Environment failures (an unreadable store) are thrown instead, as {@link BackupIoException}.
 * Each result is appended, as {@link #toJson()}, to the engine's verification history if it has one.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class VerificationResult {

    private final String backupId;
    private final VerificationMode mode;
    private final Instant verifiedAt;
    private final Duration duration;
    private final long ciphertextBytes;
    private final long plaintextBytes;
    private final int entries;
    private final @Nullable Instant backupFinishedAt;
    private final @Nullable BackupException failure;

    VerificationResult(String backupId, VerificationMode mode, Instant verifiedAt, Duration duration,
                       long ciphertextBytes, long plaintextBytes, int entries, @Nullable Instant backupFinishedAt,
                       @Nullable BackupException failure) {
        this.backupId = Objects.requireNonNull(backupId, "backupId");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.verifiedAt = Objects.requireNonNull(verifiedAt, "verifiedAt");
        this.duration = Objects.requireNonNull(duration, "duration");
        this.ciphertextBytes = ciphertextBytes;
        this.plaintextBytes = plaintextBytes;
        this.entries = entries;
        this.backupFinishedAt = backupFinishedAt;
        this.failure = failure;
    }

    /** The backup verified. */
    public String backupId() {
        return backupId;
    }

    /** Quick or full. */
    public VerificationMode mode() {
        return mode;
    }

    /** Whether every check passed. */
    public boolean passed() {
        return failure == null;
    }

    /** When the verification finished. */
    public Instant verifiedAt() {
        return verifiedAt;
    }

    /** How long it took. */
    public Duration duration() {
        return duration;
    }

    /** Bytes of stored data read and checked. */
    public long ciphertextBytes() {
        return ciphertextBytes;
    }

    /** Bytes of plaintext checked (0 for quick verification). */
    public long plaintextBytes() {
        return plaintextBytes;
    }

    /** Directory entries checked (0 for quick verification and for files and streams). */
    public int entries() {
        return entries;
    }

    /** When the verified backup's data was complete, if its manifest could be read. */
    public Optional<Instant> backupFinishedAt() {
        return Optional.ofNullable(backupFinishedAt);
    }

    /**
     * Why verification failed: a {@link ManifestException}, {@link BackupVerificationException},
     * {@link BackupDecryptionException}, or a {@link dev.drkit.backup.store.NoSuchBackupException} for a listed
     * backup that lacks one of its objects.
     */
    public Optional<BackupException> failure() {
        return Optional.ofNullable(failure);
    }

    /** The name of the failed check ({@code "manifest"}, {@code "objects"}, {@code "ciphertext sha256"}, ...), if one failed. */
    public Optional<String> failedCheck() {
        if (failure == null) {
            return Optional.empty();
        }
        if (failure instanceof BackupVerificationException) {
            return Optional.of(((BackupVerificationException) failure).check());
        }
        if (failure instanceof ManifestException) {
            return Optional.of("manifest");
        }
        if (failure instanceof dev.drkit.backup.store.NoSuchBackupException) {
            return Optional.of("objects");
        }
        return Optional.of("decryption");
    }

    /**
     * This result, or its failure thrown.
     *
     * @throws BackupException the failure, if verification failed
     */
    public VerificationResult orThrow() {
        if (failure != null) {
            throw failure;
        }
        return this;
    }

    /** This result as one line of JSON, as appended to the verification history and printed by {@code drkit verify --json}. */
    public String toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("backupId", backupId);
        node.put("mode", mode.name().toLowerCase(java.util.Locale.ROOT));
        node.put("passed", passed());
        node.put("verifiedAt", verifiedAt.toString());
        node.put("durationMs", duration.toMillis());
        node.put("ciphertextBytes", ciphertextBytes);
        node.put("plaintextBytes", plaintextBytes);
        node.put("entries", entries);
        if (backupFinishedAt != null) {
            node.put("backupFinishedAt", backupFinishedAt.toString());
        }
        if (failure != null) {
            node.put("check", failedCheck().orElse(""));
            node.put("problem", failure.getMessage());
        }
        return node.toString();
    }

    @Override
    public String toString() {
        return "VerificationResult[" + backupId + ", " + mode + ", " + (passed() ? "passed" : "failed: "
            + failure.getMessage()) + "]";
    }
}
