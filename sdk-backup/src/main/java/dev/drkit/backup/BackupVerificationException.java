package dev.drkit.backup;

import org.jspecify.annotations.Nullable;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A backup failed a check against its manifest: the stored data has another size or SHA-256, the plaintext has
 * another SHA-256, an entry of a directory backup is missing, unexpected, of another type or size, has another
 * SHA-256, or has an unsafe path (absolute, {@code ..}, through a symbolic link).
 *
 * <p>Always {@link Kind#DATA}. {@link #check()} names the check, {@link #expected()} and {@link #actual()} hold
 * what the manifest says and what was found (sizes, digests, entry paths; never contents or keys). Whatever a
 * restore would have replaced is left untouched.
 *
 * @since 0.1
 */
public class BackupVerificationException extends BackupException {

    private static final long serialVersionUID = 1L;

    private final String backupId;
    private final String check;
    private final @Nullable String expected;
    private final @Nullable String actual;

    /**
     * @param backupId the backup
     * @param check    the check that failed, for example {@code "ciphertext sha256"} or {@code "entry set"}
     * @param expected what the manifest says, or {@code null}
     * @param actual   what was found, or {@code null}
     * @param message  the whole story, one line
     */
    public BackupVerificationException(String backupId, String check, @Nullable String expected,
                                       @Nullable String actual, String message) {
        this(backupId, check, expected, actual, message, null);
    }

    /**
     * As {@link #BackupVerificationException(String, String, String, String, String)}, with the failure that led
     * to the check (for example the decryption error that damaged data caused).
     *
     * @since 0.2
     */
    public BackupVerificationException(String backupId, String check, @Nullable String expected,
                                       @Nullable String actual, String message, @Nullable Throwable cause) {
        super(message, Kind.DATA, context(backupId, check, expected, actual), cause);
        this.backupId = backupId;
        this.check = check;
        this.expected = expected;
        this.actual = actual;
    }

    private static Map<String, String> context(String backupId, String check, @Nullable String expected,
                                               @Nullable String actual) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("backup", Objects.requireNonNull(backupId, "backupId"));
        context.put("check", Objects.requireNonNull(check, "check"));
        if (expected != null) {
            context.put("expected", expected);
        }
        if (actual != null) {
            context.put("actual", actual);
        }
        return context;
    }

    /** The backup that failed. */
    public String backupId() {
        return backupId;
    }

    /** The check that failed. */
    public String check() {
        return check;
    }

    /** What the manifest says, if the check compares values. */
    public @Nullable String expected() {
        return expected;
    }

    /** What was found, if the check compares values. */
    public @Nullable String actual() {
        return actual;
    }
}
