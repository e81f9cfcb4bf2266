package dev.drkit.backup;

import org.jspecify.annotations.Nullable;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A backup's manifest cannot be trusted: it is too large, not a drkit manifest, of a format version this drkit
 * does not read, damaged (its checksum does not match), or not authentic (its HMAC does not match the key of
 * the backup's data: the manifest was edited, or the data was swapped for another backup's).
 *
 * <p>Always {@link Kind#DATA}. The message names the backup and the check; never a key.
 *
 * @since 0.1
 */
public class ManifestException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * Why the manifest was refused.
     *
     * @since 0.1
     */
    public enum Reason {
        /** Larger than {@link BackupManifest#MAX_BYTES}. */
        TOO_LARGE,
        /** Not a drkit manifest, or a field is missing, of the wrong type or out of range. */
        MALFORMED,
        /** A drkit manifest of a format version this drkit does not read (written by a newer drkit). */
        UNSUPPORTED_VERSION,
        /** The manifest's own SHA-256 does not match its body: damaged (or edited without care). */
        CHECKSUM_MISMATCH,
        /** The HMAC under the backup's manifest key does not match: an edited manifest or a swapped archive. */
        NOT_AUTHENTIC,
        /** The manifest belongs to another backup than the one it was read for. */
        WRONG_BACKUP
    }

    private final Reason reason;

    /**
     * @param reason   why the manifest was refused
     * @param backupId the backup, or {@code null} if not known
     * @param message  what is wrong; never a key
     * @param cause    the underlying failure, or {@code null}
     */
    public ManifestException(Reason reason, @Nullable String backupId, String message, @Nullable Throwable cause) {
        super(message, Kind.DATA, context(reason, backupId), cause);
        this.reason = reason;
    }

    private static Map<String, String> context(Reason reason, @Nullable String backupId) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("reason", Objects.requireNonNull(reason, "reason").name());
        if (backupId != null) {
            context.put("backup", backupId);
        }
        return context;
    }

    /** Why the manifest was refused. */
    public Reason reason() {
        return reason;
    }
}
