package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A file was pushed under a name the WAL archive already holds, with different content. The archived file is kept
 * and the push is refused: two servers are archiving into one archive (a restore drill, a promoted standby that was
 * not fenced, a cloned cluster), and the operator must find out which one before anything is overwritten.
 *
 * <p>Pushing the same name with identical content succeeds, since a promoted standby re-archives segments the old
 * primary archived already. {@link Kind#DATA}; the accessors give both SHA-256 digests (of the plaintext).
 *
 * @since 0.1
 */
public final class WalConflictException extends BackupException {

    private static final long serialVersionUID = 1L;

    private final String walFileName;
    private final String archivedSha256;
    private final String pushedSha256;

    /**
     * @param walFileName    the file's name
     * @param location       the store
     * @param archivedSha256 the SHA-256 of the archived file's plaintext
     * @param archivedBytes  its size
     * @param pushedSha256   the SHA-256 of the file pushed now
     * @param pushedBytes    its size
     */
    public WalConflictException(String walFileName, String location, String archivedSha256, long archivedBytes,
                                String pushedSha256, long pushedBytes) {
        super("WAL archive " + location + " already holds " + walFileName + " with different content (archived: "
                + archivedBytes + " bytes, sha256 " + archivedSha256 + "; pushed now: " + pushedBytes + " bytes, sha256 "
                + pushedSha256 + "): refused; another server is archiving into this archive, or the archive belongs to"
                + " another cluster", Kind.DATA,
            context(walFileName, location, archivedSha256, pushedSha256), null);
        this.walFileName = walFileName;
        this.archivedSha256 = archivedSha256;
        this.pushedSha256 = pushedSha256;
    }

    private static Map<String, String> context(String name, String location, String archived, String pushed) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("store", Objects.requireNonNull(location, "location"));
        context.put("walFile", Objects.requireNonNull(name, "walFileName"));
        context.put("archivedSha256", Objects.requireNonNull(archived, "archivedSha256"));
        context.put("pushedSha256", Objects.requireNonNull(pushed, "pushedSha256"));
        return context;
    }

    /** The file's name. */
    public String walFileName() {
        return walFileName;
    }

    /** The SHA-256 of the archived file's plaintext, lowercase hex. */
    public String archivedSha256() {
        return archivedSha256;
    }

    /** The SHA-256 of the file that was pushed, lowercase hex. */
    public String pushedSha256() {
        return pushedSha256;
    }
}
